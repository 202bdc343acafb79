"""Discovery of node types through the ``drift.nodes`` entry point group.

Every node type — the built-ins too — is offered by an entry point whose name is its
``type`` name and whose value is its :class:`~drift_nodes.NodeType` class::

    [project.entry-points."drift.nodes"]
    "acme.SLACK" = "acme_drift.slack:SlackNodeType"

:func:`discover_nodes` loads them all, refuses two packages offering one type (naming
both) unless the ``allow`` setting picks one, and fills a :class:`drift_models.NodeTypes`
so the store and the API decode plugin definitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Final

from drift_models import NodeDefinition, NodeTypes
from drift_nodes.api import NodeType

__all__ = ["NODES_ENTRY_POINT_GROUP", "NodeDiscoveryError", "NodeRegistry", "discover_nodes"]

NODES_ENTRY_POINT_GROUP: Final = "drift.nodes"


class NodeDiscoveryError(RuntimeError):
    """Two packages offer one node type, or an entry point is broken."""


@dataclass(frozen=True, slots=True)
class _Offer:
    distribution: str
    value: str
    node_type: NodeType[Any]


class NodeRegistry:
    """The node types of one worker, by ``type`` name.

    Attributes:
        node_types: the DSL union filled with every registered definition type.
    """

    def __init__(self) -> None:
        self._types: dict[str, NodeType[Any]] = {}
        self._sources: dict[str, str] = {}
        self.node_types = NodeTypes(())

    def add(self, node_type: NodeType[Any], *, source: str) -> None:
        """Register ``node_type`` as provided by the distribution ``source``.

        Raises:
            NodeDiscoveryError: when another source already registered its type name.
        """
        name = node_type.type_name
        if name in self._types and self._types[name] is not node_type:
            msg = (
                f"node type {name!r} is offered by {self._sources[name]!r} and by {source!r}; "
                "uninstall one or choose one with the allow setting"
            )
            raise NodeDiscoveryError(msg)
        self._types[name] = node_type
        self._sources[name] = source
        self.node_types.register(node_type.definition, source=source)

    def __getitem__(self, name: str) -> NodeType[Any]:
        try:
            return self._types[name]
        except KeyError:
            known = ", ".join(sorted(self._types))
            msg = f"no node type {name!r} is installed (installed: {known})"
            raise KeyError(msg) from None

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._types))

    def __len__(self) -> int:
        return len(self._types)

    def for_definition(self, definition: NodeDefinition) -> NodeType[Any]:
        """The node type that executes ``definition``."""
        return self[definition.type_name]

    def names(self) -> list[str]:
        """The registered type names."""
        return list(self._types)

    def source(self, name: str) -> str | None:
        """The distribution that provides ``name``."""
        return self._sources.get(name)


def discover_nodes(
    *,
    allow: Mapping[str, str] | None = None,
    entry_points: Iterable[metadata.EntryPoint] | None = None,
) -> NodeRegistry:
    """Load every node type offered through the ``drift.nodes`` entry point group.

    Args:
        allow: type name → the distribution whose node type to use when several
            packages offer that type (``NodeSettings.allow``, ``DRIFT_NODES_ALLOW``).
        entry_points: the entry points to load instead of the installed ones (tests).

    Raises:
        NodeDiscoveryError: naming both packages when two offer one type and ``allow``
            does not choose; naming the package whose entry point cannot be loaded or
            does not name a node type.
    """
    chosen = dict(allow or {})
    found = (
        metadata.entry_points(group=NODES_ENTRY_POINT_GROUP)
        if entry_points is None
        else entry_points
    )
    offers: dict[str, list[_Offer]] = {}
    for entry_point in found:
        distribution = entry_point.dist.name if entry_point.dist else "an unknown package"
        known = offers.setdefault(entry_point.name, [])
        if any(o.distribution == distribution and o.value == entry_point.value for o in known):
            continue  # the same package seen twice on sys.path
        known.append(_Offer(distribution, entry_point.value, _load(entry_point, distribution)))
    registry = NodeRegistry()
    for name, candidates in offers.items():
        offer = _choose(name, candidates, chosen.get(name))
        registry.add(offer.node_type, source=offer.distribution)
    return registry


def _load(entry_point: metadata.EntryPoint, distribution: str) -> NodeType[Any]:
    where = f"entry point {entry_point.name!r} = {entry_point.value!r} of {distribution!r}"
    try:
        loaded = entry_point.load()
    except Exception as error:
        msg = f"{where} cannot be loaded: {type(error).__name__}: {error}"
        raise NodeDiscoveryError(msg) from error
    node_type = loaded() if isinstance(loaded, type) and issubclass(loaded, NodeType) else loaded
    if not isinstance(node_type, NodeType):
        msg = f"{where} is not a drift_nodes.NodeType subclass"
        raise NodeDiscoveryError(msg)
    try:
        type_name = node_type.type_name
    except (AttributeError, TypeError) as error:
        msg = f"{where} has no usable definition type: {error}"
        raise NodeDiscoveryError(msg) from None
    if type_name != entry_point.name:
        msg = f"{where} provides type {type_name!r}: name the entry point {type_name!r}"
        raise NodeDiscoveryError(msg)
    return node_type


def _choose(name: str, candidates: list[_Offer], preferred: str | None) -> _Offer:
    if preferred is not None:
        for offer in candidates:
            if offer.distribution == preferred:
                return offer
        offered = ", ".join(repr(o.distribution) for o in candidates)
        msg = f"allow names {preferred!r} for node type {name!r}, but only {offered} offer it"
        raise NodeDiscoveryError(msg)
    if len(candidates) > 1:
        first, second = candidates[0], candidates[1]
        msg = (
            f"node type {name!r} is offered by two packages: {first.distribution!r} "
            f"({first.value}) and {second.distribution!r} ({second.value}); uninstall one, "
            f"or choose one with allow={{{name!r}: '<distribution>'}} "
            f"(DRIFT_NODES_ALLOW={name}=<distribution>)"
        )
        raise NodeDiscoveryError(msg)
    return candidates[0]
