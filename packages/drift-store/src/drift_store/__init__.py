"""Drift storage: definitions and run contexts in SQLite or HBase, and the definition cache.

- :func:`open_store` opens a :class:`Store` from a URL (``sqlite:///.drift/drift.db``,
  ``sqlite://:memory:``, ``hbase://host:9090?prefix=drift_``).
- ``store.definitions`` (:class:`DefinitionStore`): SNAPSHOT drafts, publishing to the
  next number, LATEST and ACTIVE, history and listings, scoped by tenant.
- ``store.contexts`` (:class:`ContextStore`): each run's context with a compare-and-set
  on its revision.
- ``store.api_keys`` (:class:`ApiKeyStore`): the REST API's keys, kept as digests;
  ``store.blobs`` (:class:`BlobStore`); ``store.scenarios`` (:class:`ScenarioStore`),
  each workflow's scenario document. The store's ``clock`` stamps them all.
- :class:`DefinitionCache`: numbered versions cached in process; LATEST / ACTIVE cached
  and invalidated across processes through Redis pub/sub.
- :class:`ClaimCheck` over ``store.blobs``: content-addressed blobs that keep big
  Temporal payloads out of Temporal (see :mod:`drift_store.blobs`).
- :mod:`drift_store.testing`: the conformance kit every backend passes.

SQLite needs nothing more; ``hbase://`` URLs need the ``hbase`` extra and Redis the
``redis`` extra (:mod:`drift_store.extras`): without it the call that needs it raises
:class:`MissingExtraError` naming the extra to install.
"""

from __future__ import annotations

import importlib.metadata

from drift_store.api_keys import ApiKeyRecord, ApiKeyStore, api_key_store
from drift_store.backend import Backend, ContextBackend, DefinitionBackend
from drift_store.blobs import (
    CLAIM_ENCODING,
    CLAIM_KEY,
    DEFAULT_CLAIM_THRESHOLD,
    BlobBackend,
    BlobNotFoundError,
    BlobStore,
    ClaimCheck,
    CorruptBlobError,
    blob_store,
)
from drift_store.cache import CacheStats, DefinitionCache
from drift_store.contexts import ContextStore, UndecodableContextError
from drift_store.definitions import DefinitionStore
from drift_store.errors import (
    AlreadyExistsError,
    BackendUnavailableError,
    ConflictError,
    DefinitionNotFoundError,
    InvalidDefinitionError,
    InvalidKeyError,
    MissingExtraError,
    NotFoundError,
    RevisionConflict,
    RunNotFoundError,
    StoreError,
    StoreUrlError,
    UndecodableDefinitionError,
)
from drift_store.reader import DefinitionReader
from drift_store.records import (
    ContextRecord,
    Definition,
    DefinitionKind,
    DefinitionSummary,
    Page,
    Pointers,
    StoredDefinition,
    VersionInfo,
)
from drift_store.redis import RedisAddressError, connect_redis, redis_address
from drift_store.scenarios import ScenarioBackend, ScenarioStore, StoredScenarios
from drift_store.store import Store, connect_store, open_store
from drift_store.urls import HBaseUrl, SqliteUrl, parse_store_url

#: The installed distribution's version: pyproject.toml is its one source.
__version__ = importlib.metadata.version("drift-store")

__all__ = [
    "CLAIM_ENCODING",
    "CLAIM_KEY",
    "DEFAULT_CLAIM_THRESHOLD",
    "AlreadyExistsError",
    "ApiKeyRecord",
    "ApiKeyStore",
    "Backend",
    "BackendUnavailableError",
    "BlobBackend",
    "BlobNotFoundError",
    "BlobStore",
    "CacheStats",
    "ClaimCheck",
    "ConflictError",
    "ContextBackend",
    "ContextRecord",
    "ContextStore",
    "CorruptBlobError",
    "Definition",
    "DefinitionBackend",
    "DefinitionCache",
    "DefinitionKind",
    "DefinitionNotFoundError",
    "DefinitionReader",
    "DefinitionStore",
    "DefinitionSummary",
    "HBaseUrl",
    "InvalidDefinitionError",
    "InvalidKeyError",
    "MissingExtraError",
    "NotFoundError",
    "Page",
    "Pointers",
    "RedisAddressError",
    "RevisionConflict",
    "RunNotFoundError",
    "ScenarioBackend",
    "ScenarioStore",
    "SqliteUrl",
    "Store",
    "StoreError",
    "StoreUrlError",
    "StoredDefinition",
    "StoredScenarios",
    "UndecodableContextError",
    "UndecodableDefinitionError",
    "VersionInfo",
    "__version__",
    "api_key_store",
    "blob_store",
    "connect_redis",
    "connect_store",
    "open_store",
    "parse_store_url",
    "redis_address",
]
