"""The open union of node types, and the decoders built from it.

msgspec decodes a tagged union only over types it knows when the decoder is built, yet
plugins add node types at run time. :class:`NodeTypes` holds the current set and builds,
on demand, a workflow type whose inline ``nodeDefinition`` is the union of exactly
those types. The built types are subclasses of :class:`WorkflowDefinition` and
:class:`WorkflowNode` that compare equal to them, so code that builds definitions by
hand and code that decodes them see the same values.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final, TypeAlias, cast

import msgspec

from drift_models.decoding import convert_strict, decode_strict
from drift_models.nodes import BUILTIN_NODE_TYPES, NodeDefinition
from drift_models.nodes.base import TYPE_NAME_PATTERN, InstanceName
from drift_models.workflow import WorkflowDefinition, WorkflowNode

__all__ = ["DuplicateNodeTypeError", "NodeTypes", "define_node_type"]

_TYPE_NAME: Final = re.compile(TYPE_NAME_PATTERN)

NodeUnion: TypeAlias = Any
"""A ``typing.Union`` of node definition types, built at run time."""


class DuplicateNodeTypeError(ValueError):
    """Two node types claim the same ``type`` name."""


@dataclass(frozen=True, slots=True)
class _Codec:
    union: NodeUnion
    workflow_node: type[WorkflowNode]
    workflow: type[WorkflowDefinition]


class NodeTypes:
    """The node types one process knows: the built-ins plus registered plugins.

    Example:
        >>> types = NodeTypes()
        >>> node = types.decode_node(
        ...     b'{"type":"SCRIPT","id":"n","name":"N","config":{"script":"1 + 1"}}'
        ... )
        >>> node.type_name
        'SCRIPT'
    """

    def __init__(self, types: Iterable[type[NodeDefinition]] = BUILTIN_NODE_TYPES) -> None:
        self._types: dict[str, type[NodeDefinition]] = {}
        self._sources: dict[str, str] = {}
        self._codec: _Codec | None = None
        self._lock = threading.Lock()
        for definition_type in types:
            self.register(definition_type, source="drift-models")

    def register(self, definition_type: type[NodeDefinition], *, source: str) -> None:
        """Add a node type.

        Args:
            definition_type: a subclass of :class:`NodeDefinition` with a ``tag`` (its
                ``type`` name) and a ``config`` field.
            source: who provides it (a distribution name), named in conflict errors.

        Raises:
            DuplicateNodeTypeError: when another source already registered the name.
            TypeError: when ``definition_type`` is not a tagged node definition.
        """
        name = _type_name(definition_type)
        with self._lock:
            existing = self._types.get(name)
            if existing is definition_type:
                return
            if existing is not None:
                msg = (
                    f"node type {name!r} is provided twice: by {self._sources[name]!r} "
                    f"({existing.__module__}.{existing.__qualname__}) and by {source!r} "
                    f"({definition_type.__module__}.{definition_type.__qualname__}); "
                    "uninstall one or allow-list the one to keep"
                )
                raise DuplicateNodeTypeError(msg)
            self._types[name] = definition_type
            self._sources[name] = source
            self._codec = None

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[type[NodeDefinition]]:
        return iter(list(self._types.values()))

    def __len__(self) -> int:
        return len(self._types)

    def names(self) -> list[str]:
        """The registered ``type`` names, in registration order."""
        return list(self._types)

    def get(self, name: str) -> type[NodeDefinition] | None:
        """The definition type registered under ``name``."""
        return self._types.get(name)

    def source(self, name: str) -> str | None:
        """Who registered ``name``."""
        return self._sources.get(name)

    @property
    def union(self) -> NodeUnion:
        """The tagged union of all registered node definition types."""
        return self._current().union

    @property
    def workflow_type(self) -> type[WorkflowDefinition]:
        """The workflow type whose inline node definitions range over this union."""
        return self._current().workflow

    def decode_node(self, data: bytes | str) -> NodeDefinition:
        """Decode one node definition from JSON.

        Raises:
            DocumentError: with the exact path of the first fault.
        """
        return cast("NodeDefinition", decode_strict(data, self.union, what="node definition"))

    def decode_workflow(self, data: bytes | str) -> WorkflowDefinition:
        """Decode one workflow definition from JSON.

        Raises:
            DocumentError: with the exact path of the first fault.
        """
        decoded = decode_strict(data, self.workflow_type, what="workflow definition")
        return cast("WorkflowDefinition", decoded)

    def convert_node(self, obj: Any) -> NodeDefinition:
        """Build a node definition from parsed data (a dict from YAML, say)."""
        return cast("NodeDefinition", convert_strict(obj, self.union))

    def convert_workflow(self, obj: Any) -> WorkflowDefinition:
        """Build a workflow definition from parsed data."""
        return cast("WorkflowDefinition", convert_strict(obj, self.workflow_type))

    def _current(self) -> _Codec:
        codec = self._codec
        if codec is None:
            with self._lock:
                codec = self._codec = _build_codec(tuple(self._types.values()))
        return codec


def _type_name(definition_type: Any) -> str:
    if not (isinstance(definition_type, type) and issubclass(definition_type, NodeDefinition)):
        msg = f"{definition_type!r} is not a subclass of drift_models.NodeDefinition"
        raise TypeError(msg)
    fields = {f.name for f in msgspec.structs.fields(definition_type)}
    if "config" not in fields:
        msg = f"{definition_type.__qualname__} has no 'config' field"
        raise TypeError(msg)
    tag = definition_type.__struct_config__.tag
    if (
        not isinstance(tag, str)
        or definition_type.__struct_config__.tag == definition_type.__name__
    ):
        msg = (
            f"{definition_type.__qualname__} needs an explicit type name: "
            f'class {definition_type.__name__}(NodeDefinition, tag="acme.MY_TYPE")'
        )
        raise TypeError(msg)
    if not _TYPE_NAME.match(tag):
        msg = f"node type name {tag!r} must match {TYPE_NAME_PATTERN}"
        raise TypeError(msg)
    return tag


def _build_codec(types: tuple[type[NodeDefinition], ...]) -> _Codec:
    union: Any = types[0]
    for member in types[1:]:
        union = union | member
    workflow_node = msgspec.defstruct(
        "WorkflowNode",
        [("node_definition", union | None, None)],
        bases=(WorkflowNode,),
        module=WorkflowNode.__module__,
        frozen=True,
        kw_only=True,
    )
    workflow = msgspec.defstruct(
        "WorkflowDefinition",
        [("states", dict[InstanceName, workflow_node])],  # type: ignore[valid-type]
        bases=(WorkflowDefinition,),
        module=WorkflowDefinition.__module__,
        frozen=True,
        kw_only=True,
    )
    return _Codec(
        union=union,
        workflow_node=cast("type[WorkflowNode]", workflow_node),
        workflow=cast("type[WorkflowDefinition]", workflow),
    )


def define_node_type(
    type_name: str, config_type: type[msgspec.Struct], *, class_name: str | None = None
) -> type[NodeDefinition]:
    """Make the node definition type for a plugin's configuration Struct.

    Equivalent to writing::

        class SlackNode(NodeDefinition, tag="acme.SLACK"):
            config: SlackConfig

    Args:
        type_name: the value of ``type`` in the JSON.
        config_type: the Struct of the node's ``config``.
        class_name: the Python name of the new class (derived from ``type_name``).
    """
    name = class_name or re.sub(r"\W", "_", type_name.title()).replace("_", "") + "Node"
    subclass = msgspec.defstruct(
        name,
        [("config", config_type)],
        bases=(NodeDefinition,),
        module=config_type.__module__,
        tag=type_name,
        frozen=True,
        kw_only=True,
    )
    return cast("type[NodeDefinition]", subclass)
