"""Run a scenario through the real node code and the engine's transition function.

No Temporal, store or network: nodes that do I/O are answered by the scenario's mocks
(a node that would do I/O without one stops the scenario and says so), views by its
answers, events by its payloads; timers are skipped. What comes after each node is
:func:`~drift_nodes.transitions.transition`'s answer, as in the worker, and failures are
routed as the workflow routes them (``onError``, then ``defaultFailureNode``).
PARALLEL branches and MAP items run one after the other, each on the context the run
had when the fan-out began, and join by the worker's rules
(:mod:`drift_nodes.fanout_rules`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from drift_models import (
    MAP_INDEX,
    MAP_ITEM,
    NodeDefinition,
    NodeResolver,
    RunContext,
    RunStatus,
    WorkflowDefinition,
    resolve_states,
)
from drift_nodes._scenario_steps import (
    ScenarioRun,
    ScenarioStoppedError,
    answer_with,
    answered,
    definition_of,
    fanout_context,
    waited,
)
from drift_nodes.api import NodeCall
from drift_nodes.discovery import NodeRegistry
from drift_nodes.errors import NodeError
from drift_nodes.fanout_rules import (
    FanoutRuleError,
    PathOutcome,
    map_failure,
    map_items,
    map_value,
    parallel_join,
    path_refusal,
)
from drift_nodes.parameters import resolve_parameters
from drift_nodes.resources import NodeResources
from drift_nodes.results import NodeResult
from drift_nodes.scenario_files import Scenario
from drift_nodes.scenario_reports import ScenarioReport, expectation_mismatches
from drift_nodes.transitions import (
    Child,
    End,
    Failed,
    Next,
    ViewShown,
    Wait,
    failure_target,
    transition,
)

__all__ = ["ChildLoader", "ScenarioRunner"]

ChildLoader = Callable[[str, int | str], Awaitable[tuple[WorkflowDefinition, NodeResolver] | None]]
"""Finds a child workflow by id and version (a number or a pointer), with the resolver of
its node definitions (``None``: there is no such workflow)."""

MAX_FAILURE_ROUTES: Final = 1000
"""Failures routed at most in one run, as in the workflow."""
MAX_CHILD_DEPTH: Final = 16
"""SYNC child runs nested at most (a workflow that starts itself must stop somewhere)."""


class ScenarioRunner:
    """Runs scenarios of workflows with the node types, definitions and resources given.

    Args:
        registry: the node types (``discover_nodes()``).
        resolve: finds the node definitions states refer to (a ``NodeCatalog``).
        resources: the nodes' shared resources (the script engine runs for real).
        workflows: workflows by id, for SYNC child runs that are not mocked.
        max_states: states one run may execute before it counts as never ending.
        load_child: finds a SYNC child that is neither mocked nor among ``workflows``
            (the API's publish gate reads the store).
    """

    def __init__(
        self,
        *,
        registry: NodeRegistry,
        resolve: NodeResolver,
        resources: NodeResources,
        workflows: Mapping[str, WorkflowDefinition] | None = None,
        max_states: int = 1000,
        load_child: ChildLoader | None = None,
    ) -> None:
        self._registry = registry
        self._resolve = resolve
        self._resources = resources
        self._workflows = dict(workflows or {})
        self._max_states = max_states
        self._load_child = load_child

    async def run(self, workflow: WorkflowDefinition, scenario: Scenario) -> ScenarioReport:
        """Run ``scenario`` of ``workflow`` to its end and compare it with its expectation."""
        report = await self._run(workflow, scenario, scenario.params)
        report.mismatches = expectation_mismatches(scenario.expect, report)
        return report

    async def _run(
        self,
        workflow: WorkflowDefinition,
        scenario: Scenario,
        params: dict[str, Any],
        resolve: NodeResolver | None = None,
        depth: int = 0,
    ) -> ScenarioReport:
        context = RunContext.start(params, enum_store=scenario.enum_store)
        run = ScenarioRun(
            workflow=workflow,
            scenario=scenario,
            report=ScenarioReport(scenario=scenario.name, context=context),
            definitions=resolve_states(workflow, resolve or self._resolve),
            events={name: list(payloads) for name, payloads in scenario.events.items()},
            depth=depth,
        )
        try:
            await self._loop(run)
        except ScenarioStoppedError as stop:
            run.report.stopped = True
            run.report.error = str(stop)
        return run.report

    async def _loop(self, run: ScenarioRun) -> None:
        """Run states until the run ends, stops at a view, or fails (as the workflow does)."""
        report, workflow = run.report, run.workflow
        state: str | None = workflow.start_node
        failures = 0
        while state is not None:
            if len(report.path) >= self._max_states:
                msg = f"the run did not end within {self._max_states} states"
                raise ScenarioStoppedError(msg)
            report.path.append(state)
            run.visits[state] += 1
            failing = state  # a fan-out's failure is its own, not its last path state's
            try:
                state, message = await self._state(run, state)
            except NodeError as error:
                state, message = None, error.message
            if message is None:
                continue
            failures += 1
            target = failure_target(
                failing,
                on_error=workflow.states[failing].on_error,
                default_failure_node=workflow.default_failure_node,
            )
            if target is None or failures > MAX_FAILURE_ROUTES:
                report.status = RunStatus.FAILED
                report.error = message
                return
            report.context.global_[f"{failing}:error"] = {"message": message}
            state = target

    async def _state(self, run: ScenarioRun, state: str) -> tuple[str | None, str | None]:
        """Run ``state``; the state that follows (``None``: the run stops) and any failure."""
        node = run.workflow.states[state]
        if node.parallel is not None or node.map is not None:
            failure = await self._fanout(run, state)
            if failure is not None:
                return None, failure
            if node.next_node is None:
                return None, f"{state!r} has no nextNode to join at"
            return node.next_node, None
        definition = definition_of(run.definitions, state)
        result = await self._execute(run, state, definition)
        report = run.report
        report.context.set_output(state, result.output)
        if result.disposition is not None:
            report.disposition = result.disposition
        decided = transition(run.workflow, state, definition, result)
        if isinstance(decided, End):
            report.status = decided.status
            report.output = decided.output
            report.error = decided.error_message
            if decided.disposition is not None:
                report.disposition = decided.disposition
            await self._post_nodes(run)
            return None, None
        return await self._follow(run, decided)

    async def _follow(
        self, run: ScenarioRun, decided: Next | Failed | ViewShown | Wait | Child
    ) -> tuple[str | None, str | None]:
        """Act on a transition: the state that follows (``None``: stop) and any failure."""
        report, state = run.report, decided.state
        if isinstance(decided, Next):
            return decided.state, None
        if isinstance(decided, Failed):
            return None, decided.error
        following: str | None
        if isinstance(decided, ViewShown):
            if not answered(run, decided):
                report.status = RunStatus.WAITING
                return None, None
            following, when = decided.next_node, "after the answer"
        elif isinstance(decided, Wait):
            following, when = waited(decided, run.events, report.context), "after waiting"
        else:
            failure = await self._child(run, decided)
            if failure is not None:
                return None, failure
            following, when = decided.next_node, "after the child run"
        if following is None:
            return None, f"{state!r} has no nextNode to go to {when}"
        return following, None

    async def _fanout(self, run: ScenarioRun, state: str) -> str | None:
        """Run a PARALLEL or MAP state's paths in order, join them; the failure, if any."""
        node, context = run.workflow.states[state], run.report.context
        if node.parallel is not None:
            branches: list[tuple[str, PathOutcome]] = []
            failed = False
            for name, branch in node.parallel.branches.items():
                if failed and node.parallel.fail_fast:
                    branches.append((name, PathOutcome(cancelled=True)))
                    continue
                outcome = await self._path(run, branch.start_node, fanout_context(context))
                failed = failed or outcome.error is not None
                branches.append((name, outcome))
            records, failure = parallel_join(state, branches)
            for key, value in records:
                context.global_[key] = value
            return failure
        try:
            items = map_items(run.workflow, state, context)
        except FanoutRuleError as error:
            return str(error)
        return await self._map(run, state, items)

    async def _map(self, run: ScenarioRun, state: str, items: list[Any]) -> str | None:
        """Run a MAP's body per item, in order, and join; the failure, if any."""
        spec, context = run.workflow.states[state].map, run.report.context
        if spec is None:  # pragma: no cover - map_items checked it
            return None
        tolerated = spec.tolerated_failures(len(items))
        results: list[Any] = [None] * len(items)
        failures: list[tuple[int, str]] = []
        for index, item in enumerate(items):
            scope = fanout_context(context)
            scope.global_[MAP_ITEM], scope.global_[MAP_INDEX] = item, index
            outcome = await self._path(run, spec.item_node, scope)
            if outcome.error is not None:
                failures.append((index, outcome.error))
                if len(failures) > tolerated:
                    break
            elif outcome.outputs:
                results[index] = outcome.outputs[-1][1]
        context.set_output(state, map_value(results, failures))
        return map_failure(len(items), tolerated, failures)

    async def _path(self, run: ScenarioRun, start: str, context: RunContext) -> PathOutcome:
        """Run one branch or MAP item from ``start`` to its end, on its own ``context``."""
        outputs: list[tuple[str, Any]] = []
        state: str | None = start
        while state is not None:
            if len(run.report.path) >= self._max_states:
                msg = f"the run did not end within {self._max_states} states"
                raise ScenarioStoppedError(msg)
            run.report.path.append(state)
            run.visits[state] += 1
            definition = definition_of(run.definitions, state)
            try:
                result = await self._execute(run, state, definition, context)
            except NodeError as error:
                return PathOutcome(outputs, error=error.message)
            outputs.append((state, result.output))
            context.set_output(state, result.output)
            stops = (result.wait, result.child, result.view)
            if result.is_terminal or any(part is not None for part in stops):
                return PathOutcome(outputs, error=path_refusal(state))
            state = result.next_node or run.workflow.states[state].next_node
        return PathOutcome(outputs)

    async def _execute(
        self,
        run: ScenarioRun,
        state: str,
        definition: NodeDefinition,
        context: RunContext | None = None,
    ) -> NodeResult:
        mocks = run.scenario.mocks.get(state)
        resources = self._resources
        node_type = self._registry.for_definition(definition)
        mock = mocks[min(run.visits[state], len(mocks)) - 1] if mocks else None
        if mock is not None and mock.response is not None:
            if definition.type_name != "HTTP":
                msg = (
                    f"state {state!r} runs a {definition.type_name} node: only HTTP nodes "
                    "take a 'response' mock"
                )
                raise ScenarioStoppedError(msg)
            resources = resources.with_http_transport(answer_with(mock.response))
        elif mock is not None:
            if mock.error is not None:
                raise NodeError(mock.error.message)
            return NodeResult(
                output=mock.output, next_node=mock.next_node, disposition=mock.disposition
            )
        elif not node_type.pure:
            msg = (
                f"state {state!r} runs a {definition.type_name} node, which does I/O: "
                "give it an answer under 'mocks'"
            )
            raise ScenarioStoppedError(msg)
        context = context or run.report.context
        parameters = resolve_parameters(
            state, run.workflow.states[state].parameters, context, declared=definition.parameters
        )
        call = NodeCall(
            instance=state,
            parameters=parameters,
            context=context,
            resources=resources,
            run_id="scenario",
        )
        result: NodeResult = await node_type.execute(definition, call)
        return result

    async def _child(self, run: ScenarioRun, decided: Child) -> str | None:
        """Run or mock a child and record its output; the failure message, if it failed."""
        state, child_id = decided.state, decided.workflow_id
        if not decided.wait:
            run.report.context.set_output(state, {"workflowId": f"scenario.{state}"})
            return None
        mock = run.scenario.children.get(child_id)
        if mock is not None:
            status, output, error = mock.status, mock.output, mock.error_message
        else:
            found = await self._child_workflow(state, decided)
            if run.depth >= MAX_CHILD_DEPTH:
                msg = f"child runs nested deeper than {MAX_CHILD_DEPTH} at {state!r}"
                raise ScenarioStoppedError(msg)
            child = await self._run(
                found[0], run.scenario, decided.params, found[1], depth=run.depth + 1
            )
            if child.stopped:
                msg = f"child run of {child_id!r}: {child.error}"
                raise ScenarioStoppedError(msg)
            status, output, error = child.status, child.output, child.error
        if status is not RunStatus.COMPLETED:
            return f"child run of {child_id!r} ended {status.value}: {error or status.value}"
        run.report.context.set_output(state, output)
        return None

    async def _child_workflow(
        self, state: str, decided: Child
    ) -> tuple[WorkflowDefinition, NodeResolver | None]:
        """The child's workflow (and its resolver, when it is not the runner's own)."""
        child_id = decided.workflow_id
        if child_id in self._workflows:
            return self._workflows[child_id], None
        loaded = None
        if self._load_child is not None:
            loaded = await self._load_child(child_id, decided.version)
        if loaded is None:
            msg = (
                f"state {state!r} starts workflow {child_id!r}, which is neither loaded nor "
                "mocked under 'children'"
            )
            raise ScenarioStoppedError(msg)
        return loaded

    async def _post_nodes(self, run: ScenarioRun) -> None:
        for state in run.workflow.post_workflow_completion_nodes:
            run.report.path.append(state)
            run.visits[state] += 1
            definition = definition_of(run.definitions, state)
            try:
                result = await self._execute(run, state, definition)
            except NodeError:
                continue  # a post-completion state never changes the outcome
            run.report.context.set_output(state, result.output)
