"""What every node definition has, whatever its type."""

from __future__ import annotations

from typing import Annotated, Final

import msgspec

from drift_models._base import DslStruct
from drift_models.versions import DefinitionVersion

__all__ = [
    "DefinitionId",
    "InstanceName",
    "NodeDefinition",
    "NodeTarget",
    "ParameterName",
    "RetryPolicy",
    "TypeName",
]

DEFINITION_ID_PATTERN: Final = r"^[\w.\-]{1,128}(?!\n)$"
INSTANCE_NAME_PATTERN: Final = r"^[^\W\d][\w\-]{0,127}(?!\n)$"
TYPE_NAME_PATTERN: Final = r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}(?!\n)$"

DefinitionId = Annotated[
    str,
    msgspec.Meta(
        pattern=DEFINITION_ID_PATTERN,
        description="1-128 letters (any script), digits, '_', '.' or '-'.",
    ),
]
"""The id of a node or workflow definition."""

InstanceName = Annotated[
    str,
    msgspec.Meta(
        pattern=INSTANCE_NAME_PATTERN,
        description="A state of a workflow: a letter or '_' then letters, digits, '_' or '-'.",
    ),
]
"""The name of one state of a workflow (one use of a node definition)."""

NodeTarget = Annotated[
    str,
    msgspec.Meta(
        pattern=INSTANCE_NAME_PATTERN,
        description="The instance name of a state of the workflow the run may go to.",
    ),
]
"""A field of a node's config naming a state to go to (a branch choice, a timeout).

Plugins use it too: validation and graph pictures find every ``NodeTarget`` field
of any node type and treat it as a possible next state.
"""

ParameterName = Annotated[
    str,
    msgspec.Meta(
        pattern=INSTANCE_NAME_PATTERN,
        description="A letter or '_' then letters, digits, '_' or '-'.",
    ),
]
"""The name of an input of a node or of a workflow."""

TypeName = Annotated[str, msgspec.Meta(pattern=TYPE_NAME_PATTERN)]
"""The name of a node type: ``HTTP`` or a plugin's ``acme.SLACK``."""


class RetryPolicy(DslStruct, frozen=True, kw_only=True):
    """How often and how patiently a failing node is tried again.

    Attributes:
        maximum_attempts: attempts in all, the first included; 0 means no limit.
        initial_interval_seconds: the wait before the second attempt.
        backoff_coefficient: each wait is this many times the previous one.
        maximum_interval_seconds: the longest wait between two attempts.
    """

    maximum_attempts: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 3
    initial_interval_seconds: Annotated[float, msgspec.Meta(gt=0, le=86400)] = 1.0
    backoff_coefficient: Annotated[float, msgspec.Meta(ge=1, le=100)] = 2.0
    maximum_interval_seconds: Annotated[float, msgspec.Meta(gt=0, le=86400)] | None = None


class NodeDefinition(DslStruct, tag_field="type", frozen=True, kw_only=True):
    """A reusable node. Each node type is a subclass that adds a typed ``config``.

    The JSON carries the type's name in ``type``; the subclasses form a tagged union
    that plugins can extend (see :class:`drift_models.NodeTypes`).

    Attributes:
        id: the definition's id, unique per tenant.
        name: a short name people read.
        version: ``SNAPSHOT`` for the draft, else the published number.
        parameters: the names of the inputs the node expects; a workflow maps each one.
        description: what the node does, for people.
        timeout_seconds: the limit of one attempt; unset means the type's default.
        retry: how failing attempts are repeated; unset means the type's default.
    """

    id: DefinitionId
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    version: DefinitionVersion = "SNAPSHOT"
    parameters: tuple[ParameterName, ...] = ()
    description: str | None = None
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=31_536_000)] | None = None
    retry: RetryPolicy | None = None

    @property
    def type_name(self) -> str:
        """The value of ``type`` in this definition's JSON."""
        tag = type(self).__struct_config__.tag
        return str(tag)
