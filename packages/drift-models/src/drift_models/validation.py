"""Validation of a workflow before it is published.

:func:`validate_workflow` returns *every* problem, each with its JSON path in the
workflow and a sentence a person understands. Errors block publishing; warnings
(an unreachable utility state, a parameter that may be missing on some path) do not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from drift_models.fanout import ITEM_ROOTS
from drift_models.fanout_validation import (
    check_fanout_paths,
    check_fanout_read,
    check_fanout_state,
    check_item_read,
)
from drift_models.graph import EdgeKind, WorkflowGraph
from drift_models.node_validation import ScriptChecker, validate_node_definition
from drift_models.nodes import BranchNode, ChildNode, InstructionNode, NodeDefinition
from drift_models.paths import PathSyntaxError, format_path
from drift_models.problems import Problem, Severity
from drift_models.versions import VersionRef
from drift_models.workflow import (
    RESERVED_NAMES,
    ParameterRef,
    WorkflowDefinition,
    parameter_ref,
)

__all__ = ["NodeCatalog", "NodeResolver", "resolve_states", "validate_workflow"]

NodeResolver = Callable[[str, VersionRef], NodeDefinition | None]
"""Finds the node definition a reference names, or ``None`` when there is none."""

VIEW_RESPONSE = ":viewResponse"
_CONTEXT_ROOTS = frozenset({"_enum_store", "threadContext"})
# FAILURE edges come from defaultFailureNode (checked once); fan-out paths are checked
# by fanout_validation, joins by the fan-out state's nextNode.
_CHECKED_ELSEWHERE = frozenset({EdgeKind.FAILURE, EdgeKind.FORK, EdgeKind.JOIN})


class NodeCatalog:
    """Node definitions at hand, resolving references the way the store does.

    Args:
        definitions: the definitions known (any versions).
        active: node id → its ``ACTIVE`` version number.
        drafts_stand_in: when true, ``LATEST`` and ``ACTIVE`` fall back to the
            ``SNAPSHOT`` of a node that has no published version, so a set of draft
            files can be validated before anything is published.
    """

    def __init__(
        self,
        definitions: Iterable[NodeDefinition] = (),
        *,
        active: Mapping[str, int] | None = None,
        drafts_stand_in: bool = False,
    ) -> None:
        self._versions: dict[str, dict[int | str, NodeDefinition]] = {}
        self._active = dict(active or {})
        self._drafts_stand_in = drafts_stand_in
        for definition in definitions:
            self.add(definition)

    def add(self, definition: NodeDefinition) -> None:
        """Make ``definition`` known (replacing one with the same id and version)."""
        self._versions.setdefault(definition.id, {})[definition.version] = definition

    def __call__(self, node_id: str, version: VersionRef) -> NodeDefinition | None:
        """Resolve a reference: a number, ``SNAPSHOT``, ``LATEST`` or ``ACTIVE``."""
        versions = self._versions.get(node_id, {})
        if isinstance(version, int) or version == "SNAPSHOT":
            return versions.get(version)
        numbers = [v for v in versions if isinstance(v, int)]
        chosen: int | None = max(numbers) if numbers else None
        if version == "ACTIVE":
            chosen = self._active.get(node_id, chosen)
        if chosen is not None:
            return versions.get(chosen)
        return versions.get("SNAPSHOT") if self._drafts_stand_in else None


def resolve_states(
    workflow: WorkflowDefinition, resolve: NodeResolver
) -> dict[str, NodeDefinition | None]:
    """The node definition each state uses (inline or resolved), by instance name."""
    resolved: dict[str, NodeDefinition | None] = {}
    for name, state in workflow.states.items():
        if state.node_definition is not None:
            resolved[name] = state.node_definition
        elif state.resource_id is not None:
            resolved[name] = resolve(state.resource_id, state.resource_version)
        else:
            resolved[name] = None
    return resolved


def validate_workflow(
    workflow: WorkflowDefinition,
    resolve: NodeResolver,
    *,
    check_script: ScriptChecker | None = None,
) -> list[Problem]:
    """Check a workflow; return every problem, errors and warnings, in document order.

    Args:
        workflow: the workflow.
        resolve: finds referenced node definitions (e.g. a :class:`NodeCatalog`).
        check_script: compiles scripts of inline node definitions; referenced
            definitions had theirs compiled when they were saved.
    """
    definitions = resolve_states(workflow, resolve)
    graph = WorkflowGraph(workflow, definitions)
    problems: list[Problem] = []
    problems.extend(_check_declarations(workflow))
    problems.extend(_check_states(workflow, definitions, check_script))
    problems.extend(_check_references(graph))
    problems.extend(_check_flow(graph))
    problems.extend(check_fanout_paths(graph))
    problems.extend(_check_parameters(graph))
    return problems


def _error(path: tuple[Any, ...], message: str, code: str) -> Problem:
    return Problem(path=format_path(path), message=message, code=code)


def _warning(path: tuple[Any, ...], message: str, code: str) -> Problem:
    return Problem(path=format_path(path), message=message, code=code, severity=Severity.WARNING)


def _check_declarations(workflow: WorkflowDefinition) -> Iterator[Problem]:
    for name, count in Counter(workflow.parameters).items():
        if count > 1:
            index = [i for i, p in enumerate(workflow.parameters) if p == name][-1]
            yield _error(
                ("parameters", index),
                f"workflow parameter {name!r} is declared {count} times; declare it once",
                "parameter-duplicate",
            )
    if not workflow.states:
        yield _error(("states",), "the workflow has no states", "states-empty")


def _check_states(
    workflow: WorkflowDefinition,
    definitions: Mapping[str, NodeDefinition | None],
    check_script: ScriptChecker | None,
) -> Iterator[Problem]:
    for name, state in workflow.states.items():
        where = ("states", name)
        if name in RESERVED_NAMES:
            yield _error(
                where,
                f"{name!r} is reserved for the run's context; choose another state name",
                "state-name-reserved",
            )
        if state.instance_name is not None and state.instance_name != name:
            yield _error(
                (*where, "instanceName"),
                f"instanceName {state.instance_name!r} differs from its key {name!r}; "
                "make them equal or leave instanceName out",
                "instance-name-mismatch",
            )
        if state.is_fanout:
            yield from check_fanout_state(name, state)
        elif state.resource_id is not None and state.node_definition is not None:
            yield _error(
                where,
                "a state uses either resourceId or an inline nodeDefinition, not both",
                "node-source-twice",
            )
        elif state.node_definition is not None:
            yield from validate_node_definition(
                state.node_definition,
                check_script=check_script,
                where=(*where, "nodeDefinition"),
            )
        elif state.resource_id is None:
            yield _error(
                where,
                "the state names no node: give resourceId (and resourceVersion) or an "
                "inline nodeDefinition",
                "node-source-missing",
            )
        elif definitions.get(name) is None:
            yield _error(
                (*where, "resourceId"),
                f"node definition {state.resource_id!r} has no version "
                f"{state.resource_version}; create or publish it first",
                "node-definition-unknown",
            )


def _check_references(graph: WorkflowGraph) -> Iterator[Problem]:
    workflow = graph.workflow
    states = workflow.states
    known = _known_list(states)
    if workflow.start_node not in states:
        yield _error(
            ("startNode",),
            f"startNode {workflow.start_node!r} is not a state of this workflow ({known})",
            "start-node-unknown",
        )
    failure = workflow.default_failure_node
    if failure is not None and failure not in states:
        yield _error(
            ("defaultFailureNode",),
            f"defaultFailureNode {failure!r} is not a state of this workflow ({known})",
            "failure-node-unknown",
        )
    for index, name in enumerate(workflow.post_workflow_completion_nodes):
        if name not in states:
            yield _error(
                ("postWorkflowCompletionNodes", index),
                f"{name!r} is not a state of this workflow ({known})",
                "post-node-unknown",
            )
        elif graph.is_terminal(name):
            yield _error(
                ("postWorkflowCompletionNodes", index),
                f"{name!r} is a terminal; post-completion states run after the end and "
                "cannot end the run again",
                "post-node-terminal",
            )
    for edge in graph.edges:
        if edge.target in states or edge.kind in _CHECKED_ELSEWHERE:
            continue
        if edge.kind is EdgeKind.TARGET:
            state = states[edge.source]
            inline = state.node_definition is not None
            node_path = format_path(edge.path)
            if inline:
                path: tuple[Any, ...] = ("states", edge.source, "nodeDefinition", *edge.path)
                origin = "the node"
            else:
                path = ("states", edge.source, "resourceId")
                origin = f"node definition {state.resource_id!r} (at {node_path})"
            yield _error(
                path,
                f"{origin} sends runs to {edge.target!r}, which is not a state of this "
                f"workflow ({known})",
                "target-unknown",
            )
        else:
            field = "nextNode" if edge.kind is EdgeKind.NEXT else "onError"
            yield _error(
                edge.path,
                f"{field} {edge.target!r} is not a state of this workflow ({known})",
                "next-node-unknown" if edge.kind is EdgeKind.NEXT else "on-error-unknown",
            )


def _check_flow(graph: WorkflowGraph) -> Iterator[Problem]:
    workflow = graph.workflow
    if workflow.start_node not in workflow.states:
        return
    terminals = [name for name in workflow.states if graph.is_terminal(name)]
    if not terminals and all(d is not None for d in graph.definitions.values()):
        yield _error(
            ("states",),
            "the workflow has no SUCCESS or FAILURE state, so no run can end",
            "terminal-missing",
        )
    yield from _check_exits(graph)
    yield from _check_endings(graph, has_terminals=bool(terminals))
    for name in graph.disconnected():
        if name == workflow.default_failure_node or workflow.states[name].utility:
            continue
        yield _warning(
            ("states", name),
            f"{name!r} cannot be reached from startNode; it can only run as a disconnected "
            "utility node",
            "state-unreachable",
        )
    for name in sorted(graph.main_path, key=graph.states.index):
        if workflow.states[name].utility:
            yield _warning(
                ("states", name, "utility"),
                f"{name!r} is marked utility, yet runs reach it from startNode",
                "utility-reachable",
            )
    yield from _check_children(graph)


def _check_exits(graph: WorkflowGraph) -> Iterator[Problem]:
    """Report a nextNode that is never followed."""
    for name, state in graph.workflow.states.items():
        if state.next_node is None:
            continue
        if graph.is_terminal(name):
            yield _error(
                ("states", name, "nextNode"),
                f"{name!r} is a terminal: the run ends there, so nextNode is never followed; "
                "remove it",
                "terminal-next-node",
            )
        elif isinstance(graph.definitions.get(name), BranchNode):
            yield _error(
                ("states", name, "nextNode"),
                f"{name!r} is a BRANCH: its rules choose the next state, so nextNode is "
                "never followed; remove it",
                "branch-next-node",
            )


def _check_endings(graph: WorkflowGraph, *, has_terminals: bool) -> Iterator[Problem]:
    """Every state a run reaches must lead on, and to an end."""
    ending = graph.reaching_terminal()
    for name in sorted(graph.main_path, key=graph.states.index):
        state = graph.workflow.states[name]
        if (graph.definitions.get(name) is None and not state.is_fanout) or graph.is_terminal(name):
            continue
        targets = [e for e in graph.edges_from(name) if e.kind is EdgeKind.TARGET]
        if state.next_node is None and not targets and not graph.owners(name):
            yield _error(
                ("states", name),
                f"{name!r} has no nextNode and is not a terminal, so a run would stop there "
                "without ending; add nextNode or make it SUCCESS/FAILURE",
                "next-node-missing",
            )
        elif has_terminals and name not in ending:
            yield _error(
                ("states", name),
                f"no SUCCESS or FAILURE state can be reached from {name!r}; a run that gets "
                "there can never end",
                "terminal-unreachable",
            )


def _check_children(graph: WorkflowGraph) -> Iterator[Problem]:
    for name, definition in graph.definitions.items():
        if isinstance(definition, ChildNode) and definition.config.workflow_id == graph.workflow.id:
            yield _warning(
                ("states", name),
                f"{name!r} starts a run of this same workflow; make sure the recursion ends",
                "child-recursive",
            )


def _check_parameters(graph: WorkflowGraph) -> Iterator[Problem]:
    workflow = graph.workflow
    main = graph.main_path
    for name, state in workflow.states.items():
        definition = graph.definitions.get(name)
        where = ("states", name, "parameters")
        if definition is not None:
            for parameter in definition.parameters:
                if parameter not in state.parameters:
                    yield _error(
                        where,
                        f"node parameter {parameter!r} is not mapped; map it to a $.-path or "
                        "a literal",
                        "parameter-unmapped",
                    )
            for parameter in state.parameters:
                if parameter not in definition.parameters:
                    declared = ", ".join(definition.parameters) or "none"
                    yield _error(
                        (*where, parameter),
                        f"the node has no parameter {parameter!r} (it declares: {declared})",
                        "parameter-unknown",
                    )
        for parameter, value in state.parameters.items():
            yield from _check_reference(
                graph, name, (*where, parameter), value, on_main_path=name in main
            )
        if state.map is not None:
            yield from _check_reference(
                graph,
                name,
                ("states", name, "map", "items"),
                state.map.items,
                on_main_path=name in main,
            )


def _check_reference(
    graph: WorkflowGraph, name: str, path: tuple[Any, ...], value: Any, *, on_main_path: bool
) -> Iterator[Problem]:
    try:
        ref = parameter_ref(value)
    except PathSyntaxError as error:
        yield _error(
            path, f"{value!r} is not a valid path: {error.reason}", "parameter-path-syntax"
        )
        return
    if ref is None or ref.root in _CONTEXT_ROOTS:
        return
    if ref.root in ITEM_ROOTS:
        yield from check_item_read(graph, ref.text, ref.root, name, path)
        return
    if ref.root == "params":
        yield from _check_params_read(graph.workflow, ref, path)
        return
    node, _, suffix = ref.root.partition(":")
    if node not in graph.workflow.states:
        yield _error(
            path,
            f"{ref.text!r} reads {node!r}, which is neither params, _enum_store, threadContext "
            f"nor a state of this workflow ({_known_list(graph.workflow.states)})",
            "parameter-node-unknown",
        )
    elif suffix and f":{suffix}" != VIEW_RESPONSE:
        yield _error(
            path,
            f"{ref.text!r}: the only suffix a state name takes is {VIEW_RESPONSE}",
            "parameter-suffix-unknown",
        )
    elif suffix and not isinstance(graph.definitions.get(node), InstructionNode | None):
        yield _error(
            path,
            f"{ref.text!r} reads the answer of {node!r}, which is not an INSTRUCTION",
            "parameter-not-a-view",
        )
    elif on_main_path:
        yield from check_fanout_read(graph, ref.text, node, name, path, check_order=_check_order)


def _check_params_read(
    workflow: WorkflowDefinition, ref: ParameterRef, path: tuple[Any, ...]
) -> Iterator[Problem]:
    declared = ref.path[1] if len(ref.path) > 1 else None
    if declared not in workflow.parameters:
        names = ", ".join(workflow.parameters) or "none"
        yield _error(
            path,
            f"{ref.text!r} reads workflow parameter {declared!r}, which the workflow does "
            f"not declare in parameters (declared: {names})",
            "parameter-undeclared",
        )


def _check_order(
    graph: WorkflowGraph, text: str, node: str, name: str, path: tuple[Any, ...]
) -> Iterator[Problem]:
    if not graph.can_run_before(node, name):
        yield _error(
            path,
            f"{text!r} reads {node!r}, which cannot run before {name!r}",
            "parameter-node-later",
        )
    elif node != name and not graph.always_runs_before(node, name):
        yield _warning(
            path,
            f"{text!r} reads {node!r}, which does not run on every path to {name!r}; "
            "a run that skips it fails here",
            "parameter-node-maybe-missing",
        )


_SHOWN_STATES = 12


def _known_list(states: Mapping[str, Any]) -> str:
    names = list(states)
    shown = ", ".join(names[:_SHOWN_STATES]) + (", …" if len(names) > _SHOWN_STATES else "")
    return f"states: {shown}" if names else "it has no states"
