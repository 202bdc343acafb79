"""The settings every engine service shares: where Temporal, the store and Redis are.

The API's and the worker's settings Structs derive from :class:`EngineSettings` and add
their own fields; each field is read from ``DRIFT_<FIELD>`` by
:func:`drift_models.settings.load_settings`, so the variables and their defaults are
the same for both services.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["EngineSettings", "Port"]

Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
"""A TCP port; 0 where a field says it turns its server off."""


class EngineSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How a service reaches Temporal, the store and Redis, and where it listens.

    Attributes:
        temporal_address: the Temporal frontend, ``host:port``.
        temporal_namespace: the Temporal namespace.
        task_queue: the task queue runs are started and scheduled on (the workers').
        store_url: ``sqlite:///path``, ``sqlite://:memory:`` or ``hbase://host:port``.
        redis_url: a plain Redis (the definition cache's invalidation; run events on a
            worker), if any.
        redis_sentinels: Sentinel addresses (``host:port``); on a worker they win over
            ``redis_url`` and the client follows the master through failovers.
        redis_master: the Sentinel master's name.
        redis_password: the Redis password, if any.
        host: the address the service's servers listen on (``127.0.0.1`` keeps them on
            this machine; ``::`` for IPv6-only clusters).
        metrics_port: Prometheus metrics (``/metrics``); 0 turns the server off.
        log_level: the Python log level.
    """

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "drift"
    store_url: str = "sqlite:///.drift/drift.db"
    redis_url: str | None = None
    redis_sentinels: list[str] = []
    redis_master: str = "mymaster"
    redis_password: str | None = None
    host: str = "0.0.0.0"  # noqa: S104 - a service in a pod listens on every address
    metrics_port: Port = 9090
    log_level: str = "INFO"
