"""The worker's settings: environment variables ``DRIFT_*`` and an optional file.

See :func:`drift_models.settings.load_settings` for how they are read. The node runtime
(script limits, the HTTP guard's allow-list, plugin choice) reads its own ``DRIFT_*``
variables through :class:`drift_nodes.NodeSettings`. Every field here is settable from
the Helm chart's values.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from drift_models.engine_settings import EngineSettings, Port

__all__ = ["WorkerSettings"]


class WorkerSettings(EngineSettings, kw_only=True, forbid_unknown_fields=True):
    """How a worker connects and behaves.

    Where Temporal, the store and Redis are, the listening address of the admin and
    metrics servers, the metrics port and the log level are
    :class:`~drift_models.engine_settings.EngineSettings`' fields.

    Attributes:
        app_port: the worker's own port (reserved for a future data-plane endpoint).
        admin_port: health and readiness (``/healthz``, ``/readyz``).
        callback_secret: the key of the HMAC signature on callbacks.
        history_limit: continue a run as new once its history has this many events.
        max_concurrent_activities: activities run at once by this worker.
        max_concurrent_local_activities: local activities run at once.
        max_cached_runs: runs this worker keeps in memory between their workflow tasks
            (the SDK's sticky cache); a run pushed out is replayed from its history at
            its next task, so size it above the runs moving at once (see the README).
        pollers: task polls of each kind (workflow, activity) this worker keeps open at
            once. ``0`` (the default) lets the SDK scale them between 1 and 100 on the
            server's feedback; a number keeps that many open, as the SDK's own default
            (5) does. On a task queue of several partitions (a cluster's default is
            four) the fixed five leave partitions unpolled, and under load about one
            call in twenty waited ~5 s for a task to be forwarded (docs/performance.md).
        enum_store_file: a YAML or JSON file of tenant → lookup values (``_enum_store``).
        shutdown_grace_seconds: how long running activities get to finish on shutdown.
        tracing: OpenTelemetry spans for every workflow, activity and node, continuing the
            caller's trace, when spans are recorded (``OTEL_EXPORTER_OTLP_ENDPOINT`` is
            set, or a tracer provider was installed before start; see
            :mod:`drift_worker.tracing`); ``False`` turns them off even then.
    """

    app_port: Port = 7200
    admin_port: Port = 7201
    callback_secret: str | None = None
    history_limit: Annotated[int, msgspec.Meta(ge=100)] = 10_000
    max_concurrent_activities: Annotated[int, msgspec.Meta(ge=1)] = 100
    max_concurrent_local_activities: Annotated[int, msgspec.Meta(ge=1)] = 200
    max_cached_runs: Annotated[int, msgspec.Meta(ge=1)] = 1000
    pollers: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0
    enum_store_file: str | None = None
    shutdown_grace_seconds: Annotated[float, msgspec.Meta(ge=0)] = 20.0
    tracing: bool = True
