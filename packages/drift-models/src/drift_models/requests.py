"""Request and response bodies of the runtime API (``/v3``)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from drift_models._base import AnswerStruct, ApiStruct
from drift_models.runs import NodeStatus
from drift_models.versions import VersionRef
from drift_models.views import ViewResponse

__all__ = [
    "EventRequest",
    "RedriveRequest",
    "ResumeRequest",
    "RunId",
    "StartRequest",
    "TerminateRequest",
    "ThreadContext",
    "UtilityRequest",
    "UtilityResponse",
]

RunId = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[\w.:\-]{1,200}(?!\n)$",
        description="1-200 letters, digits, '_', '.', ':' or '-'.",
    ),
]
"""The id of a run."""


class ThreadContext(ApiStruct, kw_only=True):
    """Who is calling, as the ``X-Tenant-Id``, ``X-Client-Id`` and ``X-User-Id`` headers say.

    The API fills it from the headers and the run keeps it in its context as
    ``threadContext``.

    Attributes:
        tenant_id: the tenant that owns the run.
        client_id: the application calling.
        user_id: the person using that application, when known.
    """

    tenant_id: str
    client_id: str
    user_id: str | None = None


class StartRequest(ApiStruct, kw_only=True):
    """Start a run.

    Attributes:
        workflow_definition_id: the workflow to run.
        version: which version; defaults to ``ACTIVE``.
        params: the start parameters (``$.params.<name>``).
        workflow_id: the run's id, chosen by the caller. It is the idempotency key: a
            second start with the same id returns the first run instead of a new one.
        callback_url: when set, the call answers ``202`` at once and each stable point
            of the run is POSTed to this address (async mode).
        thread_context: the caller's context; the API fills it from headers.
    """

    workflow_definition_id: str
    version: VersionRef = "ACTIVE"
    params: dict[str, Any] = {}
    workflow_id: RunId | None = None
    callback_url: str | None = None
    thread_context: ThreadContext | None = None


class ResumeRequest(ApiStruct, kw_only=True):
    """Answer the view a waiting run shows.

    Attributes:
        view_response: the person's answer.
        node: the state whose view is answered; when given and the run waits elsewhere,
            the resume is rejected instead of answering the wrong view.
        callback_url: async mode for this call, as for a start.
        thread_context: the caller's context; the API fills it from headers.
    """

    view_response: ViewResponse
    node: str | None = None
    callback_url: str | None = None
    thread_context: ThreadContext | None = None


class TerminateRequest(ApiStruct, kw_only=True):
    """Stop a run for good.

    Attributes:
        reason: why, recorded with the run.
    """

    reason: str | None = None


class RedriveRequest(ApiStruct, kw_only=True):
    """Continue a FAILED run from the state that failed.

    Attributes:
        callback_url: async mode for this call, as for a start.
    """

    callback_url: str | None = None


class EventRequest(ApiStruct, kw_only=True):
    """An event for a run's WAIT state.

    Attributes:
        payload: data that becomes the WAIT state's output.
    """

    payload: Any = None


class UtilityRequest(ApiStruct, kw_only=True):
    """Run a disconnected (utility) state of a run's workflow without moving the run.

    Attributes:
        node: the state to run.
        parameters: values for the node's parameters; they take precedence over the
            state's own mapping, which still fills the rest from the run's context.
    """

    node: str
    parameters: dict[str, Any] = {}


class UtilityResponse(AnswerStruct, kw_only=True):
    """What a utility call did.

    Attributes:
        node: the state that ran.
        status: whether it completed or failed.
        response: its output.
        error_message: why it failed, when it did.
    """

    node: str
    status: NodeStatus
    response: Any = None
    error_message: str | None = None
