"""The context document of a run.

``_global`` holds the start parameters under ``params``, the caller's
``threadContext``, the output of every executed state under its instance name and each
person's answer under ``<instance>:viewResponse``. ``_enum_store`` holds the tenant's
lookup values (service addresses, settings). The store persists the document after
every node; it never travels through Temporal payloads.
"""

from __future__ import annotations

from typing import Any

import msgspec

from drift_models.paths import Path, lookup
from drift_models.requests import ThreadContext
from drift_models.views import ViewResponse

__all__ = ["RunContext", "view_response_key"]


def view_response_key(instance: str) -> str:
    """The key of a state's answer in ``_global``: ``<instance>:viewResponse``."""
    return f"{instance}:viewResponse"


class RunContext(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A run's context document.

    Attributes:
        global_: ``_global`` on the wire.
        enum_store: ``_enum_store`` on the wire.
    """

    global_: dict[str, Any] = msgspec.field(name="_global", default_factory=dict)
    enum_store: dict[str, Any] = msgspec.field(name="_enum_store", default_factory=dict)

    @classmethod
    def start(
        cls,
        params: dict[str, Any],
        thread_context: ThreadContext | None = None,
        enum_store: dict[str, Any] | None = None,
    ) -> RunContext:
        """The context of a new run."""
        global_: dict[str, Any] = {"params": dict(params)}
        if thread_context is not None:
            global_["threadContext"] = msgspec.to_builtins(thread_context)
        return cls(global_=global_, enum_store=dict(enum_store or {}))

    @property
    def params(self) -> dict[str, Any]:
        """The run's start parameters."""
        params: dict[str, Any] = self.global_.get("params", {})
        return params

    def output(self, instance: str) -> Any:
        """The output of a state, or ``None`` when it has not run."""
        return self.global_.get(instance)

    def set_output(self, instance: str, output: Any) -> None:
        """Record a state's output (a later run of the same state replaces it)."""
        self.global_[instance] = output

    def set_view_response(self, instance: str, response: ViewResponse) -> None:
        """Record a person's answer to a state's view."""
        self.global_[view_response_key(instance)] = msgspec.to_builtins(response)

    def lookup(self, path: Path) -> Any:
        """Read a ``$``-path: ``_enum_store`` paths read the enum store, all others ``_global``.

        Raises:
            PathNotFoundError: naming the first missing step and what was there.
        """
        if path and path[0] == "_enum_store":
            return lookup({"_enum_store": self.enum_store}, path)
        return lookup(self.global_, path)
