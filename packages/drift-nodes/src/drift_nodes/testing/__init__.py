"""The kit a node author runs against a node type.

:func:`check_node_type` checks the static promises of a node type (type name,
definition type, docstrings, registration through ``drift.nodes``) and runs it on
examples the author supplies: each definition must survive a JSON round trip, pass
validation with the real script checker, and execute to a :class:`~drift_nodes.NodeResult`
that is JSON through and through, consistent (a ``next_node`` the definition names, a
terminal status with its message) and — for a pure node — the same on a second run.
Every failure is collected and reported at once.

Example:
    >>> async def test_my_node() -> None:  # doctest: +SKIP
    ...     async with NodeResources() as resources:
    ...         await check_node_type(
    ...             MyNodeType(), [NodeExample(definition=...)], resources=resources
    ...         )
"""

from __future__ import annotations

from drift_nodes.testing._kit import (
    NodeConformanceError,
    NodeExample,
    check_node_type,
    execute_with_retries,
    make_call,
    run_node,
)
from drift_nodes.testing._scripts import BINARY_OPERATORS, SHAPES, WRAPPERS, huge_cases, nest
from drift_nodes.testing._server import Handler, LocalHttpServer

__all__ = [
    "BINARY_OPERATORS",
    "SHAPES",
    "WRAPPERS",
    "Handler",
    "LocalHttpServer",
    "NodeConformanceError",
    "NodeExample",
    "check_node_type",
    "execute_with_retries",
    "huge_cases",
    "make_call",
    "nest",
    "run_node",
]
