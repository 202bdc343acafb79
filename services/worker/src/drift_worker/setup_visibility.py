"""``drift-worker setup-search-attributes``: register Drift's search attributes, idempotently.

A dev server gets them from its command line (:mod:`drift_worker.devserver`); a cluster
needs them created once per namespace, before the first run starts (Temporal refuses
a start whose attributes it does not know). The command adds the missing ones, leaves
the present ones alone, and refuses (exit code 1, with a sentence) when a name exists
with another type, which only an operator can resolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client

from drift_models.visibility import SEARCH_ATTRIBUTES

__all__ = ["SetupReport", "setup_search_attributes"]

_TYPES: Final = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}


@dataclass
class SetupReport:
    """What the setup did.

    Attributes:
        added: names created now.
        present: names that were already there with the right type.
        conflicts: sentences about names that exist with another type.
    """

    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


async def setup_search_attributes(client: Client, namespace: str) -> SetupReport:
    """Create every Drift search attribute the namespace lacks; report what it found."""
    listing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    known = dict(listing.custom_attributes)
    report = SetupReport()
    missing: dict[str, IndexedValueType.ValueType] = {}
    for attribute in SEARCH_ATTRIBUTES:
        wanted = _TYPES[attribute.type]
        have = known.get(attribute.name)
        if have is None:
            missing[attribute.name] = wanted
        elif have == wanted:
            report.present.append(attribute.name)
        else:
            held = IndexedValueType.Name(have).removeprefix("INDEXED_VALUE_TYPE_").title()
            report.conflicts.append(
                f"{attribute.name} exists in namespace {namespace!r} as {held}, but Drift needs "
                f"{attribute.type}; remove it (temporal operator search-attribute remove) "
                "and run this again"
            )
    if missing and not report.conflicts:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
        report.added = sorted(missing)
    return report
