"""The workflow sandbox, with Drift's own modules passed through.

Temporal re-imports workflow modules in a sandbox to keep workflow code deterministic.
Drift's models, plans and checks are pure and deterministic already; passing them (and
msgspec) through keeps one copy of each class, so msgspec's type information stays
valid and decoding is not repeated per workflow.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

__all__ = ["PASSED_THROUGH", "workflow_runner"]

PASSED_THROUGH = ("msgspec", "drift_models", "drift_nodes", "drift_worker")


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandboxed runner every Drift worker uses."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    return SandboxedWorkflowRunner(restrictions=restrictions)
