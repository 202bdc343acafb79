"""The HBase backend: SPEC's tables through the Thrift1 gateway (aiohappybase).

Tables (family ``main``; ``?prefix=`` of the URL is prepended to each name):

- ``WorkflowHB`` / ``NodeHB``: row ``{tenant}/{id}_{version}`` (version a number or
  ``SNAPSHOT``); ``workflowKey`` / ``nodeKey`` (``{id}_{version}``), ``workflowData`` /
  ``nodeData`` (the JSON document), ``updatedAt``.
- ``DefinitionPointerHB``: row ``{tenant}/{kind}/{id}``; ``definitionId``, ``tenant``,
  ``kind``, ``counter`` (the atomic version counter), ``latest``, ``active`` (ACTIVE
  then earlier activations, ``"3,2"``), ``createdAt``, ``updatedAt``.
- ``WorkflowContextHB``: row ``{tenant}/{runId}``; ``contextKey``, ``context``,
  ``currentNode``, ``status``, ``createdAt``, ``updatedAt``, ``revision``, ``tenant``,
  ``workflowId``, ``workflowVersion``.

Numbers and timestamps are decimal text (epoch millis), readable in the HBase shell.
"""

from __future__ import annotations

from drift_store._hbase_api_keys import HBaseApiKeys
from drift_store._hbase_blobs import HBaseBlobs
from drift_store._hbase_client import HBaseClient
from drift_store._hbase_contexts import HBaseContexts
from drift_store._hbase_definitions import HBaseDefinitions
from drift_store._hbase_scenarios import HBaseScenarios
from drift_store._layout import ALL_TABLES
from drift_store.urls import HBaseUrl

__all__ = ["HBaseBackend"]


class HBaseBackend:
    """Definitions and contexts in HBase. Use :meth:`open`; :meth:`close` when done."""

    def __init__(self, client: HBaseClient) -> None:
        self._client = client
        self._definitions = HBaseDefinitions(client)
        self._contexts = HBaseContexts(client)
        self._api_keys = HBaseApiKeys(client)
        self._blobs = HBaseBlobs(client)
        self._scenarios = HBaseScenarios(client)

    @classmethod
    async def open(cls, url: HBaseUrl) -> HBaseBackend:
        """Connect, and create the tables that do not exist yet (idempotent).

        Raises:
            BackendUnavailableError: when the gateway cannot be reached or does not answer.
        """
        client = HBaseClient(url)
        try:
            await client.ensure_tables(ALL_TABLES)
        except BaseException:
            await client.close()
            raise
        return cls(client)

    @property
    def definitions(self) -> HBaseDefinitions:
        """The definition half."""
        return self._definitions

    @property
    def contexts(self) -> HBaseContexts:
        """The context half."""
        return self._contexts

    @property
    def api_keys(self) -> HBaseApiKeys:
        """The API keys of the REST API (see :mod:`drift_store.api_keys`)."""
        return self._api_keys

    @property
    def blobs(self) -> HBaseBlobs:
        """The blobs of the claim check (see :mod:`drift_store.blobs`)."""
        return self._blobs

    @property
    def scenarios(self) -> HBaseScenarios:
        """The workflows' scenario documents (see :mod:`drift_store.scenarios`)."""
        return self._scenarios

    @property
    def description(self) -> str:
        """``hbase host:port``."""
        return self._client.description

    async def close(self) -> None:
        """Close the pooled connections."""
        await self._client.close()
