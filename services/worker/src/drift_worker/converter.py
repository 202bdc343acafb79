"""Temporal payloads as msgspec JSON.

Workflow and activity arguments and results are msgspec Structs (camelCase, strict).
The converter writes them as ordinary ``json/plain`` payloads, so other Temporal SDKs
and the Temporal UI read them, and decodes them back into the declared types with
msgspec — strictly, so a payload of the wrong shape fails loudly instead of becoming a
half-filled object.
"""

from __future__ import annotations

import dataclasses
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
)

__all__ = ["DATA_CONVERTER", "MsgspecJSONConverter", "MsgspecPayloadConverter"]

_ENCODING: Final = b"json/plain"
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
"""The data converter every Drift worker and client uses."""
