"""The node plugin API: one class per node type, one ``execute`` method.

A node type pairs a *definition type* — a :class:`drift_models.NodeDefinition`
subclass with a ``tag`` (the ``type`` name in JSON) and a typed ``config`` — with the
code that runs it::

    class ShoutConfig(NodeConfig, frozen=True, kw_only=True):
        text: Value


    class ShoutNode(NodeDefinition, tag="acme.SHOUT", frozen=True, kw_only=True):
        config: ShoutConfig


    class Shout(NodeType[ShoutNode]):
        definition = ShoutNode
        pure = True

        async def execute(self, definition: ShoutNode, call: NodeCall) -> NodeResult:
            text = await call.render(definition.config.text, where="config.text")
            return NodeResult(output=str(text).upper())

and is registered in the ``drift.nodes`` entry point group under its type name.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import msgspec

from drift_models import NodeDefinition, RetryPolicy, RunContext, ThreadContext
from drift_nodes.rendering import render_value
from drift_nodes.resources import NodeResources
from drift_nodes.results import NodeResult

__all__ = ["NodeCall", "NodeConfig", "NodeType"]

D = TypeVar("D", bound=NodeDefinition)


class NodeConfig(
    msgspec.Struct,
    kw_only=True,
    frozen=True,
    forbid_unknown_fields=True,
    rename="camel",
    omit_defaults=True,
):
    """Base of a node type's ``config`` Struct: camelCase JSON, strict, immutable.

    Subclasses repeat ``frozen=True, kw_only=True``. Mark fields that hold literals,
    templates or scripts as :data:`drift_models.Value`, scripts as
    :data:`drift_models.ScriptSource` and state names as :data:`drift_models.NodeTarget`:
    validation, pictures and the engine then find them without knowing your type.
    """


@dataclass(frozen=True, slots=True)
class NodeCall:
    """One execution of a node, as the worker hands it to :meth:`NodeType.execute`.

    Attributes:
        instance: the workflow state being executed.
        parameters: the node's inputs, already resolved from the state's mapping.
        context: the run's context (read it; the worker records the result).
        resources: the worker's shared HTTP session, script engine and settings.
        run_id: the run's id.
        thread_context: who started or resumed the run.
        attempt: 1 for the first attempt, then 2, 3… on retries.
        timeout_seconds: the limit of this attempt as the worker set it (the state's
            override, else the definition's, else the type's default); nodes that wait
            on something (HTTP) bound their wait by it.
    """

    instance: str
    parameters: Mapping[str, Any]
    context: RunContext
    resources: NodeResources
    run_id: str = ""
    thread_context: ThreadContext | None = None
    attempt: int = 1
    timeout_seconds: float | None = None
    _scope: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def scope(self) -> dict[str, Any]:
        """The names templates and scripts see: parameters, ``_global``, ``_enum_store``."""
        if not self._scope:
            self._scope.update(self.parameters)
            self._scope["_global"] = self.context.global_
            self._scope["_enum_store"] = self.context.enum_store
        return self._scope

    async def render(
        self,
        raw: Any,
        *,
        where: str = "value",
        extra: Mapping[str, Any] | None = None,
        allow_scripts: bool = True,
    ) -> Any:
        """Render a ``Value`` field (literal, template or script) over the scope.

        Args:
            raw: the field's JSON as written.
            where: the field's place, for error messages (``config.url``).
            extra: more names for this rendering only (``_response``).
            allow_scripts: ``False`` refuses scripts.

        Raises:
            ValueRenderError: a placeholder names nothing in the scope.
            ScriptError: a script fails.
        """
        scope = self.scope if not extra else {**self.scope, **extra}
        return await render_value(
            raw, scope, self.resources.scripts, where=where, allow_scripts=allow_scripts
        )

    async def evaluate(self, source: str, extra: Mapping[str, Any] | None = None) -> Any:
        """Run a script over the scope (plus ``extra``) and return its result."""
        scope = self.scope if not extra else {**self.scope, **extra}
        return await self.resources.scripts.evaluate(source, scope)


class NodeType(abc.ABC, Generic[D]):
    """Base of every node type, built-in or plugin.

    Class attributes:
        definition: the node definition type (a tagged ``NodeDefinition`` subclass).
        pure: ``True`` when the node does no I/O and may run as a Temporal *local*
            activity; ``False`` (the default, and right for anything that calls out)
            runs it as an ordinary activity.
        default_timeout_seconds: the limit of one attempt when the definition and the
            state set none.
        default_retry: the retry policy when the definition and the state set none.
    """

    definition: ClassVar[type[NodeDefinition]]
    pure: ClassVar[bool] = False
    default_timeout_seconds: ClassVar[float] = 30.0
    default_retry: ClassVar[RetryPolicy] = RetryPolicy()

    @property
    def type_name(self) -> str:
        """The ``type`` of this node type's definitions in JSON."""
        tag = self.definition.__struct_config__.tag
        if not isinstance(tag, str):
            msg = f"{self.definition.__qualname__} has no tag: give it tag='acme.MY_TYPE'"
            raise TypeError(msg)
        return tag

    def timeout_seconds(self, definition: NodeDefinition) -> float:
        """The limit of one attempt: the definition's, else the type's default."""
        return definition.timeout_seconds or self.default_timeout_seconds

    def retry_policy(self, definition: NodeDefinition) -> RetryPolicy:
        """How failing attempts are repeated: the definition's, else the type's default."""
        return definition.retry or self.default_retry

    @abc.abstractmethod
    async def execute(self, definition: D, call: NodeCall) -> NodeResult:
        """Run the node once.

        Args:
            definition: the node definition (of this type's ``definition`` class).
            call: the resolved parameters, the context and the shared resources.

        Returns:
            The node's output and, where relevant, what the run does next.

        Raises:
            RetryableNodeError: for a failure another attempt may cure.
            PermanentNodeError: for a failure every attempt would repeat.
        """
