"""Parameter mapping: a state's ``parameters`` resolved against the run's context.

A workflow state maps each node input to a ``$.``-path into the context
(``$.params.orderId``, ``$.lookup.body.total``, ``$.review:viewResponse``,
``$._enum_store.key``, ``$.threadContext.tenantId``) or to a literal. A path that leads
nowhere fails the node with a message naming the state, the parameter and the path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from drift_models import PathNotFoundError, PathSyntaxError, RunContext, parameter_ref
from drift_nodes.errors import ParameterError

__all__ = ["resolve_parameters"]


def resolve_parameters(
    instance: str,
    mapping: Mapping[str, Any],
    context: RunContext,
    *,
    declared: Iterable[str] = (),
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The node's inputs for one execution of state ``instance``.

    Args:
        instance: the state's name (for messages).
        mapping: the state's ``parameters``: input → ``$.``-path or literal.
        context: the run's context.
        declared: the inputs the node definition declares; each must end up with a value.
        overrides: values that take precedence over the mapping (a utility call's).

    Raises:
        ParameterError: naming the state, the parameter and the missing path.
    """
    given = dict(overrides or {})
    resolved: dict[str, Any] = {}
    for name, value in mapping.items():
        if name in given:
            continue
        try:
            reference = parameter_ref(value)
        except PathSyntaxError as error:
            msg = f"state {instance!r}, parameter {name!r}: {error}"
            raise ParameterError(
                msg,
                details={"state": instance, "parameter": name, "path": value},
            ) from None
        if reference is None:
            resolved[name] = value
            continue
        try:
            resolved[name] = context.lookup(reference.path)
        except PathNotFoundError as error:
            msg = (
                f"state {instance!r}, parameter {name!r}: {reference.text} cannot be read: "
                f"{error.reason}"
            )
            raise ParameterError(
                msg,
                details={"state": instance, "parameter": name, "path": reference.text},
            ) from None
    resolved.update(given)
    missing = [name for name in declared if name not in resolved]
    if missing:
        names = ", ".join(repr(n) for n in missing)
        msg = (
            f"state {instance!r}: no value for parameter(s) {names}; map them in the state's "
            "parameters"
        )
        raise ParameterError(
            msg,
            details={"state": instance, "parameters": missing},
        )
    return resolved
