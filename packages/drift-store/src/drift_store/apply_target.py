"""Apply definitions straight into a definition store, refusing what the API refuses.

:class:`StoreApplyTarget` is the store's side of :func:`drift_models.apply.apply_definitions`
(``drift dev``'s seeding and the test harnesses use it): writes go to the store's
SNAPSHOT, the checks are the API's (:func:`~drift_store.definition_checks.definition_problems`),
and a node definition with errors is refused before it is written, as the API refuses it.
Given the store's scenario documents and a scenario check (the API's publish gate), it
keeps a workflow's scenarios too and refuses to publish a workflow whose scenarios fail,
as the API refuses it.
"""

from __future__ import annotations

from typing import Final

from drift_models import NodeDefinition, Problem, ScriptChecker, WorkflowDefinition, has_errors
from drift_models.apply import ApplyKind, ApplyRefusedError, DraftVersion
from drift_store.definition_checks import (
    ScenarioCheck,
    definition_problems,
    node_resolver,
    workflow_loader,
)
from drift_store.definitions import DefinitionStore
from drift_store.errors import DefinitionNotFoundError
from drift_store.records import Definition, DefinitionKind
from drift_store.scenarios import ScenarioStore

__all__ = ["StoreApplyTarget"]

_KINDS: Final[dict[ApplyKind, DefinitionKind]] = {
    "node": DefinitionKind.NODE,
    "workflow": DefinitionKind.WORKFLOW,
}


class StoreApplyTarget:
    """A :class:`drift_models.apply.ApplyTarget` over one tenant of a definition store.

    Args:
        store: the definition store.
        tenant: the tenant written to.
        check_script: compiles scripts during the checks (the API passes drift-nodes'
            ``check_script``; without it scripts are not compiled).
        scenarios: where workflows' scenario documents are kept (``None``: scenarios
            cannot be applied to this target).
        check_scenarios: runs a workflow's stored scenarios before it is published (the
            API's publish gate); its problems refuse the publish.
    """

    def __init__(
        self,
        store: DefinitionStore,
        tenant: str,
        *,
        check_script: ScriptChecker | None,
        scenarios: ScenarioStore | None = None,
        check_scenarios: ScenarioCheck | None = None,
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.scenarios = scenarios
        self._check_script = check_script
        self._check_scenarios = check_scenarios

    async def read(
        self, kind: ApplyKind, definition_id: str, version: DraftVersion
    ) -> Definition | None:
        """The stored SNAPSHOT or LATEST version (``None``: there is none)."""
        try:
            stored = await self.store.get(self.tenant, _KINDS[kind], definition_id, version)
        except DefinitionNotFoundError:
            return None
        return stored.definition

    async def write(self, definition: Definition, *, exists: bool) -> None:
        """Store the draft; a node definition with errors is refused, nothing saved."""
        if isinstance(definition, NodeDefinition):
            problems = await self.problems(definition)
            if has_errors(problems):
                message = f"node definition {definition.id!r} has errors; nothing was saved"
                raise ApplyRefusedError("node", definition.id, message, problems)
        del exists  # the store's upsert needs no telling
        await self.store.put(self.tenant, definition)

    async def problems(self, definition: Definition) -> list[Problem]:
        """Every problem of ``definition``, found as the API finds them before publishing.

        A workflow without errors whose stored scenarios fail has one problem per failing
        scenario (when a scenario check was given).
        """
        found = await definition_problems(
            self.store, self.tenant, definition, check_script=self._check_script
        )
        check = self._check_scenarios
        if check is None or has_errors(found) or not isinstance(definition, WorkflowDefinition):
            return found
        resolve = await node_resolver(self.store, self.tenant, definition)
        load_child = workflow_loader(self.store, self.tenant)
        return [*found, *await check(self.tenant, definition, resolve, load_child)]

    async def read_scenarios(self, workflow_id: str) -> bytes | None:
        """The workflow's stored scenario document (``None``: it has none)."""
        stored = await self._scenario_store().get(self.tenant, workflow_id)
        return None if stored is None else stored.data

    async def write_scenarios(self, workflow_id: str, document: bytes) -> None:
        """Store the workflow's scenario document."""
        await self._scenario_store().put(self.tenant, workflow_id, document)

    def _scenario_store(self) -> ScenarioStore:
        if self.scenarios is None:
            msg = "this StoreApplyTarget was given no scenario store: pass scenarios="
            raise TypeError(msg)
        return self.scenarios

    async def publish(self, kind: ApplyKind, definition_id: str) -> int:
        """Freeze the SNAPSHOT as the next number."""
        stored = await self.store.publish(self.tenant, _KINDS[kind], definition_id)
        number = stored.definition.version
        if not isinstance(number, int):
            msg = f"the store published {kind} {definition_id!r} without a number: {number!r}"
            raise TypeError(msg)
        return number

    async def active(self, kind: ApplyKind, definition_id: str) -> int | None:
        """The number ``ACTIVE`` points at (``None``: nothing is active)."""
        try:
            pointers = await self.store.pointers(self.tenant, _KINDS[kind], definition_id)
        except DefinitionNotFoundError:
            return None
        return pointers.active

    async def activate(self, kind: ApplyKind, definition_id: str, version: int) -> None:
        """Point ``ACTIVE`` at ``version``."""
        await self.store.activate(self.tenant, _KINDS[kind], definition_id, version)
