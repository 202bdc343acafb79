"""The INSTRUCTION node: a view for a person, and the rules their answer must meet."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from drift_models._base import DslStruct
from drift_models.nodes.base import NodeDefinition
from drift_models.values import Value
from drift_models.views import OptionId, PossibleValue, Tag

__all__ = [
    "DynamicValues",
    "InputOption",
    "InstructionConfig",
    "InstructionNode",
    "InstructionTemplate",
    "ResumeRules",
    "ViewTemplate",
]


class InstructionTemplate(DslStruct, frozen=True, kw_only=True):
    """A message template of the client, with variables that may be templates.

    Attributes:
        template_id: which of the client's templates to show.
        template_variables: name → value (literal, template or script).
    """

    template_id: Annotated[str, msgspec.Meta(min_length=1)]
    template_variables: dict[str, Value] = {}


class DynamicValues(DslStruct, frozen=True, kw_only=True):
    """Choices computed at run time from data, typically an earlier node's output.

    Attributes:
        source: a value that renders to a list (``"{{ orders }}"`` where ``orders`` is a
            parameter mapped from ``$.lookup.body.orders``).
        display_field: the scope path, inside each item, of the text shown.
        value_field: the scope path, inside each item, of the value sent back.
    """

    source: Value
    display_field: str = "displayValue"
    value_field: str = "value"


class InputOption(DslStruct, frozen=True, kw_only=True):
    """One widget of a view, as authored.

    Attributes:
        id: the widget's id, unique within the view.
        parent_id: the widget this one belongs to; for dependent values, the widget
            whose chosen value selects this one's choices.
        description: the text shown with the widget (may be a template).
        tags: labels for the client.
        instructions: messages to show with it.
        possible_values: fixed choices.
        possible_dynamic_values: choices computed at run time.
        possible_dependent_values: value of the parent widget → the choices then.
        meta_data: anything else the client needs; passed through as is.
    """

    id: OptionId
    parent_id: OptionId | None = None
    description: Value = None
    tags: tuple[Tag, ...] = ()
    instructions: tuple[InstructionTemplate, ...] = ()
    possible_values: tuple[PossibleValue, ...] = ()
    possible_dynamic_values: DynamicValues | None = None
    possible_dependent_values: dict[str, tuple[PossibleValue, ...]] = {}
    meta_data: dict[str, Any] = {}


class ViewTemplate(DslStruct, frozen=True, kw_only=True):
    """A view as authored: a layout and its widgets.

    Attributes:
        layout_id: which of the client's layouts to use.
        input_options: the widgets, in order.
    """

    layout_id: Annotated[str, msgspec.Meta(min_length=1)]
    input_options: tuple[InputOption, ...] = ()


class ResumeRules(DslStruct, frozen=True, kw_only=True):
    """What an answer to the view must satisfy; a resume that breaks them is rejected.

    Whatever the rules, an answer may only name widgets of the view.

    Attributes:
        required: widget ids that must have at least one value.
        single: widget ids that take at most one value.
        restrict_to_possible_values: when true, a widget that offers choices only
            accepts those choices (free-text widgets have none and accept anything).
    """

    required: tuple[OptionId, ...] = ()
    single: tuple[OptionId, ...] = ()
    restrict_to_possible_values: bool = True


class InstructionConfig(ViewTemplate, frozen=True, kw_only=True):
    """The view an INSTRUCTION node shows, and how an answer is checked.

    Attributes:
        disposition: the disposition the run reports while the view is shown; may be
            a template.
        status: a status label for the client.
        rules: what the answer must satisfy.
    """

    disposition: Value = None
    status: str | None = None
    rules: ResumeRules = ResumeRules()


class InstructionNode(NodeDefinition, tag="INSTRUCTION", frozen=True, kw_only=True):
    """A node that shows a view and waits for a person's answer."""

    config: InstructionConfig
