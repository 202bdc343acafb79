"""The worker's settings: environment variables ``DRIFT_*`` and an optional file.

See :func:`drift_models.settings.load_settings` for how they are read. The node runtime
(script limits, the HTTP guard's allow-list, plugin choice) reads its own ``DRIFT_*``
variables through :class:`drift_nodes.NodeSettings`. Every field here is settable from
the Helm chart's values.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["WorkerSettings"]

Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]


class WorkerSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How a worker connects and behaves.

    Attributes:
        temporal_address: the Temporal frontend, ``host:port``.
        temporal_namespace: the Temporal namespace.
        task_queue: the task queue runs are scheduled on.
        store_url: ``sqlite:///path``, ``sqlite://:memory:`` or ``hbase://host:port``.
        redis_url: a plain Redis for the definition cache and run events, if any.
        redis_sentinels: Sentinel addresses (``host:port``); when set they win over
            ``redis_url`` and the client follows the master through failovers.
        redis_master: the Sentinel master's name.
        redis_password: the Redis password, if any.
        host: the address the admin and metrics servers listen on (``127.0.0.1`` keeps
            them on this machine; ``::`` for IPv6-only clusters).
        app_port: the worker's own port (reserved for a future data-plane endpoint).
        admin_port: health and readiness (``/healthz``, ``/readyz``).
        metrics_port: Prometheus metrics (``/metrics``); 0 turns them off.
        callback_secret: the key of the HMAC signature on callbacks.
        history_limit: continue a run as new once its history has this many events.
        max_concurrent_activities: activities run at once by this worker.
        max_concurrent_local_activities: local activities run at once.
        enum_store_file: a YAML or JSON file of tenant → lookup values (``_enum_store``).
        shutdown_grace_seconds: how long running activities get to finish on shutdown.
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
    host: str = "0.0.0.0"  # noqa: S104 - a pod serves its probes on every interface
    app_port: Port = 7200
    admin_port: Port = 7201
    metrics_port: Port = 9090
    callback_secret: str | None = None
    history_limit: Annotated[int, msgspec.Meta(ge=100)] = 10_000
    max_concurrent_activities: Annotated[int, msgspec.Meta(ge=1)] = 100
    max_concurrent_local_activities: Annotated[int, msgspec.Meta(ge=1)] = 200
    enum_store_file: str | None = None
    shutdown_grace_seconds: Annotated[float, msgspec.Meta(ge=0)] = 20.0
    log_level: str = "INFO"
