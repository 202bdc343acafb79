"""The workflow sandbox, with Drift's own modules passed through and its entries made cheap.

Temporal re-imports workflow modules in a sandbox to keep workflow code deterministic.
Drift's models, plans and checks are pure and deterministic already; passing them (and
msgspec) through keeps one copy of each class, so msgspec's type information stays
valid and decoding is not repeated per workflow.

The SDK enters its sandbox by running a short piece of source text with ``exec``: for
each activation, and for each payload sequence of an activation and of its completion,
to ask the workflow instance which serialization context the payload belongs to (46
entries in a replay of the refund flow's history, 36 of them for contexts). Two things
of that are work done again and again for the same result, and Drift's runner does them
once (decision 135):

- the source text is compiled once per distinct text (a handful per process) instead of
  at every entry;
- a payload's serialization context and external-store context are read from the
  workflow instance directly. They are the SDK's bookkeeping (the pending command's
  activity, child or workflow ids); no workflow code runs and nothing is imported, so the
  restricted environment has nothing to guard there. Activations, where workflow code
  does run, still enter the sandbox, with every restriction in place.

``temporalio.worker.workflow_sandbox._runner`` is the SDK's private module (its API is
marked unstable); the tests replay every recorded history with this runner and check,
entry by entry, that the direct answers equal the sandboxed ones, so an SDK upgrade
that changes the internals fails there, not in production.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from types import CodeType
from typing import Any, Final

import temporalio.workflow
from temporalio.converter import SerializationContext, StorageDriverStoreContext
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.worker.workflow_sandbox._runner import _Instance

__all__ = ["PASSED_THROUGH", "DriftSandboxedRunner", "compiled_entries", "workflow_runner"]

PASSED_THROUGH = ("msgspec", "drift_models", "drift_nodes", "drift_worker")

_IN_SANDBOX: Final = "__temporal_in_sandbox"


@functools.lru_cache(maxsize=64)
def _compile(code: str) -> CodeType:
    return compile(code, "workflow_sandbox.py", "exec")


def compiled_entries() -> int:
    """How many distinct entry texts this process has compiled (for tests and benches)."""
    return _compile.cache_info().currsize


class _DriftInstance(_Instance):
    """The SDK's sandboxed instance, entering the sandbox with compiled code."""

    def _run_code(self, code: str, **extra_globals: Any) -> None:
        scope: dict[str, Any] = self.globals_and_locals
        scope.update(extra_globals)
        try:
            temporalio.workflow.unsafe._set_in_sandbox(True)  # noqa: SLF001, FBT003
            self._current_thread_id = threading.get_ident()
            exec(_compile(code), scope, scope)  # noqa: S102 -- the SDK's own entry texts
        finally:
            temporalio.workflow.unsafe._set_in_sandbox(False)  # noqa: SLF001, FBT003
            self._current_thread_id = None
            for name in extra_globals:
                scope.pop(name, None)

    def get_serialization_context(
        self, command_info: CommandInfo | None
    ) -> SerializationContext | None:
        context: SerializationContext | None = self._sandboxed().get_serialization_context(
            command_info
        )
        return context

    def get_external_store_context(
        self, command_info: CommandInfo | None
    ) -> StorageDriverStoreContext:
        context: StorageDriverStoreContext = self._sandboxed().get_external_store_context(
            command_info
        )
        return context

    def _sandboxed(self) -> Any:
        # The SDK's object inside the sandbox that holds the workflow instance.
        scope: dict[str, Any] = self.globals_and_locals
        return scope[_IN_SANDBOX]


@dataclass(frozen=True)
class DriftSandboxedRunner(SandboxedWorkflowRunner):
    """The SDK's sandboxed runner whose instances enter the sandbox cheaply."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        """A sandboxed instance of the workflow (see the module docstring)."""
        return _DriftInstance(det, self.runner_class, self.restrictions)


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandboxed runner every Drift worker uses."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    return DriftSandboxedRunner(restrictions=restrictions)
