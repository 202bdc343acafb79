"""What became of a call whose answer did not come: asking Temporal by id.

A sync call has a :class:`Limit`. When an update was not accepted by then, or the call
broke off (Temporal restarting, a connection reset), the API does not guess: it asks
Temporal about the update by its id (:class:`UpdateOutcome`), or about the run a start
was creating (:func:`start_known`), with short tries until the limit, and answers what
it learns. The two ``503`` s here say precisely what is known: nothing was applied
(:func:`not_applied`), or it is not known whether a start or an answer was taken
(:func:`start_unconfirmed`, :func:`outcome_unknown`); each says how to retry safely.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Final, Literal

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import UpdateWorkflowExecutionLifecycleStage
from temporalio.api.update.v1 import UpdateRef, WaitPolicy
from temporalio.api.workflowservice.v1 import PollWorkflowExecutionUpdateRequest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from drift_api.problems import ApiError
from drift_api.sync_limits import Limit

__all__ = [
    "Limit",
    "Outcome",
    "UpdateOutcome",
    "event_unknown",
    "not_applied",
    "outcome_unknown",
    "redrive_unconfirmed",
    "start_known",
    "start_unconfirmed",
]

Outcome = Literal["accepted", "absent", "pending", "unknown"]
"""An update Temporal has accepted (or completed), does not have, still holds without
having accepted it, or could not be asked about."""

_TRY_SECONDS: Final = 0.5
"""How long one question to Temporal may take before it is asked again."""
_ACCEPTED: Final = (
    UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
)


class UpdateOutcome:
    """Asks Temporal what became of an update, by its id.

    Args:
        client: the Temporal client.
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    async def ask(self, workflow_id: str, update_id: str, limit: Limit) -> Outcome:
        """Accepted, absent, pending or unknown, asked in short tries until ``limit.ends``.

        A pending update is waited for (the question waits for its acceptance), so an
        update accepted late in the limit is still seen as accepted.

        Raises:
            WorkflowUpdateFailedError: the update has an outcome and it is a failure —
                most often the run's validator rejected it (an answer past its
                ``answerBy``, say), which leaves nothing in the run's history. Asking
                again by sending the same id would send the update anew.
        """
        request = PollWorkflowExecutionUpdateRequest(
            namespace=self._client.namespace,
            update_ref=UpdateRef(
                workflow_execution=WorkflowExecution(workflow_id=workflow_id),
                update_id=update_id,
            ),
            identity=self._client.identity,
            wait_policy=WaitPolicy(lifecycle_stage=_ACCEPTED),
        )
        loop = asyncio.get_running_loop()
        known: Outcome = "unknown"
        while (left := limit.ends - loop.time()) > 0:
            seconds = min(left, _TRY_SECONDS)
            try:
                async with asyncio.timeout(seconds):
                    answer = await self._client.workflow_service.poll_workflow_execution_update(
                        request, timeout=dt.timedelta(seconds=seconds)
                    )
            except TimeoutError:
                continue
            except RPCError as error:
                if error.status is RPCStatusCode.NOT_FOUND:
                    return "absent"
                if error.status is RPCStatusCode.DEADLINE_EXCEEDED:
                    known = "pending"  # the question waited: Temporal holds the update
                else:
                    await asyncio.sleep(min(0.1, max(0.0, limit.ends - loop.time())))
                continue
            if answer.HasField("outcome") and answer.outcome.HasField("failure"):
                cause = await self._client.data_converter.decode_failure(answer.outcome.failure)
                raise WorkflowUpdateFailedError(cause)
            if answer.stage >= _ACCEPTED or answer.HasField("outcome"):
                return "accepted"
            known = "pending"
        return known


async def start_known(client: Client, workflow_id: str, run_id: str, limit: Limit) -> None:
    """Return when the run a broken start call was creating exists.

    The call broke off (Temporal went away mid-call), so the start may or may not have
    happened. Temporal's description of the run is asked in short tries until
    ``limit.ends``, so a Temporal that comes back within the limit answers.

    Raises:
        ApiError: ``503`` nothing started when Temporal says there is no such run;
            ``503`` "Start Unconfirmed" when it could not be asked within the limit.
    """
    handle = client.get_workflow_handle(workflow_id)
    loop = asyncio.get_running_loop()
    while (left := limit.ends - loop.time()) > 0:
        seconds = min(left, _TRY_SECONDS)
        try:
            async with asyncio.timeout(seconds):
                await handle.describe(rpc_timeout=dt.timedelta(seconds=seconds))
        except TimeoutError:
            continue
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise ApiError(
                    503,
                    "Engine Unavailable",
                    f"the start of run {run_id!r} broke off and Temporal has no such run: "
                    "nothing was started; try again",
                    headers={"Retry-After": "1"},
                    extensions={"workflowId": run_id},
                ) from None
            await asyncio.sleep(min(0.2, max(0.0, limit.ends - loop.time())))
            continue
        return
    raise start_unconfirmed(run_id)


def start_unconfirmed(run_id: str, *, late: bool = False) -> ApiError:
    """A start that Temporal could not confirm or deny in time.

    Args:
        run_id: the run it was starting.
        late: the start was not taken within the sync timeout (rather than broken off).
    """
    what = (
        f"Temporal did not take the start of run {run_id!r} within the sync timeout and "
        "could not confirm it in time"
        if late
        else f"Temporal went away while run {run_id!r} was being started and could not be "
        "asked again in time"
    )
    return ApiError(
        503,
        "Start Unconfirmed",
        f"{what}: the run may exist. Send the same start again with "
        f'"workflowId": "{run_id}": a start with the id of an existing run reaches that '
        "run, so the retry cannot start a second one",
        headers={"Retry-After": "1"},
        extensions={"workflowId": run_id},
    )


def redrive_unconfirmed(run_id: str) -> ApiError:
    """A redrive Temporal did not take, or confirm, within the sync timeout."""
    return ApiError(
        503,
        "Redrive Unconfirmed",
        f"Temporal did not take the redrive of run {run_id!r} within the sync timeout and "
        "could not confirm it in time: the run may be running again. Send the redrive "
        "again: a run that is running again refuses it (409) and says so, so the retry "
        "cannot redrive it twice",
        headers={"Retry-After": "1"},
        extensions={"workflowId": run_id},
    )


def not_applied(run_id: str, *, gone: bool) -> ApiError:
    """An update the run did not accept within the sync timeout: nothing was applied."""
    why = (
        "Temporal no longer holds it"
        if gone
        else "the run will refuse it if it reaches it later (it is past its answerBy)"
    )
    return ApiError(
        503,
        "Not Applied",
        f"run {run_id!r} did not take the request within the sync timeout and {why}: "
        "nothing was applied; send it again",
        headers={"Retry-After": "1"},
    )


def event_unknown(run_id: str, name: str) -> ApiError:
    """An event Temporal did not take in time: it may still be delivered."""
    return ApiError(
        503,
        "Outcome Unknown",
        f"Temporal did not answer in time while the event {name!r} was sent to run "
        f"{run_id!r}: it may have been delivered. Read the run before sending it again",
        headers={"Retry-After": "1"},
    )


def outcome_unknown(run_id: str) -> ApiError:
    """An update whose call broke off and that Temporal could not be asked about."""
    return ApiError(
        503,
        "Outcome Unknown",
        f"Temporal went away while the request to run {run_id!r} was being sent and could "
        "not be asked again in time: it may have been applied. Read the run before "
        "sending it again; an answer that names its view (node) is refused once that "
        "view is answered",
        headers={"Retry-After": "1"},
    )
