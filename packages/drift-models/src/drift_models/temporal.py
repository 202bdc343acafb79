"""The engine contract's wire: Temporal payloads as msgspec JSON, and the connection.

Both services import this module (``drift-models[temporal]``), so the API and the
worker write and read the very same payloads:

- Workflow and activity arguments and results are msgspec Structs (camelCase, strict,
  :mod:`drift_models.engine`). :data:`DATA_CONVERTER` writes them as ordinary
  ``json/plain`` payloads, so other Temporal SDKs and the Temporal UI read them, and
  decodes them back into the declared types with msgspec — strictly, so a payload of
  the wrong shape fails loudly instead of becoming a half-filled object. Temporal's own
  converters still handle protobuf, bytes and ``None``.
- Big payloads (start parameters, answers, outputs of megabytes) do not ride in
  Temporal: :class:`ClaimCheckCodec` hands each payload over the claim check's
  threshold to a :class:`ClaimStore` (the store's blob table, ``drift_store.ClaimCheck``)
  and sends a small reference instead.
- :func:`connect_temporal` connects a client with that converter, tracing when this
  process records spans (:func:`spans_recorded`).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Final, Protocol

import msgspec
from opentelemetry import trace
from opentelemetry.trace import Tracer
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.converter import (
    BinaryNullPayloadConverter,
    BinaryPlainPayloadConverter,
    BinaryProtoPayloadConverter,
    CompositePayloadConverter,
    DataConverter,
    EncodingPayloadConverter,
    JSONProtoPayloadConverter,
    PayloadCodec,
)

from drift_models.engine import CLAIM_ENCODING, CLAIM_KEY

__all__ = [
    "DATA_CONVERTER",
    "ClaimCheckCodec",
    "ClaimStore",
    "MsgspecJSONConverter",
    "MsgspecPayloadConverter",
    "TemporalTarget",
    "connect_temporal",
    "data_converter",
    "decoder_for",
    "prepare_decoders",
    "spans_recorded",
    "with_claim_check",
]

_ENCODING: Final = b"json/plain"
_CLAIM_ENCODING: Final = CLAIM_ENCODING.encode()
_ENCODER: Final = msgspec.json.Encoder()


class MsgspecJSONConverter(EncodingPayloadConverter):
    """``json/plain`` payloads encoded and decoded by msgspec."""

    @property
    def encoding(self) -> str:
        """The payload encoding this converter handles."""
        return _ENCODING.decode()

    def to_payload(self, value: Any) -> Payload | None:
        """Encode any value msgspec can write as JSON."""
        try:
            data = _ENCODER.encode(value)
        except TypeError:
            return None
        return Payload(metadata={"encoding": _ENCODING}, data=data)

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        """Decode into ``type_hint`` (any JSON value when there is none)."""
        return decoder_for(type_hint or Any).decode(payload.data)


def decoder_for(type_hint: Any) -> msgspec.json.Decoder[Any]:
    """The one decoder of ``type_hint``, built once, by one thread at a time.

    msgspec builds a type's decoding information on its first use, calling back into
    Python to read the class's annotations. Workflow activations run in threads (and
    inside the workflow sandbox, whose import hooks that reading goes through): two of
    them building the information of the same types at once crashed a worker with a
    segmentation fault (a restarted worker replaying many runs at once). Building every
    decoder under one lock, and reusing it, keeps that construction to one thread.
    """
    try:
        decoder = _DECODERS.get(type_hint)
    except TypeError:  # an unhashable hint: built each time, still one thread at a time
        with _DECODERS_LOCK:
            return msgspec.json.Decoder(type_hint)
    if decoder is None:
        with _DECODERS_LOCK:
            decoder = _DECODERS.get(type_hint)
            if decoder is None:
                decoder = msgspec.json.Decoder(type_hint)
                _DECODERS[type_hint] = decoder
    return decoder


def prepare_decoders(types: Iterable[Any]) -> None:
    """Build the decoders of ``types`` now (a worker does, before any workflow runs)."""
    for type_hint in types:
        decoder_for(type_hint)


_DECODERS: Final[dict[Any, msgspec.json.Decoder[Any]]] = {}
_DECODERS_LOCK: Final = threading.Lock()


class MsgspecPayloadConverter(CompositePayloadConverter):
    """Temporal's default converters, with msgspec in place of the stdlib JSON one."""

    def __init__(self) -> None:
        super().__init__(
            BinaryNullPayloadConverter(),
            BinaryPlainPayloadConverter(),
            JSONProtoPayloadConverter(),
            BinaryProtoPayloadConverter(),
            MsgspecJSONConverter(),
        )


DATA_CONVERTER: Final = dataclasses.replace(
    DataConverter.default, payload_converter_class=MsgspecPayloadConverter
)
"""Drift's data converter without the claim check (small payloads only)."""


class ClaimStore(Protocol):
    """Where payloads over a threshold are kept (``drift_store.ClaimCheck`` is one)."""

    def wants(self, size: int) -> bool:
        """Whether a payload of ``size`` bytes travels by reference."""
        ...

    async def check_in(self, data: bytes) -> str:
        """Store ``data``; return the key its reference names."""
        ...

    async def check_out(self, key: str) -> bytes:
        """The bytes a reference names."""
        ...


class ClaimCheckCodec(PayloadCodec):
    """Payloads over the claim check's threshold travel as references to stored blobs.

    The reference is a payload of its own (encoding ``binary/drift-claim``, the
    blob's SHA-256 in its metadata, no data), so Temporal, its UI and every other
    payload stay as they are.
    """

    def __init__(self, claims: ClaimStore) -> None:
        self._claims = claims

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Check in every payload over the threshold."""
        encoded = []
        for payload in payloads:
            if self._claims.wants(payload.ByteSize()):
                key = await self._claims.check_in(payload.SerializeToString())
                payload = Payload(  # noqa: PLW2901 - the reference replaces the payload
                    metadata={"encoding": _CLAIM_ENCODING, CLAIM_KEY: key.encode()}
                )
            encoded.append(payload)
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Check out every reference."""
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") == _CLAIM_ENCODING:
                key = payload.metadata[CLAIM_KEY].decode()
                payload = Payload.FromString(await self._claims.check_out(key))  # noqa: PLW2901
            decoded.append(payload)
        return decoded


def data_converter(claims: ClaimStore | None) -> DataConverter:
    """Drift's data converter; with ``claims``, big payloads travel by reference.

    How patient the claim check is belongs to ``claims``: a worker's waits for a store
    that is away (its workflow task or activity is delayed), the API's fails the call.
    """
    if claims is None:
        return DATA_CONVERTER
    return dataclasses.replace(DATA_CONVERTER, payload_codec=ClaimCheckCodec(claims))


def with_claim_check(client: Client, claims: ClaimStore) -> Client:
    """The same connection, with big payloads sent and read by reference."""
    config = client.config()
    config["data_converter"] = data_converter(claims)
    return Client(**config)


class TemporalTarget(Protocol):
    """Where Temporal is: any settings with these fields (``EngineSettings``' among them)."""

    @property
    def temporal_address(self) -> str:
        """The Temporal frontend, ``host:port``."""
        ...

    @property
    def temporal_namespace(self) -> str:
        """The Temporal namespace."""
        ...


def spans_recorded() -> bool:
    """Whether this process's global tracer provider records spans.

    It does once one was installed (an exporting provider when an OTLP endpoint is
    configured, or one installed by the embedding program or its instrumentation);
    until then every span would be a no-op that still costs its bookkeeping, so Drift
    makes none.
    """
    provider = trace.get_tracer_provider()
    return not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)


async def connect_temporal(
    settings: TemporalTarget, *, tracing: bool | None = None, tracer: Tracer | None = None
) -> Client:
    """Connect to Temporal with Drift's data converter (no claim check yet).

    Args:
        settings: where Temporal is.
        tracing: add a tracing interceptor, which puts the current OpenTelemetry
            context into every start, update, signal and query, so a worker that traces
            too continues the caller's trace. By default only when a tracer is given or
            this process records spans. A worker leaves it off on its client: its
            ``Worker`` carries the interceptor itself.
        tracer: the tracer of the client's spans (the global provider's by default).
    """
    if tracing is None:
        tracing = tracer is not None or spans_recorded()
    interceptors: list[Interceptor] = [TracingInterceptor(tracer)] if tracing else []
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
        interceptors=interceptors,
    )
