"""The API's Temporal client: msgspec JSON payloads and OpenTelemetry tracing.

The engine contract (:mod:`drift_models.engine`) is made of msgspec Structs. The API
writes them as ordinary ``json/plain`` payloads with msgspec and reads answers back
into the declared types, strictly — the same wire format the worker uses, written here
so the API never depends on the worker. Temporal's own converters still handle
protobuf, bytes and ``None``. Payloads over the claim check's threshold travel as
references to the store's blobs (:func:`with_claim_check`, :mod:`drift_store.blobs`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
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
    PayloadCodec,
)

from drift_api.settings import ApiSettings
from drift_store import CLAIM_ENCODING, CLAIM_KEY, ClaimCheck

__all__ = [
    "DATA_CONVERTER",
    "ClaimCheckCodec",
    "StructPayloadConverter",
    "connect_temporal",
    "with_claim_check",
]

_JSON: Final = "json/plain"
_CLAIM_ENCODING: Final = CLAIM_ENCODING.encode()
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


class ClaimCheckCodec(PayloadCodec):
    """Payloads over the claim check's threshold travel as references to stored blobs.

    The reference is a payload of its own (encoding ``binary/drift-claim``, the
    blob's SHA-256 in its metadata, no data), so Temporal, its UI and every other
    payload stay as they are.
    """

    def __init__(self, claims: ClaimCheck) -> None:
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


def with_claim_check(client: Client, claims: ClaimCheck) -> Client:
    """The same connection, with big payloads sent and read by reference.

    The API's claim check is not patient: a blob that cannot be written fails the call
    before anything is sent (``503``, nothing happened), one that cannot be read after
    a run went on makes the answer a ``202``.
    """
    converter = dataclasses.replace(DATA_CONVERTER, payload_codec=ClaimCheckCodec(claims))
    config = client.config()
    config["data_converter"] = converter
    return Client(**config)


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
