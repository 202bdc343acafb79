"""The API's Temporal client: msgspec JSON payloads and OpenTelemetry tracing.

The engine contract (:mod:`drift_models.engine`) is made of msgspec Structs. The API
writes them as ordinary ``json/plain`` payloads with msgspec and reads answers back
into the declared types, strictly — the same wire format the worker uses, written here
so the API never depends on the worker. Temporal's own converters still handle
protobuf, bytes and ``None``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

import msgspec
from opentelemetry.trace import Tracer
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.converter import (
    BinaryNullPayloadConverter,
    BinaryPlainPayloadConverter,
    BinaryProtoPayloadConverter,
    CompositePayloadConverter,
    DataConverter,
    EncodingPayloadConverter,
    JSONProtoPayloadConverter,
)

from drift_api.settings import ApiSettings

__all__ = ["DATA_CONVERTER", "StructPayloadConverter", "connect_temporal"]

_JSON: Final = "json/plain"
_ENCODER: Final = msgspec.json.Encoder()


class _StructJSON(EncodingPayloadConverter):
    """``json/plain`` written and read by msgspec."""

    @property
    def encoding(self) -> str:
        return _JSON

    def to_payload(self, value: Any) -> Payload | None:
        try:
            data = _ENCODER.encode(value)
        except TypeError:
            return None
        return Payload(metadata={"encoding": _JSON.encode()}, data=data)

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        return msgspec.json.decode(payload.data, type=type_hint or Any)


class StructPayloadConverter(CompositePayloadConverter):
    """Temporal's default payload converters with msgspec for JSON."""

    def __init__(self) -> None:
        super().__init__(
            BinaryNullPayloadConverter(),
            BinaryPlainPayloadConverter(),
            JSONProtoPayloadConverter(),
            BinaryProtoPayloadConverter(),
            _StructJSON(),
        )


DATA_CONVERTER: Final = dataclasses.replace(
    DataConverter.default, payload_converter_class=StructPayloadConverter
)
"""The data converter of the API's Temporal client (wire-compatible with the worker's)."""


async def connect_temporal(settings: ApiSettings, *, tracer: Tracer | None = None) -> Client:
    """Connect to Temporal with the API's converter and a tracing interceptor.

    The interceptor puts the current OpenTelemetry context into every start, update,
    signal and query, so a worker that traces too continues the request's trace.

    Args:
        settings: where Temporal is.
        tracer: the tracer of the client's spans (the global provider's by default).
    """
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
        interceptors=[TracingInterceptor(tracer)],
    )
