"""An example Drift node type: ``example.MASK`` hides all but the end of sensitive text.

It is the complete plugin the drift-nodes guide builds: a config Struct, a definition
type joining the DSL union, a node type with one ``execute`` method, an auth token
provider, and entry points for both (see ``pyproject.toml``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

from drift_models import NodeDefinition, RetryPolicy, Value
from drift_nodes import (
    NodeCall,
    NodeConfig,
    NodeResult,
    NodeType,
    PermanentNodeError,
    TokenRequest,
)

__all__ = ["EnumStoreTokenProvider", "MaskConfig", "MaskNode", "MaskNodeType", "mask"]


class MaskConfig(NodeConfig, frozen=True, kw_only=True):
    """What to mask and how.

    Attributes:
        value: the text, or an object of texts, to mask (a literal, template or script).
        fields: for an object, the keys to mask; empty masks every string in it.
        keep_last: how many characters stay readable at the end.
        mask_char: the character that replaces the others.
    """

    value: Value
    fields: tuple[str, ...] = ()
    keep_last: Annotated[int, msgspec.Meta(ge=0, le=64)] = 4
    mask_char: Annotated[str, msgspec.Meta(min_length=1, max_length=1)] = "*"


class MaskNode(NodeDefinition, tag="example.MASK", frozen=True, kw_only=True):
    """A node that masks sensitive text (card numbers, phone numbers) before it is shown."""

    config: MaskConfig


class MaskNodeType(NodeType[MaskNode]):
    """Runs ``example.MASK`` nodes: pure, so the worker runs them as local activities."""

    definition: ClassVar[type[NodeDefinition]] = MaskNode
    pure: ClassVar[bool] = True
    default_timeout_seconds: ClassVar[float] = 5.0
    default_retry: ClassVar[RetryPolicy] = RetryPolicy(maximum_attempts=1)

    async def execute(self, definition: MaskNode, call: NodeCall) -> NodeResult:
        """Render ``value`` and mask it."""
        config = definition.config
        value = await call.render(config.value, where="config.value")
        if isinstance(value, str):
            return NodeResult(output=mask(value, config.keep_last, config.mask_char))
        if isinstance(value, dict):
            chosen = set(config.fields) or {k for k, v in value.items() if isinstance(v, str)}
            return NodeResult(
                output={
                    key: mask(str(item), config.keep_last, config.mask_char)
                    if key in chosen
                    else item
                    for key, item in value.items()
                }
            )
        msg = f"config.value: expected text or an object, got {type(value).__name__}"
        raise PermanentNodeError(msg, code="mask-value")


def mask(text: str, keep_last: int, mask_char: str = "*") -> str:
    """``text`` with all but its last ``keep_last`` characters replaced by ``mask_char``."""
    kept = text[-keep_last:] if keep_last else ""
    return mask_char * (len(text) - len(kept)) + kept


class EnumStoreTokenProvider:
    """An auth provider that reads the token from the tenant's ``_enum_store``.

    The key is ``<provider>.token``, e.g. ``example-static.token``.
    """

    async def get_token(self, request: TokenRequest) -> str:
        """The token stored for this tenant."""
        key = f"{request.provider}.token"
        token: Any = request.enum_store.get(key)
        if token is None:
            msg = f"the enum store has no {key!r}"
            raise LookupError(msg)
        return str(token)
