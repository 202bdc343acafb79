"""Checks of a person's answer against the view it answers.

Runs inside the resume update's validator, so a wrong answer is refused before it
enters the run's history. Pure and deterministic.
"""

from __future__ import annotations

from drift_models import Problem, ResumeRules, View, ViewOption, ViewResponse, format_path

__all__ = ["check_view_response"]

_BASE = ("viewResponse", "selectedOptions")


def check_view_response(
    view: View, rules: ResumeRules | None, response: ViewResponse
) -> list[Problem]:
    """Every way ``response`` breaks the view's widgets and ``rules``."""
    rules = rules or ResumeRules()
    options = {option.id: option for option in view.input_options}
    selected = response.selected_options
    problems: list[Problem] = []
    for option_id in selected:
        if option_id not in options:
            known = ", ".join(options) or "none"
            problems.append(
                _problem(
                    option_id,
                    f"{option_id!r} is not a widget of this view (widgets: {known})",
                    "unknown-option",
                )
            )
    for option_id in rules.required:
        if not selected.get(option_id):
            problems.append(_problem(option_id, f"{option_id!r} needs an answer", "required"))
    for option_id in rules.single:
        if len(selected.get(option_id, [])) > 1:
            problems.append(_problem(option_id, f"{option_id!r} takes one value", "single"))
    if rules.restrict_to_possible_values:
        for option_id, values in selected.items():
            option = options.get(option_id)
            if option is None:
                continue
            parent_values = selected.get(option.parent_id, []) if option.parent_id else []
            allowed = _allowed(option, parent_values)
            for index, value in enumerate(values):
                if allowed is not None and value not in allowed:
                    choices = ", ".join(sorted(allowed)) or "none"
                    problems.append(
                        Problem(
                            path=format_path((*_BASE, option_id, index)),
                            message=f"{value!r} is not a choice of {option_id!r} (choices: {choices})",
                            code="not-a-choice",
                        )
                    )
    return problems


def _allowed(option: ViewOption, parent_values: list[str]) -> set[str] | None:
    values = [*option.possible_values, *option.possible_dynamic_values]
    if option.possible_dependent_values:
        groups = (
            [option.possible_dependent_values.get(v, []) for v in parent_values]
            if parent_values
            else list(option.possible_dependent_values.values())
        )
        for group in groups:
            values.extend(group)
        return {v.value for v in values}
    return {v.value for v in values} if values else None


def _problem(option_id: str, message: str, code: str) -> Problem:
    return Problem(path=format_path((*_BASE, option_id)), message=message, code=code)
