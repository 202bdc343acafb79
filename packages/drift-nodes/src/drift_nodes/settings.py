"""Operator settings of the node runtime: script limits, the HTTP client, discovery.

Every setting has a safe default and can be read from the environment with
:meth:`NodeSettings.from_env` (twelve-factor), so a worker needs no code to tune them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated

import msgspec

__all__ = ["HttpSettings", "NodeSettings", "ScriptSettings"]

_MIB = 1024 * 1024


class ScriptSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Limits of script evaluation.

    Attributes:
        timeout_seconds: the time limit of one evaluation.
        memory_bytes: the address-space limit of each sandbox process; a script that
            needs more fails its node and the sandbox is replaced.
        max_callstack_size: the deepest Starlark call stack allowed (recursion depth).
        sandbox_processes: the most sandbox processes evaluating scripts in parallel;
            they start on demand (one first, another when every started one has been
            busy for a moment).
        max_result_bytes: the largest result (encoded) a script may return.
        in_process_fast_path: evaluate scripts that are provably bounded (straight-line
            assignments and one expression, no loops, no repetition past a small factor,
            a bounded weight of copied inputs) in the worker process itself, saving the
            round trip to a sandbox. Everything else always runs in a sandbox.
        cache_size: how many compiled scripts each process keeps.
    """

    timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 2.0
    memory_bytes: Annotated[int, msgspec.Meta(ge=64 * _MIB)] = 512 * _MIB
    max_callstack_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 64
    sandbox_processes: Annotated[int, msgspec.Meta(ge=1, le=64)] = 2
    max_result_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 16 * _MIB
    in_process_fast_path: bool = True
    cache_size: Annotated[int, msgspec.Meta(ge=1)] = 2048


class HttpSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The shared HTTP client of a worker and its outbound guard.

    Attributes:
        allow_hosts: host names (``orders.internal``) or IP networks (``10.1.0.0/16``,
            ``127.0.0.1``) the guard lets through although they are loopback, private,
            link-local or metadata addresses. Everything public is always allowed.
        default_timeout_seconds: the limit of one request when the node sets none.
        max_redirects: redirects followed per request; every hop passes the guard.
        max_response_bytes: a ceiling over every node's own ``maxResponseBytes``.
        connection_limit: open connections of the shared session.
        user_agent: the ``User-Agent`` sent when the node sets none.
    """

    allow_hosts: tuple[str, ...] = ()
    default_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    max_redirects: Annotated[int, msgspec.Meta(ge=0, le=50)] = 10
    max_response_bytes: Annotated[int, msgspec.Meta(ge=1)] = 50 * _MIB
    connection_limit: Annotated[int, msgspec.Meta(ge=1)] = 100
    user_agent: str = "drift-nodes"


class NodeSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """All settings of the node runtime.

    Attributes:
        scripts: script limits.
        http: the HTTP client and its guard.
        allow: node type name → the distribution whose node to use when several
            installed packages provide that type (discovery refuses such a clash
            otherwise).
    """

    scripts: ScriptSettings = ScriptSettings()
    http: HttpSettings = HttpSettings()
    allow: dict[str, str] = {}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NodeSettings:
        """Read settings from ``DRIFT_*`` variables; unset variables keep their default.

        ``DRIFT_SCRIPT_TIMEOUT_SECONDS``, ``DRIFT_SCRIPT_MEMORY_MB``,
        ``DRIFT_SCRIPT_PROCESSES``, ``DRIFT_SCRIPT_FAST_PATH`` (``0``/``1``),
        ``DRIFT_HTTP_ALLOW_HOSTS`` (comma-separated), ``DRIFT_HTTP_TIMEOUT_SECONDS``,
        ``DRIFT_HTTP_MAX_RESPONSE_MB``, ``DRIFT_NODES_ALLOW`` (``TYPE=distribution,…``).

        Raises:
            ValueError: naming the variable whose value is wrong.
        """
        env = os.environ if environ is None else environ
        scripts: dict[str, object] = {}
        http: dict[str, object] = {}
        _number(env, "DRIFT_SCRIPT_TIMEOUT_SECONDS", scripts, field="timeout_seconds", kind=float)
        _number(env, "DRIFT_SCRIPT_MEMORY_MB", scripts, field="memory_bytes", kind=int, scale=_MIB)
        _number(env, "DRIFT_SCRIPT_PROCESSES", scripts, field="sandbox_processes", kind=int)
        if "DRIFT_SCRIPT_FAST_PATH" in env:
            scripts["in_process_fast_path"] = env["DRIFT_SCRIPT_FAST_PATH"].strip() in {"1", "true"}
        if env.get("DRIFT_HTTP_ALLOW_HOSTS", "").strip():
            hosts = env["DRIFT_HTTP_ALLOW_HOSTS"].split(",")
            http["allow_hosts"] = tuple(h.strip() for h in hosts if h.strip())
        _number(
            env, "DRIFT_HTTP_TIMEOUT_SECONDS", http, field="default_timeout_seconds", kind=float
        )
        _number(
            env,
            "DRIFT_HTTP_MAX_RESPONSE_MB",
            http,
            field="max_response_bytes",
            kind=int,
            scale=_MIB,
        )
        allow: dict[str, str] = {}
        for item in env.get("DRIFT_NODES_ALLOW", "").split(","):
            if not item.strip():
                continue
            name, sep, distribution = item.partition("=")
            if not sep or not name.strip() or not distribution.strip():
                msg = f"DRIFT_NODES_ALLOW: {item.strip()!r} is not TYPE=distribution"
                raise ValueError(msg)
            allow[name.strip()] = distribution.strip()
        try:
            return cls(
                scripts=msgspec.convert(scripts, ScriptSettings),
                http=msgspec.convert(http, HttpSettings),
                allow=allow,
            )
        except msgspec.ValidationError as error:
            msg = f"bad DRIFT_* setting: {error}"
            raise ValueError(msg) from None


def _number(
    env: Mapping[str, str],
    variable: str,
    into: dict[str, object],
    *,
    field: str,
    kind: type[int | float],
    scale: int = 1,
) -> None:
    text = env.get(variable, "").strip()
    if not text:
        return
    try:
        into[field] = kind(text) * scale
    except ValueError:
        msg = f"{variable}={text!r} is not a number"
        raise ValueError(msg) from None
