"""The conformance kit of drift-store: one suite every backend passes.

A backend's test module subclasses :class:`StoreConformance` and provides an async
``store`` fixture; the suite brings every test (pytest with pytest-asyncio in auto
mode; ``pip install "drift-store[testing]"``)::

    import pytest
    from drift_store import open_store
    from drift_store.testing import StoreConformance


    class TestMyBackend(StoreConformance):
        @pytest.fixture
        async def store(self):
            async with open_store("sqlite://:memory:") as store:
                yield store

Each test works in tenants of its own (the ``tenant`` fixture), so one database may
serve a whole session. :mod:`drift_store.testing.hbase_server` and
:mod:`drift_store.testing.redis_server` start the real servers the suites run against.
"""

from __future__ import annotations

import pytest

from drift_store.testing._api_key_suite import ApiKeyConformance
from drift_store.testing._blob_suite import BlobConformance
from drift_store.testing._context_suite import ContextConformance
from drift_store.testing._definition_suite import DefinitionConformance
from drift_store.testing._samples import big_context, context, new_tenant, script_node, workflow
from drift_store.testing._scenario_suite import ScenarioConformance

__all__ = [
    "ApiKeyConformance",
    "BlobConformance",
    "ContextConformance",
    "DefinitionConformance",
    "ScenarioConformance",
    "StoreConformance",
    "big_context",
    "context",
    "new_tenant",
    "script_node",
    "workflow",
]


class StoreConformance(
    DefinitionConformance, ContextConformance, ApiKeyConformance, ScenarioConformance
):
    """Every conformance test; subclass it and provide an async ``store`` fixture.

    Definitions, contexts, API keys and scenario documents (every backend keeps them);
    the blobs have their own suite, :class:`BlobConformance`.
    """

    @pytest.fixture
    def tenant(self) -> str:
        """A tenant of this test alone."""
        return new_tenant()
