"""Static checks of one node definition, whatever workflow uses it.

Every problem is returned, each with its JSON path in the node definition. Scripts
are compiled through a :class:`ScriptChecker` supplied by the caller (drift-nodes has
the Starlark one), so this package stays free of the script engine.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Protocol

from drift_models.fields import iter_script_fields, iter_value_fields
from drift_models.nodes import InstructionNode, NodeDefinition, ProcessorNode, WaitNode
from drift_models.nodes.instruction import ViewTemplate
from drift_models.paths import Path, format_path
from drift_models.problems import Problem
from drift_models.values import (
    Expression,
    ValueSyntaxError,
    compile_value,
    iter_placeholders,
    iter_scripts,
)

__all__ = ["SCOPE_GLOBALS", "ScriptChecker", "ScriptIssue", "validate_node_definition"]

SCOPE_GLOBALS: Final = frozenset({"_global", "_enum_store"})
"""Names every template and script of a node sees besides its parameters."""


@dataclass(frozen=True, slots=True)
class ScriptIssue:
    """Why a script is refused.

    Attributes:
        line: 1-based line in the script.
        column: 1-based column in that line.
        message: what the compiler said, or which limit the script passes.
        code: ``script-syntax`` when it does not compile; any other code (such as
            ``script-too-deep``) means ``message`` is a whole sentence of its own.
    """

    line: int
    column: int
    message: str
    code: str = "script-syntax"


class ScriptChecker(Protocol):
    """Compiles a script and says what is wrong with it, if anything."""

    def __call__(self, source: str, /) -> ScriptIssue | None:
        """Return ``None`` when ``source`` compiles, else the first issue."""
        ...


def validate_node_definition(
    node: NodeDefinition,
    *,
    check_script: ScriptChecker | None = None,
    where: Path = (),
) -> list[Problem]:
    """Check one node definition; return every problem found.

    Args:
        node: the definition.
        check_script: compiles scripts; without it scripts are not compiled.
        where: the path of the definition inside a larger document (an inline node in a
            workflow is at ``("states", name, "nodeDefinition")``).
    """
    problems: list[Problem] = []
    problems.extend(_duplicate_parameters(node, where))
    known = set(node.parameters) | SCOPE_GLOBALS
    for path, raw in iter_value_fields(node, where):
        problems.extend(_check_value(raw, path, known, check_script, node))
    for path, source in iter_script_fields(node, where):
        problems.extend(_check_script(source, path, check_script))
    if isinstance(node, WaitNode):
        problems.extend(_check_wait(node, where))
    if isinstance(node, InstructionNode):
        problems.extend(_check_view(node.config, (*where, "config")))
        problems.extend(_check_rules(node, where))
    for view_path, view in _final_views(node, where):
        problems.extend(_check_view(view, view_path))
    return problems


def _duplicate_parameters(node: NodeDefinition, where: Path) -> Iterator[Problem]:
    for name, count in Counter(node.parameters).items():
        if count > 1:
            index = [i for i, p in enumerate(node.parameters) if p == name][-1]
            yield Problem(
                path=format_path((*where, "parameters", index)),
                message=f"parameter {name!r} is declared {count} times; declare it once",
                code="parameter-duplicate",
            )


def _check_value(
    raw: Any,
    path: Path,
    known: set[str],
    check_script: ScriptChecker | None,
    node: NodeDefinition,
) -> Iterator[Problem]:
    try:
        expression = compile_value(raw)
    except ValueSyntaxError as error:
        yield Problem(
            path=format_path((*path, *error.where)), message=error.reason, code="template-syntax"
        )
        return
    if isinstance(node, ProcessorNode):
        for script_path, _ in iter_scripts(expression, path):
            yield Problem(
                path=format_path(script_path),
                message="a PROCESSOR maps values without code; use a SCRIPT node for scripts",
                code="processor-script",
            )
    else:
        for script_path, script in iter_scripts(expression, path):
            yield from _check_script(script.source, script_path, check_script)
    yield from _check_placeholders(expression, path, known)


def _check_placeholders(expression: Expression, path: Path, known: set[str]) -> Iterator[Problem]:
    for place, placeholder in iter_placeholders(expression, path):
        root = str(placeholder.path[0])
        if root not in known:
            names = ", ".join(sorted(known - SCOPE_GLOBALS)) or "none"
            yield Problem(
                path=format_path(place),
                message=(
                    f"placeholder {{{{ {placeholder.text} }}}} at column {placeholder.column} "
                    f"uses {root!r}, which is not a parameter of this node (parameters: "
                    f"{names}; _global and _enum_store are always available)"
                ),
                code="template-unknown-name",
            )


def _check_script(source: str, path: Path, check_script: ScriptChecker | None) -> Iterator[Problem]:
    if check_script is None:
        return
    issue = check_script(source)
    if issue is not None and issue.code != "script-syntax":
        yield Problem(path=format_path(path), message=issue.message, code=issue.code)
    elif issue is not None:
        yield Problem(
            path=format_path(path),
            message=(
                f"the script does not compile: line {issue.line}, column {issue.column}: "
                f"{issue.message}"
            ),
            code="script-syntax",
        )


def _check_wait(node: WaitNode, where: Path) -> Iterator[Problem]:
    config = node.config
    chosen = [
        name
        for name, value in (
            ("durationSeconds", config.duration_seconds),
            ("until", config.until),
            ("event", config.event),
        )
        if value is not None
    ]
    if len(chosen) != 1:
        found = ", ".join(chosen) if chosen else "none"
        yield Problem(
            path=format_path((*where, "config")),
            message=f"a WAIT sets exactly one of durationSeconds, until or event (found: {found})",
            code="wait-mode",
        )
    if isinstance(config.until, str) and "{{" not in config.until:
        try:
            moment = dt.datetime.fromisoformat(config.until)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            yield Problem(
                path=format_path((*where, "config", "until")),
                message=(
                    f"{config.until!r} is not an ISO 8601 timestamp with a time zone "
                    "(e.g. 2026-12-01T09:00:00Z); a template is also accepted"
                ),
                code="wait-until-format",
            )


def _check_view(view: ViewTemplate, where: Path) -> Iterator[Problem]:
    ids = [option.id for option in view.input_options]
    seen: set[str] = set()
    for index, option_id in enumerate(ids):
        if option_id in seen:
            yield Problem(
                path=format_path((*where, "inputOptions", index, "id")),
                message=f"option id {option_id!r} is used twice in this view; ids must be unique",
                code="option-duplicate",
            )
        seen.add(option_id)
    for index, option in enumerate(view.input_options):
        place = (*where, "inputOptions", index)
        if option.parent_id is not None and option.parent_id not in seen:
            yield Problem(
                path=format_path((*place, "parentId")),
                message=f"parentId {option.parent_id!r} is not an option of this view",
                code="option-parent-unknown",
            )
        if option.parent_id == option.id:
            yield Problem(
                path=format_path((*place, "parentId")),
                message=f"option {option.id!r} cannot be its own parent",
                code="option-parent-self",
            )
        if option.possible_dependent_values and option.parent_id is None:
            yield Problem(
                path=format_path((*place, "possibleDependentValues")),
                message="dependent values need a parentId: the option whose value selects them",
                code="option-dependent-without-parent",
            )


def _check_rules(node: InstructionNode, where: Path) -> Iterator[Problem]:
    ids = {option.id for option in node.config.input_options}
    rules = node.config.rules
    for field, names in (("required", rules.required), ("single", rules.single)):
        for index, option_id in enumerate(names):
            if option_id not in ids:
                yield Problem(
                    path=format_path((*where, "config", "rules", field, index)),
                    message=f"rule names option {option_id!r}, which is not in this view",
                    code="rule-option-unknown",
                )


def _final_views(node: NodeDefinition, where: Path) -> Iterator[tuple[Path, ViewTemplate]]:
    config = getattr(node, "config", None)
    view = getattr(config, "view", None)
    if isinstance(view, ViewTemplate):
        yield (*where, "config", "view"), view
