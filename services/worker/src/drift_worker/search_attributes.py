"""Temporal's typed keys for Drift's search attributes, and what a run should show.

The names and types live in :mod:`drift_models.visibility`; this module makes Temporal
keys of them and computes, deterministically, which values changed since the run last
told Temporal, so the workflow upserts only those (one history event per stable point,
no extra workflow task: the upsert rides in the task that reached the stable point).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

from drift_models.visibility import (
    SA_ATTEMPT,
    SA_CLIENT,
    SA_NODE,
    SA_STATUS,
    SA_TENANT,
    SA_USER,
    SA_VERSION,
    SA_WORKFLOW,
)

__all__ = [
    "ATTEMPT",
    "CLIENT",
    "NODE",
    "STATUS",
    "TENANT",
    "USER",
    "VERSION",
    "WORKFLOW",
    "Shown",
    "changed",
    "shown_by",
    "start_attributes",
]

TENANT: Final = SearchAttributeKey.for_keyword(SA_TENANT)
WORKFLOW: Final = SearchAttributeKey.for_keyword(SA_WORKFLOW)
VERSION: Final = SearchAttributeKey.for_int(SA_VERSION)
STATUS: Final = SearchAttributeKey.for_keyword(SA_STATUS)
NODE: Final = SearchAttributeKey.for_keyword(SA_NODE)
CLIENT: Final = SearchAttributeKey.for_keyword(SA_CLIENT)
USER: Final = SearchAttributeKey.for_keyword(SA_USER)
ATTEMPT: Final = SearchAttributeKey.for_int(SA_ATTEMPT)

_KEYWORDS: Final = (TENANT, WORKFLOW, STATUS, NODE, CLIENT, USER)
_INTS: Final = (VERSION, ATTEMPT)

Shown = dict[str, str | int]
"""Attribute name → value, as Temporal holds them for a run."""


def shown_by(attributes: TypedSearchAttributes) -> Shown:
    """The Drift attributes a run holds (from ``workflow.info()``, so deterministic)."""
    shown: Shown = {}
    for key in _KEYWORDS:
        text = attributes.get(key)
        if text is not None:
            shown[key.name] = text
    for number in _INTS:
        value = attributes.get(number)
        if value is not None:
            shown[number.name] = value
    return shown


def changed(
    shown: Mapping[str, str | int], wanted: Mapping[str, str | int]
) -> list[SearchAttributeUpdate[Any]]:
    """The updates that make ``shown`` into ``wanted`` (values only ever set, never unset)."""
    updates: list[SearchAttributeUpdate[Any]] = []
    for key in _KEYWORDS:
        value = wanted.get(key.name)
        if isinstance(value, str) and shown.get(key.name) != value:
            updates.append(key.value_set(value))
    for number in _INTS:
        value = wanted.get(number.name)
        if isinstance(value, int) and shown.get(number.name) != value:
            updates.append(number.value_set(value))
    return updates


def start_attributes(values: Mapping[str, str | int]) -> TypedSearchAttributes:
    """The attributes a run starts with (they travel in its start event)."""
    pairs: list[SearchAttributePair[Any]] = []
    for key in _KEYWORDS:
        value = values.get(key.name)
        if isinstance(value, str) and value:
            pairs.append(SearchAttributePair(key, value))
    for number in _INTS:
        value = values.get(number.name)
        if isinstance(value, int):
            pairs.append(SearchAttributePair(number, value))
    return TypedSearchAttributes(pairs)
