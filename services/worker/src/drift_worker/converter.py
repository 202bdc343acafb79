"""Drift's Temporal data converter, kept under its old name for existing imports.

The converter and its claim-check codec are the engine contract's, shared with the API:
see :mod:`drift_models.temporal`.
"""

from __future__ import annotations

from drift_models.temporal import (
    DATA_CONVERTER,
    ClaimCheckCodec,
    MsgspecJSONConverter,
    MsgspecPayloadConverter,
    data_converter,
)

__all__ = [
    "DATA_CONVERTER",
    "ClaimCheckCodec",
    "MsgspecJSONConverter",
    "MsgspecPayloadConverter",
    "data_converter",
]
