"""The contract between the API and the engine that runs workflows on Temporal.

The API starts, drives and reads runs through one generic Temporal workflow; both sides
agree on its name, on the names of its updates, signals and queries, and on the bodies
below. Everything here is plain data, so the API never depends on the worker.

A run's Temporal workflow id is ``{tenant}/{runId}``: run ids are unique per tenant,
and two tenants may use the same run id without meeting.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from drift_models._base import ApiStruct
from drift_models.redrive import RedrivePoint
from drift_models.requests import ThreadContext
from drift_models.versions import VersionRef
from drift_models.views import ViewResponse

__all__ = [
    "CLAIM_ENCODING",
    "CLAIM_KEY",
    "QUERY_STATE",
    "SIGNAL_EVENT",
    "UPDATE_RESUME",
    "UPDATE_STATE",
    "UPDATE_TERMINATE",
    "UPDATE_UTILITY",
    "WORKFLOW_NAME",
    "EventSignal",
    "ResumeInput",
    "RunInput",
    "StartActivity",
    "TerminateInput",
    "UtilityInput",
    "temporal_workflow_id",
]

WORKFLOW_NAME: Final = "drift.run"
"""The Temporal workflow type that interprets every Drift workflow."""

UPDATE_STATE: Final = "drift.state"
"""Update (no argument): answer the run's state as soon as it is at a stable point."""
UPDATE_RESUME: Final = "drift.resume"
"""Update: answer the view a waiting run shows; answers the next stable state."""
UPDATE_UTILITY: Final = "drift.utility"
"""Update: run a disconnected state without moving the run; answers its output."""
UPDATE_TERMINATE: Final = "drift.terminate"
"""Update: stop the run for good; answers its final state."""
SIGNAL_EVENT: Final = "drift.event"
"""Signal: an event a WAIT node may be waiting for."""
QUERY_STATE: Final = "drift.state"
"""Query: the run's current state, without waiting."""
CLAIM_ENCODING: Final = "binary/drift-claim"
"""The ``encoding`` metadata of a payload that stands for a blob (the claim check)."""
CLAIM_KEY: Final = "drift-blob"
"""The metadata entry of such a payload that names the blob (its SHA-256, hex)."""


StartActivity = Literal["local", "regular"]
"""How a state's node runs: as a Temporal local activity (a pure node) or as a regular one."""


def temporal_workflow_id(tenant_id: str, run_id: str) -> str:
    """The Temporal workflow id of a tenant's run."""
    return f"{tenant_id}/{run_id}"


class RunInput(ApiStruct, kw_only=True):
    """What a run starts with.

    Attributes:
        tenant_id: the tenant that owns the run.
        run_id: the run's id (unique per tenant).
        workflow_definition_id: the workflow to run.
        version: the version to pin (a number or a pointer).
        params: the start parameters.
        thread_context: who started it.
        callback_url: where to POST the run's state at each stable point, if anywhere.
        parent_run_id: the run that started this one as a CHILD, if any.
        carry_over: the engine's own state when a long run continues as new; clients
            leave it unset.
        redrive: where a redrive continues the run (its failed attempt's point); set
            by the API's redrive only.
        redrive_count: how many times the run has been redriven (this attempt included).
        start_activity: how the start state's node runs, as the starter read it from the
            definitions (``"local"`` when it could not tell: the engine checks). Set, the
            engine pins the run and runs its first step in one activity of that kind;
            unset (a starter that does not say, and every run of earlier builds), it
            pins in a local activity of its own and runs the first step after it.
    """

    tenant_id: str
    run_id: str
    workflow_definition_id: str
    version: VersionRef = "ACTIVE"
    params: dict[str, Any] = {}
    thread_context: ThreadContext | None = None
    callback_url: str | None = None
    parent_run_id: str | None = None
    carry_over: Any = None
    redrive: RedrivePoint | None = None
    redrive_count: int = 0
    start_activity: StartActivity | None = None


class ResumeInput(ApiStruct, kw_only=True):
    """A person's answer to the view a run shows.

    Attributes:
        view_response: the answer.
        node: the state whose view is answered, when the caller wants to be sure.
        callback_url: switches the run's callbacks to this address from now on.
        thread_context: who answered.
        answer_by: epoch milliseconds after which the run refuses this answer
            (``Expired``): the API has told its caller by then that nothing was applied.
    """

    view_response: ViewResponse
    node: str | None = None
    callback_url: str | None = None
    thread_context: ThreadContext | None = None
    answer_by: int | None = None


class UtilityInput(ApiStruct, kw_only=True):
    """Run a disconnected state.

    Attributes:
        node: the state to run.
        parameters: values that take precedence over the state's own mapping.
    """

    node: str
    parameters: dict[str, Any] = {}


class TerminateInput(ApiStruct, kw_only=True):
    """Stop a run.

    Attributes:
        reason: why, recorded as the run's error message.
    """

    reason: str | None = None


class EventSignal(ApiStruct, kw_only=True):
    """An event sent to a run.

    Attributes:
        name: the event's name; a WAIT node waiting for it continues.
        payload: data that becomes the WAIT node's output.
    """

    name: str
    payload: Any = None
