"""The kind of activity a run's start state runs as, told to the engine with the start.

With :attr:`drift_models.RunInput.start_activity` set, the engine pins the run and runs
its first step in one activity of that kind (one local activity fewer per run). The rule
is the node registry's (:func:`drift_nodes.start_activity`, the one the worker's plan
follows); here it only gets the start state's node definition, from the same cache the
start read the workflow from. The hint never fails a start: when that read does not go
through, the hint is ``"local"``, which the engine checks.
"""

from __future__ import annotations

from drift_api.definitions import DefinitionService
from drift_models import NodeDefinition, StartActivity, VersionRef, WorkflowDefinition
from drift_nodes import NodeRegistry, start_activity
from drift_store import BackendUnavailableError, DefinitionKind, DefinitionNotFoundError

__all__ = ["StartHints"]


class StartHints:
    """Tells a run's start state's activity kind from the definitions the API reads.

    Args:
        definitions: the definitions (through their cache).
        registry: the installed node types; ``None``: the hint is always ``"local"``,
            which the engine checks (an I/O state then only pins in it).
    """

    def __init__(self, definitions: DefinitionService, registry: NodeRegistry | None) -> None:
        self._definitions = definitions
        self._registry = registry

    async def of(self, tenant: str, workflow: WorkflowDefinition) -> StartActivity:
        """The start state's activity kind; ``"local"`` whenever it cannot be told."""
        if self._registry is None:
            return "local"

        async def read_node(node_id: str, version: VersionRef) -> NodeDefinition | None:
            try:
                stored = await self._definitions.get(tenant, DefinitionKind.NODE, node_id, version)
            except (DefinitionNotFoundError, BackendUnavailableError):
                # Missing, or the store away: the engine tells (and waits the store out).
                return None
            definition = stored.definition
            return definition if isinstance(definition, NodeDefinition) else None

        return await start_activity(workflow, self._registry, read_node)
