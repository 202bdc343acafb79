"""A view as an HTML form, and a posted form as the view's answer.

Each widget of a view becomes one :class:`Widget`: its kind comes from its ``widget``
tag (``buttons``, ``dropdown``, ``text``, ``choice``) or, without one, from what it
offers (choices → radio buttons or check boxes, none → a text box). Whether it is
required or takes one value comes from the INSTRUCTION node's rules. Form fields are
named ``opt:<widget id>``; a posted form turns back into ``selectedOptions`` with empty
values dropped, and the API's refusals are attached to the widgets their paths name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from drift_models import Problem, View, ViewResponse
from drift_models.nodes.instruction import InstructionNode, ResumeRules
from drift_models.views import PossibleValue, ViewOption

__all__ = ["FIELD_PREFIX", "Choice", "Widget", "answer_of", "problems_by_widget", "widgets_of"]

FIELD_PREFIX: Final = "opt:"
_KINDS: Final = frozenset({"buttons", "dropdown", "text", "choice", "textarea"})
_WIDGET_PATH: Final = re.compile(r"^\$\.viewResponse\.selectedOptions\.([\w.\-]+)")


@dataclass(frozen=True, slots=True)
class Choice:
    """One value a widget offers.

    Attributes:
        label: what the person sees.
        value: what is sent back.
        group: the parent widget's value this choice belongs to (dependent values).
    """

    label: str
    value: str
    group: str | None = None


@dataclass(slots=True)
class Widget:
    """One widget of the form.

    Attributes:
        id: the widget id (the form field is ``opt:<id>``).
        kind: ``buttons``, ``dropdown``, ``radio``, ``checkbox``, ``text`` or ``textarea``.
        label: the widget's description.
        required: whether the answer must have a value for it.
        single: whether it takes at most one value.
        choices: the values offered (fixed, dynamic and dependent ones).
        parent: the widget whose value selects the dependent choices.
        instructions: ``(templateId, variables)`` to show with the widget.
        chosen: the values posted last time (kept when the answer was refused).
        problems: the API's refusals for this widget.
    """

    id: str
    kind: str
    label: str
    required: bool = False
    single: bool = True
    choices: list[Choice] = field(default_factory=list)
    parent: str | None = None
    instructions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def field(self) -> str:
        """The form field's name."""
        return FIELD_PREFIX + self.id


def _choices(values: Iterable[PossibleValue], group: str | None = None) -> list[Choice]:
    return [Choice(label=v.display_value or v.value, value=v.value, group=group) for v in values]


def _tagged_kind(option: ViewOption) -> str | None:
    for tag in option.tags:
        if tag.name == "widget" and tag.value in _KINDS:
            return "text" if tag.value == "text" else tag.value
    return None


def _kind(option: ViewOption, choices: list[Choice], *, single: bool) -> str:
    tagged = _tagged_kind(option)
    if tagged == "choice" or (tagged is None and choices):
        return "radio" if single else "checkbox"
    if tagged in {"buttons", "dropdown"} and not choices:
        return "text"
    return tagged or "text"


def _label(option: ViewOption) -> str:
    if isinstance(option.description, str) and option.description:
        return option.description
    if option.description is None:
        return option.id
    return str(option.description)


def widgets_of(view: View, rules: ResumeRules | None) -> list[Widget]:
    """The form's widgets for ``view``, following ``rules`` (``None``: no rules known)."""
    rules = rules or ResumeRules()
    widgets = []
    for option in view.input_options:
        choices = _choices(option.possible_values) + _choices(option.possible_dynamic_values)
        for parent_value, values in option.possible_dependent_values.items():
            choices += _choices(values, group=parent_value)
        single = option.id in rules.single
        kind = _kind(option, choices, single=single)
        if option.possible_dependent_values:
            kind = "dropdown"  # one control whose choices follow the parent's value
        widgets.append(
            Widget(
                id=option.id,
                kind=kind,
                label=_label(option),
                required=option.id in rules.required,
                single=single or kind in {"radio", "buttons", "dropdown"},
                choices=choices,
                parent=option.parent_id if option.possible_dependent_values else None,
                instructions=[(i.template_id, i.template_variables) for i in option.instructions],
            )
        )
    return widgets


def rules_of(node: object) -> ResumeRules | None:
    """The answer rules of an INSTRUCTION node definition (``None`` for anything else)."""
    return node.config.rules if isinstance(node, InstructionNode) else None


def answer_of(view: View, form: Mapping[str, list[str]]) -> ViewResponse:
    """The answer a posted form gives: each widget's non-empty values, in view order."""
    selected: dict[str, list[str]] = {}
    for option in view.input_options:
        values = [v for v in form.get(FIELD_PREFIX + option.id, []) if v.strip()]
        if values:
            selected[option.id] = values
    return ViewResponse(selected_options=selected)


def problems_by_widget(problems: Iterable[Problem]) -> tuple[dict[str, list[str]], list[str]]:
    """The API's problems per widget id (by their paths), and those of no widget."""
    by_widget: dict[str, list[str]] = {}
    general: list[str] = []
    for problem in problems:
        match = _WIDGET_PATH.match(problem.path or "")
        if match:
            by_widget.setdefault(match.group(1), []).append(problem.message)
        else:
            general.append(problem.message)
    return by_widget, general
