"""Which layout a waiting run shows, from its definition rather than from the run.

The inbox groups waiting runs by the layout of the view they wait on. Asking each run
for its view would cost a call to every run on the page; the layout is fixed by the
run's workflow version and the state it stands at, so it is read from the definitions
instead (published versions come from the definition cache), once per distinct
workflow, version and state on the page.
"""

from __future__ import annotations

from collections.abc import Iterable

from drift_api.definitions import DefinitionService
from drift_models import InstructionNode, RunSummary
from drift_store import NotFoundError

__all__ = ["NO_VIEW", "layouts_of"]

NO_VIEW = "no view"
"""The group of waiting runs whose state shows no view (an event or a timer)."""

_Key = tuple[str, int | None, str | None]


async def _layout(definitions: DefinitionService, tenant: str, key: _Key) -> str:
    workflow_id, version, node = key
    if version is None or node is None:
        return NO_VIEW
    try:
        workflow = (await definitions.workflow(tenant, workflow_id, version)).definition
        enriched = await definitions.enrich(tenant, workflow)
    except NotFoundError:
        return NO_VIEW
    state = enriched.states.get(node)
    resolved = state.node_definition if state is not None else None
    if isinstance(resolved, InstructionNode):
        return resolved.config.layout_id
    return NO_VIEW


async def layouts_of(
    definitions: DefinitionService, tenant: str, runs: Iterable[RunSummary]
) -> dict[str, str]:
    """Each run's layout (by run id); :data:`NO_VIEW` when its state shows none."""
    found: dict[_Key, str] = {}
    layouts = {}
    for run in runs:
        key = (run.workflow_definition_id, run.workflow_version, run.current_node)
        if key not in found:
            found[key] = await _layout(definitions, tenant, key)
        layouts[run.workflow_id] = found[key]
    return layouts
