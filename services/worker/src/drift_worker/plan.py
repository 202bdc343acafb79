"""What the workflow and its activities exchange.

The workflow keeps only what it needs to move a run: a *plan* (for each state, whether
it runs as a local activity, its timeout and retry policy, and where failures go) and
the outcome of each step. Definitions are pinned by number in the plan and loaded by
the activities from the definition cache; the context stays in the store. Nothing big
travels through Temporal payloads.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Final

import msgspec

from drift_models import ResumeRules, RetryPolicy, RunStatus, VersionRef, View, WorkflowResponse

__all__ = [
    "ACTIVITY_BEGIN",
    "ACTIVITY_CALLBACK",
    "ACTIVITY_MARK",
    "ACTIVITY_STEP",
    "ACTIVITY_UTILITY",
    "STORE_UNAVAILABLE",
    "BeginRequest",
    "BeginResult",
    "CallbackRequest",
    "CarryOver",
    "ChildSpec",
    "EndSpec",
    "MapPlan",
    "MarkRequest",
    "Outcome",
    "ParallelPlan",
    "Plan",
    "PlannedState",
    "Record",
    "StepRequest",
    "StepResult",
    "UtilityStepRequest",
    "WaitSpec",
]


ACTIVITY_BEGIN: Final = "drift.begin"
"""Local activity: pin the definitions, create the context (answers a BeginResult)."""
ACTIVITY_STEP: Final = "drift.step"
"""(Local) activity: run a state and the pure states after it (answers a StepResult)."""
ACTIVITY_MARK: Final = "drift.mark"
"""Local activity: write the run's status without running a node."""
ACTIVITY_UTILITY: Final = "drift.utility"
"""(Local) activity: run one state for a utility call (answers a UtilityResponse)."""
ACTIVITY_CALLBACK: Final = "drift.callback"
"""Activity: POST the run's state to its callback address."""
STORE_UNAVAILABLE: Final = "StoreUnavailable"
"""The ApplicationError type of an engine activity whose store I/O did not go through
(the store is away, or a compare-and-set lost): the workflow waits and runs it again."""


class _Struct(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base of the engine's internal messages."""


class ParallelPlan(_Struct, kw_only=True):
    """A PARALLEL state, pinned.

    Attributes:
        branches: branch name → its first state, in the definition's order.
        fail_fast: cancel the other branches when one fails.
        next_node: where the run goes after the join.
    """

    branches: dict[str, str]
    fail_fast: bool = True
    next_node: str | None = None


class MapPlan(_Struct, kw_only=True):
    """A MAP state, pinned.

    Attributes:
        item_node: the body's first state.
        max_concurrency: items in flight at most.
        tolerated_count: the ``toleratedFailureCount``, if set.
        tolerated_percentage: the ``toleratedFailurePercentage``, if set.
        next_node: where the run goes after the join.
    """

    item_node: str
    next_node: str | None = None
    max_concurrency: int = 10
    tolerated_count: int | None = None
    tolerated_percentage: float | None = None

    def tolerated(self, items: int) -> int:
        """How many failed items, out of ``items``, the state tolerates."""
        bounds = []
        if self.tolerated_count is not None:
            bounds.append(self.tolerated_count)
        if self.tolerated_percentage is not None:
            bounds.append(int(items * self.tolerated_percentage / 100))
        return min(bounds) if bounds else 0


class PlannedState(_Struct, kw_only=True):
    """What the workflow needs to know about one state.

    Attributes:
        node_type: the node's ``type`` (for metrics and messages).
        pure: runs as a local activity (no I/O) when true, else as an activity.
        timeout_seconds: the limit of one attempt.
        retry: how failing attempts are repeated.
        node_version: the pinned version of a referenced node definition (``None`` for
            an inline definition, which is pinned with the workflow).
        on_error: where a failure of this state goes, if it says.
        parallel: for a PARALLEL state, its branches.
        map: for a MAP state, its body and bounds.
    """

    node_type: str
    pure: bool
    timeout_seconds: float
    retry: RetryPolicy
    node_version: int | None = None
    on_error: str | None = None
    parallel: ParallelPlan | None = None
    map: MapPlan | None = None


class Plan(_Struct, kw_only=True):
    """A workflow pinned for one run.

    Attributes:
        workflow_id: the workflow definition's id.
        workflow_version: its pinned number.
        start_node: the first state.
        default_failure_node: where failures go when a state names no ``onError``.
        post_nodes: states run after the end.
        states: every state, by instance name.
        history_limit: continue as new once the history has this many events.
    """

    workflow_id: str
    workflow_version: int
    start_node: str
    default_failure_node: str | None = None
    post_nodes: tuple[str, ...] = ()
    states: dict[str, PlannedState]
    history_limit: int = 10_000

    def pins(self) -> dict[str, int]:
        """State → pinned node version, for states that use a referenced definition."""
        return {n: s.node_version for n, s in self.states.items() if s.node_version is not None}

    def step(
        self,
        tenant_id: str,
        run_id: str,
        state: str,
        revision: int,
        *,
        records: list[Record] | None = None,
        chain: bool = True,
        after_end: bool = False,
    ) -> StepRequest:
        """The request that runs ``state`` of this plan's run at the context's ``revision``."""
        return StepRequest(
            tenant_id=tenant_id,
            run_id=run_id,
            workflow_id=self.workflow_id,
            workflow_version=self.workflow_version,
            pins=self.pins(),
            state=state,
            records=records or [],
            revision=revision,
            chain=chain,
            after_end=after_end,
        )


class BeginRequest(_Struct, kw_only=True):
    """Pin a run's definitions and create its context.

    Attributes:
        tenant_id: the tenant.
        run_id: the run.
        workflow_definition_id: the workflow to pin.
        version: the version reference to pin.
        params: the start parameters.
        thread_context: who started the run (JSON).
    """

    tenant_id: str
    run_id: str
    workflow_definition_id: str
    version: VersionRef
    params: dict[str, Any] = {}
    thread_context: dict[str, Any] | None = None


class BeginResult(_Struct, kw_only=True):
    """A pinned run.

    Attributes:
        plan: the pinned plan.
        revision: the revision of the context just created.
    """

    plan: Plan
    revision: int


class Record(_Struct, kw_only=True):
    """A value to write into ``_global`` before the next node runs.

    Attributes:
        key: the key (a state's name, or ``<state>:viewResponse``).
        value: the value.
    """

    key: str
    value: Any = None


class StepRequest(_Struct, kw_only=True):
    """Run a state (and the pure states after it) of a pinned workflow.

    Attributes:
        tenant_id: the tenant.
        run_id: the run.
        workflow_id: the pinned workflow's id.
        workflow_version: its pinned number.
        pins: state → pinned node version.
        state: the state to run first.
        records: values to write into the context before running it.
        revision: the context's revision the workflow last saw.
        chain: whether to go on into following pure states in the same step.
        after_end: a post-completion state: the run's status and current state stay as
            the end left them.
    """

    tenant_id: str
    run_id: str
    workflow_id: str
    workflow_version: int
    pins: dict[str, int] = {}
    state: str
    records: list[Record] = []
    revision: int
    chain: bool = True
    after_end: bool = False


class Outcome(enum.StrEnum):
    """Where a step left the run."""

    NEXT = "NEXT"
    """Continue with ``state`` (an I/O state, or a long pure chain was cut)."""
    VIEW = "VIEW"
    """``state`` shows ``view`` and waits for a resume."""
    WAIT = "WAIT"
    """``state`` waits as ``wait`` says."""
    CHILD = "CHILD"
    """``state`` starts a child run as ``child`` says."""
    END = "END"
    """``state`` ended the run as ``end`` says."""
    FAILED = "FAILED"
    """``state`` failed for good with ``error``; the workflow routes the failure."""


class WaitSpec(_Struct, kw_only=True):
    """What a WAIT state waits for.

    Attributes:
        duration_seconds: wait this long, if set.
        until: wait until this moment (UTC), if set.
        event: the event's name, if it waits for one.
        timeout_seconds: how long to wait for the event, if limited.
        timeout_node: where the run goes on timeout (else ``next_node``).
        next_node: where the run goes afterwards.
    """

    duration_seconds: float | None = None
    until: dt.datetime | None = None
    event: str | None = None
    timeout_seconds: float | None = None
    timeout_node: str | None = None
    next_node: str | None = None


class ChildSpec(_Struct, kw_only=True):
    """A child run to start.

    Attributes:
        workflow_definition_id: the child's workflow.
        version: its version reference.
        params: its start parameters.
        wait: whether the parent waits for its result (SYNC).
        next_node: where the parent goes afterwards.
    """

    workflow_definition_id: str
    version: int | str = "ACTIVE"
    params: dict[str, Any] = {}
    wait: bool = True
    next_node: str | None = None


class EndSpec(_Struct, kw_only=True):
    """How a terminal state ended the run.

    Attributes:
        status: COMPLETED or FAILED.
        disposition: the outcome label.
        error_message: why it failed.
        output: the run's result.
    """

    status: RunStatus
    disposition: str | None = None
    error_message: str | None = None
    output: Any = None


class StepResult(_Struct, kw_only=True):
    """What a step did.

    Attributes:
        revision: the context's revision after the step.
        executed: the states run, in order.
        outcome: where the run is now.
        state: the state the outcome is about.
        view: the view to show (VIEW, or a terminal's final view).
        disposition: the disposition set by the last state that set one.
        wait: for WAIT.
        child: for CHILD.
        end: for END.
        error: for FAILED: what went wrong, for a person.
        next_node: for VIEW: where the run goes after the resume.
        rules: for VIEW: what an answer must satisfy.
    """

    revision: int
    executed: list[str] = []
    outcome: Outcome
    state: str
    view: View | None = None
    disposition: str | None = None
    wait: WaitSpec | None = None
    child: ChildSpec | None = None
    end: EndSpec | None = None
    error: str | None = None
    next_node: str | None = None
    rules: ResumeRules | None = None


class MarkRequest(_Struct, kw_only=True):
    """Write the run's status (and records) without running a node.

    Attributes:
        tenant_id: the tenant.
        run_id: the run.
        status: the new status.
        current_node: the state the run is at.
        revision: the revision the workflow last saw.
        records: values to write into the context as well.
    """

    tenant_id: str
    run_id: str
    status: RunStatus
    current_node: str | None = None
    revision: int
    records: list[Record] = []


class UtilityStepRequest(_Struct, kw_only=True):
    """Run one state for a utility call: the activity's input.

    The REST body of a utility call is :class:`drift_models.UtilityRequest`.

    Attributes:
        step: which run, workflow and state (``records`` and ``chain`` are unused).
        parameters: values that take precedence over the state's mapping.
    """

    step: StepRequest
    parameters: dict[str, Any] = {}


class CallbackRequest(_Struct, kw_only=True):
    """POST a run's state to its callback address.

    Attributes:
        url: the address.
        body: the run's state.
        sequence: the stable point's number, so receivers can order and deduplicate.
    """

    url: str
    body: WorkflowResponse
    sequence: int


class CarryOver(_Struct, kw_only=True):
    """What a run takes across continue-as-new.

    Attributes:
        plan: the pinned plan.
        state: the state to run next.
        records: values still to write.
        revision: the context's revision.
        disposition: the disposition so far.
        stable_points: how many stable points the run has passed.
        created_at: when the run started.
        events: events received and not consumed yet, by name.
        callback_url: where callbacks go now.
        child_runs: how many child runs the run has started.
    """

    plan: Plan
    state: str
    records: list[Record] = []
    revision: int
    disposition: str | None = None
    stable_points: int = 0
    created_at: dt.datetime
    events: dict[str, list[Any]] = {}
    callback_url: str | None = None
    child_runs: int = 0
