"""Checking a person's answer (a resume) against the view and the node's rules.

The worker calls :func:`validate_resume` from its Temporal update validator, so an
answer that breaks the rules is refused with a 4xx before it touches the run. Each
problem names its place in the resume body (``$.viewResponse.selectedOptions.decision``).
"""

from __future__ import annotations

from drift_models import (
    InstructionNode,
    Problem,
    ResumeRules,
    View,
    ViewOption,
    ViewResponse,
    format_path,
)

__all__ = ["allowed_values", "static_view", "validate_resume"]

_BASE = ("viewResponse", "selectedOptions")


def validate_resume(
    node: InstructionNode | ResumeRules, view: View | None, response: ViewResponse
) -> list[Problem]:
    """Every problem of ``response`` as an answer to ``view``; empty when it is acceptable.

    Args:
        node: the INSTRUCTION definition (or just its rules, when ``view`` is given).
        view: the view as rendered and shown (its dynamic choices are the ones allowed);
            ``None`` checks against the definition's own widgets, where dynamic choices
            are unknown and so not restricted.
        response: the person's answer.

    Whatever the rules, an answer may only name widgets of the view.

    Raises:
        TypeError: when neither a view nor the definition gives the widgets.
    """
    unrendered: set[str] = set()
    if view is None:
        if not isinstance(node, InstructionNode):
            msg = "validate_resume needs the INSTRUCTION definition or the view shown"
            raise TypeError(msg)
        view = static_view(node)
        unrendered = {
            o.id for o in node.config.input_options if o.possible_dynamic_values is not None
        }
    rules = node.config.rules if isinstance(node, InstructionNode) else node
    selected = response.selected_options
    known = [option.id for option in view.input_options]
    problems = [
        _problem(
            (option_id,),
            f"the view has no widget {option_id!r} (widgets: {', '.join(known)})",
            "resume-unknown-option",
        )
        for option_id in selected
        if option_id not in known
    ]
    problems.extend(
        _problem((option_id,), f"widget {option_id!r} needs an answer", "resume-required")
        for option_id in rules.required
        if not selected.get(option_id)
    )
    problems.extend(
        _problem(
            (option_id,),
            f"widget {option_id!r} takes one value, got {len(selected[option_id])}",
            "resume-single",
        )
        for option_id in rules.single
        if len(selected.get(option_id, [])) > 1
    )
    if rules.restrict_to_possible_values:
        for option in view.input_options:
            problems.extend(
                _check_choices(option, selected, dynamic_unknown=option.id in unrendered)
            )
    return problems


def static_view(node: InstructionNode) -> View:
    """The view of ``node`` without rendering: its widgets and their fixed choices."""
    return View(
        node=node.id,
        layout_id=node.config.layout_id,
        input_options=[
            ViewOption(
                id=option.id,
                parent_id=option.parent_id,
                possible_values=list(option.possible_values),
                possible_dependent_values={
                    key: list(values) for key, values in option.possible_dependent_values.items()
                },
            )
            for option in node.config.input_options
        ],
    )


def allowed_values(
    option: ViewOption, selected: dict[str, list[str]], *, dynamic_unknown: bool = False
) -> set[str] | None:
    """The values ``option`` accepts given the other answers, or ``None`` for any value.

    ``None`` for free text, and for a widget with dynamic choices not rendered
    (``dynamic_unknown``).

    Dependent values follow the parent widget's answer; when the parent is unanswered,
    any dependent value is accepted.
    """
    allowed = {v.value for v in option.possible_values}
    allowed.update(v.value for v in option.possible_dynamic_values)
    if dynamic_unknown:
        return None
    if option.possible_dependent_values:
        parent_answer = selected.get(option.parent_id or "", [])
        if parent_answer:
            for parent_value in parent_answer:
                dependent = option.possible_dependent_values.get(parent_value, [])
                allowed.update(v.value for v in dependent)
        else:
            for values in option.possible_dependent_values.values():
                allowed.update(v.value for v in values)
        return allowed
    return allowed or None


def _check_choices(
    option: ViewOption, selected: dict[str, list[str]], *, dynamic_unknown: bool
) -> list[Problem]:
    values = selected.get(option.id, [])
    if not values:
        return []
    allowed = allowed_values(option, selected, dynamic_unknown=dynamic_unknown)
    if allowed is None:
        return []
    problems = []
    for index, value in enumerate(values):
        if value not in allowed:
            shown = ", ".join(repr(v) for v in sorted(allowed)) or "none"
            context = ""
            if option.possible_dependent_values and option.parent_id:
                context = f" for the answer to {option.parent_id!r}"
            problems.append(
                _problem(
                    (option.id, index),
                    f"{value!r} is not a choice of widget {option.id!r}{context} "
                    f"(choices: {shown})",
                    "resume-value",
                )
            )
    return problems


def _problem(where: tuple[str | int, ...], message: str, code: str) -> Problem:
    return Problem(path=format_path((*_BASE, *where)), message=message, code=code)
