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

__all__ = ["allowed_values", "validate_resume"]

_BASE = ("viewResponse", "selectedOptions")


def validate_resume(
    node: InstructionNode | ResumeRules, view: View, response: ViewResponse
) -> list[Problem]:
    """Every problem of ``response`` as an answer to ``view``; empty when it is acceptable.

    Args:
        node: the INSTRUCTION definition (or just its rules).
        view: the view as rendered and shown (its dynamic choices are the ones allowed).
        response: the person's answer.

    Whatever the rules, an answer may only name widgets of the view.
    """
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
            problems.extend(_check_choices(option, selected))
    return problems


def allowed_values(option: ViewOption, selected: dict[str, list[str]]) -> set[str] | None:
    """The values ``option`` accepts given the other answers, or ``None`` for free text.

    Dependent values follow the parent widget's answer; when the parent is unanswered,
    any dependent value is accepted.
    """
    allowed = {v.value for v in option.possible_values}
    allowed.update(v.value for v in option.possible_dynamic_values)
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


def _check_choices(option: ViewOption, selected: dict[str, list[str]]) -> list[Problem]:
    values = selected.get(option.id, [])
    if not values:
        return []
    allowed = allowed_values(option, selected)
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
