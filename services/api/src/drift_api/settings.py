"""The API's settings: environment variables ``DRIFT_*`` and an optional file.

See :func:`drift_models.settings.load_settings` for how they are read: the field
``sync_timeout_seconds`` is the variable ``DRIFT_SYNC_TIMEOUT_SECONDS``, and so on. Every
field is settable from the Helm chart's values.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from drift_models.engine_settings import EngineSettings, Port

__all__ = ["ApiSettings"]


class ApiSettings(EngineSettings, kw_only=True, forbid_unknown_fields=True):
    """How the API connects and behaves.

    Where Temporal, the store and Redis are, the listening address, the metrics port
    and the log level are :class:`~drift_models.engine_settings.EngineSettings`' fields.
    The API's Redis serves the definition cache's invalidation only; its
    ``redis_sentinels`` are declared for the chart and not wired yet. ``host`` is where
    its three servers listen.

    Attributes:
        app_port: the REST API.
        admin_port: liveness and readiness (``/healthz``, ``/readyz``).
        sync_timeout_seconds: how long a sync call waits for the next stable point
            before it answers ``202`` with the run's current state.
        query_timeout_seconds: how long reading a run waits for Temporal's answer
            before it falls back to the stored context.
        max_sync_waits: the most sync calls (start, resume, utility, terminate without a
            ``callbackUrl``) one API process waits for at once; the next ones answer
            ``429`` with ``Retry-After`` at once, and nothing is sent for them.
        overload_retry_after_seconds: the least ``Retry-After`` of that ``429``; under
            load it is the recent mean time of an admitted call (at most 60 s).
        late_answer_seconds: how long a sync call past its timeout may spend finding
            the state it answers with ``202``; every sync call is answered within
            ``sync_timeout_seconds`` plus this.
        max_body_bytes: the largest request body accepted (``413`` beyond).
        max_redrives: how many times one run may be redriven (``409`` beyond).
        auth: whether requests need an API key; turn off only on a developer's machine.
        bootstrap_api_key: a key valid for every tenant (the operator's), from a secret.
        api_keys: per-tenant keys as ``tenant:keyId:hash`` entries, where ``hash`` is
            ``drift-api hash-key`` 's HMAC-SHA256 of the key under ``api_key_pepper``.
        api_key_pepper: the HMAC key the stored hashes are made with (configuration
            entries and the store's key table alike).
        api_key_cache_seconds: how long an answer of the store's key table is reused;
            a revocation takes effect on every replica within this time.
        cors_origins: origins allowed by CORS; empty turns CORS off.
        tracing: OpenTelemetry spans for every request and Temporal call, when this
            process records spans (``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, or a tracer
            provider was installed before start); without one no span is made, and
            ``False`` turns them off even with one.
        request_metrics: Prometheus counters and histograms of every request.
        default_page_size: items per page of a listing when the caller names none.
    """

    app_port: Port = 8000
    admin_port: Port = 8001
    sync_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 10.0
    query_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=600)] = 5.0
    max_sync_waits: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 100
    overload_retry_after_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 1
    late_answer_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 1.0
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 4 * 1024 * 1024
    max_redrives: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 10
    auth: bool = True
    bootstrap_api_key: str | None = None
    api_keys: list[str] = []
    api_key_pepper: str = ""
    api_key_cache_seconds: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 5.0
    cors_origins: list[str] = []
    tracing: bool = True
    request_metrics: bool = True
    default_page_size: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 50
