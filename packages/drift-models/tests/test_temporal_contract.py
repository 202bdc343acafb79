"""The engine contract's wire: msgspec payloads and the claim-check codec (no Temporal)."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import msgspec
import pytest
from temporalio.api.common.v1 import Payload

from drift_models.engine import CLAIM_ENCODING, CLAIM_KEY, EventSignal, RunInput
from drift_models.engine_settings import EngineSettings
from drift_models.settings import environment_names, load_settings
from drift_models.temporal import (
    DATA_CONVERTER,
    ClaimCheckCodec,
    MsgspecJSONConverter,
    data_converter,
    decoder_for,
    prepare_decoders,
)


class _MemoryClaims:
    """A claim store in a dict: payloads over ``threshold`` bytes are checked in."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.blobs: dict[str, bytes] = {}

    def wants(self, size: int) -> bool:
        return size > self.threshold

    async def check_in(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        self.blobs[key] = data
        return key

    async def check_out(self, key: str) -> bytes:
        return self.blobs[key]


def test_structs_travel_as_camel_case_json_and_come_back_strictly() -> None:
    converter = DATA_CONVERTER.payload_converter
    sent = EventSignal(name="paid", payload={"amountCents": 42})
    (payload,) = converter.to_payloads([sent])
    assert payload.metadata["encoding"] == b"json/plain"
    assert msgspec.json.decode(payload.data) == {"name": "paid", "payload": {"amountCents": 42}}
    assert converter.from_payloads([payload], [EventSignal]) == [sent]
    wrong = Payload(metadata={"encoding": b"json/plain"}, data=b'{"name": 7}')
    with pytest.raises(msgspec.ValidationError, match="name"):
        converter.from_payloads([wrong], [EventSignal])


async def test_big_payloads_travel_by_reference_and_small_ones_as_they_are() -> None:
    claims = _MemoryClaims(threshold=64)
    codec = ClaimCheckCodec(claims)
    small = Payload(metadata={"encoding": b"json/plain"}, data=b'"hi"')
    big = Payload(metadata={"encoding": b"json/plain"}, data=b'"' + b"x" * 500 + b'"')
    encoded = await codec.encode([small, big])
    assert encoded[0] == small
    reference = encoded[1]
    assert reference.metadata["encoding"] == CLAIM_ENCODING.encode()
    assert reference.data == b""
    key = reference.metadata[CLAIM_KEY].decode()
    assert claims.blobs[key] == big.SerializeToString()
    assert await codec.decode(encoded) == [small, big]


def test_the_converter_has_a_codec_only_with_a_claim_store() -> None:
    assert data_converter(None) is DATA_CONVERTER
    assert DATA_CONVERTER.payload_codec is None
    assert isinstance(data_converter(_MemoryClaims(10)).payload_codec, ClaimCheckCodec)


def test_shared_settings_are_read_from_drift_variables() -> None:
    names = environment_names(EngineSettings)
    assert names["temporal_address"] == "DRIFT_TEMPORAL_ADDRESS"
    assert names["store_url"] == "DRIFT_STORE_URL"
    settings = load_settings(
        EngineSettings,
        {"DRIFT_TEMPORAL_NAMESPACE": "prod", "DRIFT_REDIS_SENTINELS": '["s1:26379"]'},
    )
    assert settings.temporal_namespace == "prod"
    assert settings.redis_sentinels == ["s1:26379"]
    assert settings.temporal_address == "127.0.0.1:7233"


def test_each_payload_type_has_one_decoder_built_by_one_thread() -> None:
    """Workflow threads decoding a type for the first time at once share one decoder."""

    class Fresh(msgspec.Struct):
        name: str
        count: int = 0

    built: list[msgspec.json.Decoder[Any]] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        built.append(decoder_for(Fresh))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(decoder) for decoder in built}) == 1
    converter = MsgspecJSONConverter()
    payload = converter.to_payload(Fresh(name="a", count=2))
    assert payload is not None
    assert converter.from_payload(payload, Fresh) == Fresh(name="a", count=2)
    prepare_decoders([RunInput, list[RunInput]])
    assert decoder_for(RunInput) is decoder_for(RunInput)
    assert decoder_for(list[RunInput]).decode(b"[]") == []
