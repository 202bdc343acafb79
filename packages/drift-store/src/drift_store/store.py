"""Opening a store from its URL: definitions and contexts over one backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from drift_models import NodeTypes
from drift_store.api_keys import ApiKeyStore
from drift_store.backend import Backend
from drift_store.blobs import BlobStore
from drift_store.contexts import ContextStore
from drift_store.definitions import DefinitionStore
from drift_store.scenarios import ScenarioStore
from drift_store.sqlite import SqliteBackend
from drift_store.urls import HBaseUrl, parse_store_url

__all__ = ["Store", "connect_store", "open_store"]


class Store:
    """Definitions, run contexts, API keys and blobs of every tenant, over one backend.

    Args:
        backend: the storage engine.
        node_types: decodes stored definitions (plugins' node types too).
        clock: epoch milliseconds now, for every timestamp the store writes (definitions,
            contexts, API keys, blobs); tests pass a fake one.

    Attributes:
        definitions: node and workflow definitions with their versions.
        contexts: the context document of every run.
        api_keys: the REST API's keys, as digests.
        blobs: content-addressed blobs (the services' claim check).
        scenarios: each workflow's scenario document (the API's publish gate).
        backend: the storage engine underneath.
        clock: the clock given, or ``None`` for the system's.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        node_types: NodeTypes | None = None,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.definitions = DefinitionStore(backend.definitions, node_types, clock=clock)
        self.contexts = ContextStore(backend.contexts, clock=clock)
        self.api_keys = ApiKeyStore(backend.api_keys, clock=clock)
        self.blobs = BlobStore(backend.blobs, clock=clock)
        self.scenarios = ScenarioStore(backend.scenarios, clock=clock)

    @property
    def description(self) -> str:
        """Which backend and where, for logs and health checks."""
        return self.backend.description

    async def close(self) -> None:
        """Release the backend's connections and threads."""
        await self.backend.close()


async def connect_store(url: str, *, node_types: NodeTypes | None = None) -> Store:
    """Open the store at ``url``; the caller closes it (a service's lifespan, say).

    Raises:
        StoreUrlError: for a URL that names no supported backend.
        BackendUnavailableError: when the backend cannot be reached or opened.
    """
    parsed = parse_store_url(url)
    backend: Backend
    if isinstance(parsed, HBaseUrl):
        # Imported here: the Thrift client is loaded only by processes that use HBase.
        from drift_store.hbase import HBaseBackend  # noqa: PLC0415

        backend = await HBaseBackend.open(parsed)
    else:
        backend = await SqliteBackend.open(parsed.path, busy_timeout=parsed.busy_timeout)
    return Store(backend, node_types=node_types)


@asynccontextmanager
async def open_store(url: str, *, node_types: NodeTypes | None = None) -> AsyncIterator[Store]:
    """Open the store at ``url`` for the duration of an ``async with`` block.

    Example:
        >>> async def main() -> None:
        ...     async with open_store("sqlite://:memory:") as store:
        ...         print(await store.contexts.get("acme", "run-1"))

    Raises:
        StoreUrlError: for a URL that names no supported backend.
        BackendUnavailableError: when the backend cannot be reached or opened.
    """
    store = await connect_store(url, node_types=node_types)
    try:
        yield store
    finally:
        await store.close()
