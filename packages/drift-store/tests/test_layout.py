"""Row keys, tenancy and the activation rule, shared by every backend."""

from __future__ import annotations

import pytest

from drift_store import DefinitionKind, DefinitionNotFoundError, InvalidKeyError
from drift_store._hbase_client import prefix_stop
from drift_store._layout import (
    check_run_id,
    check_tenant,
    context_row,
    definition_prefix,
    definition_row,
    parse_version,
    pointer_row,
)
from drift_store.backend import RawPointers, next_activation

NODE = DefinitionKind.NODE


def test_row_keys_follow_the_spec_with_a_tenant_prefix() -> None:
    assert definition_row("acme", "refund", 3) == "acme/refund_3"
    assert definition_row("acme", "refund", None) == "acme/refund_SNAPSHOT"
    assert pointer_row("acme", DefinitionKind.WORKFLOW, "refund") == "acme/workflow/refund"
    assert context_row("acme", "run/with/slashes") == "acme/run/with/slashes"


def test_version_rows_of_ids_that_share_a_prefix_are_told_apart() -> None:
    prefix = definition_prefix("acme", "a")
    assert definition_row("acme", "a_b", 1).startswith(prefix)
    assert parse_version(definition_row("acme", "a", 12), "a") == 12
    assert parse_version(definition_row("acme", "a", None), "a") is None
    assert parse_version(definition_row("acme", "a_b", 1), "a") is False
    assert parse_version(definition_row("acme", "a_1", None), "a") is False
    assert parse_version(definition_row("acme", "a_1", 2), "a") is False


def test_a_tenant_prefix_scan_stops_before_the_next_tenant() -> None:
    stop = prefix_stop(b"acme/")
    assert stop == b"acme0"
    assert stop > b"acme/zzz\xf4\x8f\xbf\xbf"
    for other_tenant in (b"acme-eu/x", b"acme.x/x", b"acme0/x"):
        assert not (b"acme/" <= other_tenant < stop)
    assert prefix_stop(b"a\xff\xff") == b"b"


@pytest.mark.parametrize("tenant", ["acme", "ACME_1", "client.eu-west", "мандант", "租户"])
def test_good_tenants(tenant: str) -> None:
    assert check_tenant(tenant) == tenant


@pytest.mark.parametrize("tenant", ["", "a/b", "a b", "a\n", "x" * 129, "a:b"])
def test_bad_tenants(tenant: str) -> None:
    with pytest.raises(InvalidKeyError, match="tenant"):
        check_tenant(tenant)


@pytest.mark.parametrize("run_id", ["", "x" * 513, "tab\there", "nul\x00"])
def test_bad_run_ids(run_id: str) -> None:
    with pytest.raises(InvalidKeyError, match="run id"):
        check_run_id(run_id)


def activation(current: RawPointers, version: int | None) -> tuple[int, tuple[int, ...]]:
    return next_activation(current, version, tenant="t", kind=NODE, definition_id="n")


def test_activation_keeps_a_bounded_history() -> None:
    state = RawPointers(latest=30)
    for version in range(1, 31):
        active, history = activation(state, version)
        state = RawPointers(latest=30, active=active, previously_active=history)
    assert state.active == 30
    assert state.previously_active == tuple(range(29, 9, -1))
    assert activation(state, 30) == (30, state.previously_active)  # no duplicate entry
    assert activation(state, None) == (29, tuple(range(28, 9, -1)))


def test_activation_refuses_what_is_not_published() -> None:
    with pytest.raises(DefinitionNotFoundError, match=r"published: none"):
        activation(RawPointers(), 1)
    with pytest.raises(DefinitionNotFoundError, match=r"published: 1\.\.2"):
        activation(RawPointers(latest=2), 3)
    with pytest.raises(DefinitionNotFoundError, match="roll back"):
        activation(RawPointers(latest=2, active=2), None)
