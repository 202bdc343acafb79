"""A small OTLP/HTTP trace receiver for tests: it decodes what exporters POST to
``/v1/traces`` (protobuf, optionally gzipped) and lets a test wait for spans."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

__all__ = ["OtlpReceiver", "ReceivedSpan", "otlp_receiver"]


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span: who sent it and where it sits in its trace (ids in hex)."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str


class OtlpReceiver:
    """The spans received so far, and a way to wait for the ones a test needs."""

    def __init__(self) -> None:
        self.url = ""
        self.spans: list[ReceivedSpan] = []
        self.bad_requests: list[str] = []
        self._changed = threading.Condition()

    def accept(self, body: bytes, encoding: str | None) -> bool:
        """Decode one export request; ``False`` when it is not a valid OTLP trace export."""
        try:
            raw = gzip.decompress(body) if encoding == "gzip" else body
            request = ExportTraceServiceRequest.FromString(raw)
        except (OSError, ValueError) as error:  # a protobuf DecodeError is a ValueError
            with self._changed:
                self.bad_requests.append(str(error))
            return False
        received: list[ReceivedSpan] = []
        for resource_spans in request.resource_spans:
            service = next(
                (
                    a.value.string_value
                    for a in resource_spans.resource.attributes
                    if a.key == "service.name"
                ),
                "",
            )
            for scope_spans in resource_spans.scope_spans:
                received.extend(
                    ReceivedSpan(
                        service=service,
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                    )
                    for span in scope_spans.spans
                )
        with self._changed:
            self.spans.extend(received)
            self._changed.notify_all()
        return True

    def wait_until(
        self, done: Callable[[list[ReceivedSpan]], bool], seconds: float = 60.0
    ) -> list[ReceivedSpan]:
        """The spans once ``done(spans)`` holds (checked on every arrival)."""
        with self._changed:
            if not self._changed.wait_for(lambda: done(list(self.spans)), timeout=seconds):
                names = sorted({(s.service, s.name) for s in self.spans})
                msg = f"the spans awaited never arrived; received: {names}"
                raise AssertionError(msg)
            return list(self.spans)


def _handler(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != "/v1/traces" or not receiver.accept(
                body, self.headers.get("Content-Encoding")
            ):
                self.send_response(400)
                self.end_headers()
                return
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            del format, args  # quiet: the test reads the spans, not an access log

    return Handler


@contextmanager
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """Serve an :class:`OtlpReceiver` on a free loopback port for the block's duration."""
    receiver = OtlpReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
