"""API keys and the caller's headers (unit tests: no server)."""

from __future__ import annotations

import pytest

from drift_api.auth import ApiKeys, hash_api_key, new_api_key, read_caller
from drift_api.problems import ApiError

PEPPER = "pepper"


def keys(**extra: object) -> ApiKeys:
    entry = f"acme:k1:{hash_api_key('secret-acme', PEPPER)}"
    return ApiKeys([entry], pepper=PEPPER, bootstrap="operator", **extra)  # type: ignore[arg-type]


def headers(**values: str) -> dict[str, str]:
    return {name.lower(): value for name, value in values.items()}


def test_hashes_depend_on_the_pepper_and_keys_are_random() -> None:
    assert hash_api_key("k", "a") != hash_api_key("k", "b")
    assert len(hash_api_key("k", "a")) == 64
    assert new_api_key() != new_api_key()
    assert new_api_key().startswith("drift_")


async def test_a_tenant_key_acts_for_its_tenant_only() -> None:
    accepted = keys()
    caller = await read_caller(
        headers(**{"X-Tenant-Id": "acme", "X-Client-Id": "ui", "X-Api-Key": "secret-acme"}),
        accepted,
    )
    assert (caller.tenant_id, caller.client_id, caller.user_id) == ("acme", "ui", None)
    with pytest.raises(ApiError) as foreign:
        await read_caller(
            headers(**{"X-Tenant-Id": "globex", "X-Client-Id": "ui", "X-Api-Key": "secret-acme"}),
            accepted,
        )
    assert foreign.value.status == 403


async def test_the_bootstrap_key_acts_for_every_tenant() -> None:
    caller = await read_caller(
        headers(
            X_TENANT_ID="globex",
            X_CLIENT_ID="batch",
            X_USERNAME_ID="ada",
            Authorization="Bearer operator",
        ),
        keys(),
    )
    assert (caller.tenant_id, caller.client_id, caller.user_id) == ("globex", "batch", "ada")
    assert caller.thread_context.user_id == "ada"


@pytest.mark.parametrize("key", [None, "", "wrong"])
async def test_missing_or_unknown_keys_are_401(key: str | None) -> None:
    values = {"X-Tenant-Id": "acme", "X-Client-Id": "ui"}
    if key is not None:
        values["X-Api-Key"] = key
    with pytest.raises(ApiError) as refused:
        await read_caller(headers(**values), keys())
    assert refused.value.status == 401
    assert refused.value.headers == {"WWW-Authenticate": "Bearer"}


async def test_bad_headers_are_400_with_every_problem() -> None:
    with pytest.raises(ApiError) as refused:
        await read_caller(headers(**{"X-Api-Key": "operator", "X-Tenant-Id": "a/b"}), keys())
    assert refused.value.status == 400
    assert [p.path for p in refused.value.errors] == ["header:X-Tenant-Id", "header:X-Client-Id"]


async def test_disabled_auth_still_needs_the_tenant() -> None:
    open_door = keys(enabled=False)
    caller = await read_caller(headers(**{"X-Tenant-Id": "acme", "X-Client-Id": "c"}), open_door)
    assert caller.tenant_id == "acme"
    with pytest.raises(ApiError):
        await read_caller(headers(**{"X-Client-Id": "c"}), open_door)


def test_malformed_entries_are_refused_at_start() -> None:
    with pytest.raises(ValueError, match="tenant:keyId:hash"):
        ApiKeys(["acme-only"], pepper=PEPPER)
