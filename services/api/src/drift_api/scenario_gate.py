"""The publish gate: a workflow's stored scenarios run before it is published.

When a workflow has a scenario document (``PUT /workflowDefinition/{id}/scenarios``,
or ``drift apply`` of a folder with ``*.scenarios.json`` files), publishing its
SNAPSHOT first runs every scenario through :class:`drift_nodes.ScenarioRunner` with the
tenant's pinned node definitions, in the API process, and refuses the publish with
one :class:`~drift_models.Problem` per failing scenario (``$.scenarios[2]``). A
scenario is untrusted input, so the gate is bounded: a number of states per run, a
time budget for the whole document, scripts in the node runtime's sandbox processes
(as in the worker), no I/O (a node that would do I/O without a mock stops its
scenario), and any fault of a scenario becomes that scenario's problem, never a 5xx.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Final

import msgspec

from drift_models import DocumentError, NodeResolver, Problem, WorkflowDefinition
from drift_nodes import (
    NodeRegistry,
    NodeResources,
    Scenario,
    ScenarioRunner,
    decode_scenario_file,
)
from drift_store import ScenarioStore
from drift_store.definition_checks import WorkflowLoader

__all__ = ["DEFAULT_GATE_SECONDS", "DEFAULT_GATE_STATES", "ScenarioGate"]

DEFAULT_GATE_SECONDS: Final = 10.0
"""How long all the scenarios of one publish may run together."""
DEFAULT_GATE_STATES: Final = 1000
"""States one scenario's run may execute before it counts as never ending."""
_AT_ONCE: Final = 2
_LOG = logging.getLogger(__name__)


class ScenarioGate:
    """Runs a workflow's stored scenarios and says which fail.

    Args:
        scenarios: where the scenario documents are kept.
        registry: the node types the runner executes.
        resources: the node runtime (its script sandboxes run the scenarios' scripts).
        budget_seconds: the time all scenarios of one publish may take together.
        max_states: states one scenario's run may execute.
    """

    def __init__(
        self,
        scenarios: ScenarioStore,
        registry: NodeRegistry,
        resources: NodeResources,
        *,
        budget_seconds: float = DEFAULT_GATE_SECONDS,
        max_states: int = DEFAULT_GATE_STATES,
    ) -> None:
        self.scenarios = scenarios
        self._registry = registry
        self._resources = resources
        self._budget = budget_seconds
        self._max_states = max_states
        self._at_once = asyncio.Semaphore(_AT_ONCE)

    async def problems(
        self,
        tenant: str,
        workflow: WorkflowDefinition,
        resolve: NodeResolver,
        load_child: WorkflowLoader | None = None,
    ) -> list[Problem]:
        """One problem per failing scenario of ``workflow`` (none: it may be published).

        A workflow without a scenario document, or with an empty one, has none.
        ``resolve`` finds the tenant's pinned node definitions; ``load_child`` the SYNC
        children a scenario does not mock.
        """
        stored = await self.scenarios.get(tenant, workflow.id)
        if stored is None:
            return []
        try:
            document = decode_scenario_file(stored.data)
        except DocumentError as error:
            return [_scenario_problem(p.path, p.message) for p in error.problems]
        if document.workflow != workflow.id:
            message = f"the scenarios test {document.workflow!r}, not {workflow.id!r}"
            return [_scenario_problem("$.workflow", message)]
        if not document.scenarios:
            return []
        runner = ScenarioRunner(
            registry=self._registry,
            resolve=resolve,
            resources=self._resources,
            max_states=self._max_states,
            load_child=load_child,
        )
        async with self._at_once:
            return await self._run_all(runner, workflow, document.scenarios)

    async def _run_all(
        self, runner: ScenarioRunner, workflow: WorkflowDefinition, scenarios: list[Scenario]
    ) -> list[Problem]:
        found: list[Problem] = []
        deadline = time.monotonic() + self._budget
        for index, scenario in enumerate(scenarios):
            path = f"$.scenarios[{index}]"
            left = deadline - time.monotonic()
            if left <= 0:
                message = (
                    f"scenario {scenario.name!r} was not run: the scenarios took longer than "
                    f"the gate's {self._budget:g} s"
                )
                found.append(_scenario_problem(path, message))
                continue
            failure = await self._run_one(runner, workflow, scenario, left)
            if failure is not None:
                found.append(_scenario_problem(path, f"scenario {scenario.name!r}: {failure}"))
        return found

    async def _run_one(
        self,
        runner: ScenarioRunner,
        workflow: WorkflowDefinition,
        scenario: Scenario,
        seconds: float,
    ) -> str | None:
        """Why ``scenario`` fails, or ``None`` when it passes."""
        try:
            async with asyncio.timeout(seconds):
                report = await runner.run(workflow, scenario)
        except TimeoutError:
            return f"did not finish within the gate's {self._budget:g} s"
        except Exception as error:  # noqa: BLE001 - a scenario's fault is its problem, never a 5xx
            _LOG.info("scenario %r of %r failed to run", scenario.name, workflow.id, exc_info=True)
            return f"could not run: {type(error).__name__}: {error}"
        if report.passed:
            return None
        parts: list[str] = []
        if report.stopped:
            reached = report.path[-1] if report.path else None
            parts.append(f"stopped at state {reached!r}: {report.error}")
        parts.extend(
            f"{m.what}: expected {_shown(m.expected)}, got {_shown(m.actual)}"
            for m in report.mismatches
        )
        return "; ".join(parts)


def _scenario_problem(path: str, message: str) -> Problem:
    return Problem(path=path, message=message, code="scenario-failed")


def _shown(value: object) -> str:
    try:
        return msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return repr(value)
