"""Rendering a view template into the :class:`drift_models.View` a person is shown.

Descriptions and instruction variables are rendered over the node's scope; dynamic
values are taken from data (typically an earlier node's output mapped in as a
parameter); dependent values are passed on per value of the parent widget.
"""

from __future__ import annotations

from typing import Any

from drift_models import (
    DynamicValues,
    InputOption,
    PathNotFoundError,
    PathSyntaxError,
    PossibleValue,
    RenderedInstruction,
    View,
    ViewOption,
    ViewTemplate,
    lookup,
    parse_path,
)
from drift_nodes.api import NodeCall
from drift_nodes.errors import ValueRenderError

__all__ = ["render_label", "render_view"]


async def render_view(
    template: ViewTemplate,
    call: NodeCall,
    *,
    where: str,
    disposition: str | None = None,
    status: str | None = None,
) -> View:
    """Render ``template`` for state ``call.instance``.

    Args:
        template: the view as authored.
        call: the execution (its scope fills the templates).
        where: the template's place in the definition (``config`` or ``config.view``).
        disposition: the rendered disposition to show with the view.
        status: the status label to show with the view.

    Raises:
        ValueRenderError: a placeholder or a dynamic source names nothing in the scope,
            or dynamic values are not a list of objects.
    """
    options = [
        await _render_option(option, call, f"{where}.inputOptions[{index}]")
        for index, option in enumerate(template.input_options)
    ]
    return View(
        node=call.instance,
        layout_id=template.layout_id,
        input_options=options,
        disposition=disposition,
        status=status,
    )


async def render_label(raw: Any, call: NodeCall, *, where: str) -> str | None:
    """Render a label such as a disposition: ``None`` stays ``None``, the rest becomes text."""
    value = await call.render(raw, where=where)
    if value is None or isinstance(value, str):
        return value
    return str(value)


async def _render_option(option: InputOption, call: NodeCall, where: str) -> ViewOption:
    instructions = [
        RenderedInstruction(
            template_id=instruction.template_id,
            template_variables={
                name: await call.render(raw, where=f"{where}.instructions[{i}].{name}")
                for name, raw in instruction.template_variables.items()
            },
        )
        for i, instruction in enumerate(option.instructions)
    ]
    dynamic: list[PossibleValue] = []
    if option.possible_dynamic_values is not None:
        dynamic = await _dynamic_values(
            option.possible_dynamic_values, call, f"{where}.possibleDynamicValues"
        )
    return ViewOption(
        id=option.id,
        parent_id=option.parent_id,
        description=await call.render(option.description, where=f"{where}.description"),
        tags=list(option.tags),
        instructions=instructions,
        possible_values=list(option.possible_values),
        possible_dynamic_values=dynamic,
        possible_dependent_values={
            key: list(values) for key, values in option.possible_dependent_values.items()
        },
        meta_data=dict(option.meta_data),
    )


async def _dynamic_values(spec: DynamicValues, call: NodeCall, where: str) -> list[PossibleValue]:
    items = await call.render(spec.source, where=f"{where}.source")
    if not isinstance(items, list):
        kind = type(items).__name__ if items is not None else "null"
        msg = f"{where}.source: expected a list of choices, got {kind}"
        raise ValueRenderError(msg)
    display = _field_path(spec.display_field, f"{where}.displayField")
    value = _field_path(spec.value_field, f"{where}.valueField")
    choices: list[PossibleValue] = []
    for index, item in enumerate(items):
        try:
            shown = lookup(item, display, rooted=False)
            sent = lookup(item, value, rooted=False)
        except PathNotFoundError as error:
            msg = f"{where}: choice {index} of the source: {error.reason}"
            raise ValueRenderError(msg) from None
        meta = item if isinstance(item, dict) else {}
        choices.append(PossibleValue(display_value=_text(shown), value=_text(sent), meta_data=meta))
    return choices


def _field_path(text: str, where: str) -> tuple[str | int, ...]:
    try:
        return parse_path(text, rooted=False)
    except PathSyntaxError as error:
        msg = f"{where}: {error}"
        raise ValueRenderError(msg) from None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)
