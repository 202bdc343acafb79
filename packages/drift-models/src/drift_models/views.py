"""The view model: what a person is shown, and what they answer.

A *view* is rendered from an INSTRUCTION node (or a terminal's final view) when a run
reaches it. Wire names follow the original platform: ``layoutId``, ``inputOptions``,
``possibleValues`` (``displayValue``, ``value``, ``metaData``),
``possibleDynamicValues``, ``possibleDependentValues``, ``instructions``
(``templateId``, ``templateVariables``) and, for answers, ``viewResponse.selectedOptions``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from drift_models._base import AnswerStruct, DslStruct

__all__ = [
    "OptionId",
    "PossibleValue",
    "RenderedInstruction",
    "Tag",
    "View",
    "ViewOption",
    "ViewResponse",
]

OptionId = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[\w.\-]{1,128}(?!\n)$",
        description="1-128 letters, digits, '_', '.' or '-'.",
    ),
]
"""The id of one widget (input option) of a view."""


class Tag(DslStruct, frozen=True, kw_only=True):
    """A label attached to a widget, for the client to style or group it.

    Attributes:
        name: what the tag is (``widget``, ``group``, ``style``…).
        value: its value, when it has one (``dropdown``).
    """

    name: Annotated[str, msgspec.Meta(min_length=1)]
    value: str | None = None


class PossibleValue(DslStruct, frozen=True, kw_only=True):
    """One value a person may choose for a widget.

    Attributes:
        display_value: what the person sees.
        value: what is sent back when they choose it.
        meta_data: anything else the client needs (an icon, a hint).
    """

    display_value: str
    value: str
    meta_data: dict[str, Any] = {}


class RenderedInstruction(AnswerStruct, kw_only=True):
    """A message template for the client with its variables filled in.

    Attributes:
        template_id: which of the client's templates to show.
        template_variables: the values for its placeholders.
    """

    template_id: str
    template_variables: dict[str, Any] = {}


class ViewOption(AnswerStruct, kw_only=True):
    """One widget of a rendered view.

    Attributes:
        id: the widget's id; the answer uses it as the key of ``selectedOptions``.
        parent_id: the widget this one belongs to or depends on.
        description: the text shown with the widget.
        tags: labels for the client.
        instructions: messages to show with it.
        possible_values: the fixed choices.
        possible_dynamic_values: choices computed from an earlier node's output.
        possible_dependent_values: choices per value of the parent widget (cascades).
        meta_data: what the author attached to the widget for the client, passed through.
    """

    id: str
    parent_id: str | None = None
    description: Any = None
    tags: list[Tag] = []
    instructions: list[RenderedInstruction] = []
    possible_values: list[PossibleValue] = []
    possible_dynamic_values: list[PossibleValue] = []
    possible_dependent_values: dict[str, list[PossibleValue]] = {}
    meta_data: dict[str, Any] = {}


class View(AnswerStruct, kw_only=True):
    """What a person is shown at a stable point of a run.

    Attributes:
        node: the state that produced the view; a resume may name it to be sure it
            answers this view and not a later one.
        layout_id: which of the client's layouts to use.
        input_options: the widgets, in order.
        disposition: the node's disposition, when it sets one.
        status: the node's status label, when it sets one.
    """

    node: str
    layout_id: str
    input_options: list[ViewOption] = []
    disposition: str | None = None
    status: str | None = None

    def option(self, option_id: str) -> ViewOption | None:
        """The widget with ``option_id``, if the view has it."""
        for option in self.input_options:
            if option.id == option_id:
                return option
        return None


class ViewResponse(AnswerStruct, kw_only=True):
    """A person's answer to a view.

    Attributes:
        selected_options: widget id → the values chosen or typed (one for a text box or
            a single choice, several for a multiple choice).
    """

    selected_options: dict[str, list[str]] = {}
