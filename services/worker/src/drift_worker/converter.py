"""Temporal payloads as msgspec JSON.

Workflow and activity arguments and results are msgspec Structs (camelCase, strict).
The converter writes them as ordinary ``json/plain`` payloads, so other Temporal SDKs
and the Temporal UI read them, and decodes them back into the declared types with
msgspec — strictly, so a payload of the wrong shape fails loudly instead of becoming a
half-filled object.

Big payloads (start parameters, answers, outputs of megabytes) do not ride in Temporal:
:class:`ClaimCheckCodec` puts each payload over the claim check's threshold into the
store's blob table and sends a small reference instead (see :mod:`drift_store.blobs`).
The API's converter (``drift_api.temporal``) writes the same references.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Final

import msgspec
from temporalio.api.common.v1 import Payload
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

from drift_store import CLAIM_ENCODING, CLAIM_KEY, ClaimCheck

__all__ = [
    "DATA_CONVERTER",
    "ClaimCheckCodec",
    "MsgspecJSONConverter",
    "MsgspecPayloadConverter",
    "data_converter",
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
        return msgspec.json.decode(payload.data, type=type_hint or Any)


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


def data_converter(claims: ClaimCheck | None) -> DataConverter:
    """Drift's data converter; with ``claims``, big payloads travel by reference.

    A worker's claim check is patient: a payload that cannot be read or written while
    the store is away delays its workflow task or activity until the store is back.
    """
    if claims is None:
        return DATA_CONVERTER
    return dataclasses.replace(DATA_CONVERTER, payload_codec=ClaimCheckCodec(claims))
