"""The Litestar application of the REST API, composed from a store, an engine and settings.

:func:`create_app` is the one place where the API is assembled: the definition service
and the run gateway over the given store and engine (a Temporal client is wrapped in
:class:`drift_api.temporal_engine.TemporalEngine`), the API keys, the routes,
the problem-details handlers, the OpenAPI document with its offline docs page, request
metrics and OpenTelemetry traces. The ``drift-api`` command, the tests and the
benchmarks all build the API through it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.plugins.prometheus import PrometheusConfig
from litestar.response import Redirect
from opentelemetry.trace import TracerProvider
from temporalio.client import Client

from drift_api.admission import SyncAdmission
from drift_api.allow import allowed_methods, answer_options
from drift_api.auth import ApiKeys
from drift_api.callback_check import CallbackCheck
from drift_api.console import console_router
from drift_api.definition_routes import definition_router
from drift_api.definitions import DefinitionService
from drift_api.dependencies import Services
from drift_api.engine import Engine
from drift_api.engine_connection import ConnectingEngine
from drift_api.json_guard import guard_request_body
from drift_api.key_routes import ApiKeyController
from drift_api.openapi import add_dsl_schemas, openapi_config, swagger_files
from drift_api.pictures import PictureError
from drift_api.problems import exception_handlers, problem_response
from drift_api.run_bulk_routes import BulkController
from drift_api.run_list_routes import RunListController
from drift_api.run_routes import RunController
from drift_api.runs import RunGateway
from drift_api.scenario_gate import ScenarioGate
from drift_api.settings import ApiSettings
from drift_api.start_hint import StartHints
from drift_api.temporal_engine import TemporalEngine
from drift_models.temporal import spans_recorded, with_claim_check
from drift_nodes import NodeResources, NodeSettings, OutboundGuard, check_script, discover_nodes
from drift_store import (
    ClaimCheck,
    DefinitionCache,
    DefinitionKind,
    Store,
    blob_store,
    redis_address,
)

__all__ = ["create_app", "temporal_engine"]

#: The OpenAPI document's version is the installed drift-api's (pyproject.toml is its source).
_VERSION = version("drift-api")


def _picture_failed(request: Request[Any, Any, Any], error: PictureError) -> Response[bytes]:
    return problem_response(request, 503, f"the picture cannot be drawn: {error}")


@get("/docs", include_in_schema=False)
async def _docs() -> Redirect:
    """The API docs page (Swagger UI, served offline)."""
    return Redirect("/schema/swagger")


def _claim_checked(client: Client, store: Store) -> Client:
    if getattr(client, "config", None) is None:  # an app for definitions alone has none
        return client
    try:
        blobs = blob_store(store)
    except TypeError:
        return client
    return with_claim_check(client, ClaimCheck(blobs))


async def _no_engine() -> Engine:
    raise LookupError("this app was made for definitions alone (no engine, no Temporal client)")


def temporal_engine(
    client: Client, store: Store, settings: ApiSettings, node_settings: NodeSettings
) -> TemporalEngine:
    """The engine over Temporal that the app uses.

    Args:
        client: a Temporal client connected with
            :data:`drift_models.temporal.DATA_CONVERTER`; the engine uses the same
            connection with the claim check over the store's blobs.
        store: the store (its contexts answer when Temporal cannot, its blobs hold
            big payloads).
        settings: the API's settings.
        node_settings: the node runtime's settings (their allow-list judges callbacks).
    """
    return TemporalEngine(
        _claim_checked(client, store),
        task_queue=settings.task_queue,
        contexts=store.contexts,
        query_timeout=settings.query_timeout_seconds,
        sync_timeout=settings.sync_timeout_seconds,
        callbacks=CallbackCheck(OutboundGuard(node_settings.http.allow_hosts)),
        late_budget=settings.late_answer_seconds,
        max_redrives=settings.max_redrives,
    )


def create_app(
    *,
    store: Store,
    settings: ApiSettings,
    client: Client | None = None,
    engine: Engine | None = None,
    cache: DefinitionCache | None = None,
    keys: ApiKeys | None = None,
    tracer_provider: TracerProvider | None = None,
    node_settings: NodeSettings | None = None,
) -> Litestar:
    """The REST API over ``store`` and an engine (``engine``, or Temporal through ``client``).

    Args:
        store: definitions and run contexts (its node types decode request bodies).
        settings: the API's settings.
        client: a Temporal client connected with
            :data:`drift_models.temporal.DATA_CONVERTER` (see :func:`connect_temporal`); the
            app uses the same connection with the claim check over the store's blobs.
        engine: the workflow engine, instead of ``client`` (a test's fake, say). With
            neither, the app serves definitions and answers run calls with ``503``.
        cache: the definition cache to read through; by default one is made over the
            store (with Redis invalidation when ``settings.redis_url`` is set) and
            started and closed with the app.
        keys: the API keys; by default read from ``settings``.
        tracer_provider: where request spans go; the global provider by default. With
            neither (or ``settings.tracing`` off) requests make no spans.
        node_settings: the node runtime's settings the workers use (read from the
            environment by default); their HTTP allow-list judges callback addresses.
    """
    own_cache = cache is None
    nodes = node_settings or NodeSettings.from_env()
    callbacks = CallbackCheck(OutboundGuard(nodes.http.allow_hosts))
    if engine is None:
        engine = (
            ConnectingEngine(_no_engine)
            if client is None
            else temporal_engine(client, store, settings, nodes)
        )
    redis = redis_address(
        url=settings.redis_url,
        sentinels=settings.redis_sentinels,
        master=settings.redis_master,
        password=settings.redis_password,
    )
    definition_cache = cache or DefinitionCache(store.definitions, redis_url=redis)
    node_types = store.definitions.node_types
    # The publish gate runs scenarios with the installed node types, scripts in the node
    # runtime's sandboxes (started on first use, stopped with the app).
    gate_resources = NodeResources(nodes)
    registry = discover_nodes(allow=nodes.allow)
    gate = ScenarioGate(store.scenarios, registry, gate_resources)
    definitions = DefinitionService(
        store.definitions, definition_cache, node_types, check_script, gate=gate
    )
    runs = RunGateway(
        engine,
        definitions=definitions,
        contexts=store.contexts,
        sync_timeout=settings.sync_timeout_seconds,
        callbacks=callbacks,
        admission=SyncAdmission(
            settings.max_sync_waits, retry_after=settings.overload_retry_after_seconds
        ),
        late_budget=settings.late_answer_seconds,
        start_hints=StartHints(definitions, registry),
    )
    services = Services(
        settings=settings,
        keys=keys
        or ApiKeys(
            settings.api_keys,
            pepper=settings.api_key_pepper,
            bootstrap=settings.bootstrap_api_key,
            enabled=settings.auth,
            store=store.api_keys,
            cache_seconds=settings.api_key_cache_seconds,
        ),
        definitions=definitions,
        runs=runs,
    )

    @contextlib.asynccontextmanager
    async def cache_lifespan(_: Litestar) -> AsyncIterator[None]:
        if own_cache:
            await definition_cache.start()
        try:
            yield
        finally:
            if own_cache:
                await definition_cache.close()
            await gate_resources.close()

    allowed: dict[str, str] = {}

    async def before_request(request: Request[Any, Any, Any]) -> Response[None] | None:
        if request.method == "OPTIONS":
            return answer_options(request, allowed)
        await guard_request_body(request)
        return None

    # Spans only where something records them: no-op spans would still cost their
    # bookkeeping on every request.
    traced = settings.tracing and (tracer_provider is not None or spans_recorded())
    metrics = PrometheusConfig(app_name="drift_api", prefix="drift_api", group_path=True)
    # One span per request: the instrumentation's extra "http send"/"http receive" spans
    # (one per ASGI message, three or more a call) repeat what the request span says.
    tracing = OpenTelemetryConfig(
        tracer_provider=tracer_provider, exclude_spans=["receive", "send"]
    )
    app = Litestar(
        route_handlers=[
            RunController,
            RunListController,
            BulkController,
            ApiKeyController,
            definition_router(DefinitionKind.NODE),
            definition_router(DefinitionKind.WORKFLOW),
            swagger_files(),
            _docs,
            console_router(),
        ],
        state=State({"services": services}),
        exception_handlers={**exception_handlers(), PictureError: _picture_failed},
        openapi_config=openapi_config(_VERSION),
        request_max_body_size=settings.max_body_bytes,
        before_request=before_request,
        middleware=[metrics.middleware] if settings.request_metrics else [],
        plugins=[OpenTelemetryPlugin(tracing)] if traced else [],
        cors_config=CORSConfig(allow_origins=settings.cors_origins)
        if settings.cors_origins
        else None,
        lifespan=[cache_lifespan],
    )
    add_dsl_schemas(app, node_types)
    allowed.update(allowed_methods(app))
    return app
