"""Apply definitions through the REST API: the API's side of ``drift apply``.

:class:`RestApplyTarget` is a :class:`drift_models.apply.ApplyTarget` over the
definition routes: the API validates (``…/validate``) and refuses a draft it would not
publish; a refusal answered with problems (422) becomes an
:class:`~drift_models.apply.ApplyRefusedError` carrying them. Every answer is decoded
into its body type of drift-models (:mod:`drift_models.definition_bodies`); one that is
not raises :class:`~drift_cli.client.ApiAnswerInvalid` naming the field.
"""

from __future__ import annotations

from typing import Final

import msgspec

from drift_cli.client import ApiClient, ApiFailure
from drift_models import (
    NodeDefinition,
    NodeTypes,
    PointersBody,
    Problem,
    PublishedDefinition,
    SavedDefinition,
    ValidationReport,
    VersionBody,
    WorkflowDefinition,
)
from drift_models.apply import ApplyKind, ApplyRefusedError, DraftVersion

__all__ = ["KIND_PATHS", "RestApplyTarget"]

KIND_PATHS: Final[dict[str, str]] = {"node": "/nodeDefinition", "workflow": "/workflowDefinition"}
"""The REST collection of each kind of definition."""

_UNPROCESSABLE = 422
_NOT_FOUND = 404


def _refusal(failure: ApiFailure, kind: ApplyKind, definition_id: str) -> ApplyRefusedError | None:
    if failure.status != _UNPROCESSABLE or failure.problem is None:
        return None
    message = failure.problem.detail or failure.problem.title or "refused"
    return ApplyRefusedError(kind, definition_id, message, failure.problem.errors)


class RestApplyTarget:
    """An apply target over one API connection.

    Args:
        api: the client (its connection names the tenant).
        node_types: decodes the definitions the API answers (plugins included).
    """

    def __init__(self, api: ApiClient, node_types: NodeTypes) -> None:
        self.api = api
        self.node_types = node_types

    async def read(
        self, kind: ApplyKind, definition_id: str, version: DraftVersion
    ) -> NodeDefinition | WorkflowDefinition | None:
        """The SNAPSHOT or LATEST the API holds (``None``: not there yet)."""
        try:
            raw = await self.api.raw(
                f"{KIND_PATHS[kind]}/{definition_id}", params={"version": version}
            )
        except ApiFailure as failure:
            if failure.status == _NOT_FOUND:
                return None
            raise
        if kind == "workflow":
            return self.node_types.decode_workflow(raw)
        return self.node_types.decode_node(raw)

    async def write(self, definition: NodeDefinition | WorkflowDefinition, *, exists: bool) -> None:
        """Create (POST) or replace (PUT) the draft."""
        kind: ApplyKind = "workflow" if isinstance(definition, WorkflowDefinition) else "node"
        base = KIND_PATHS[kind]
        body = msgspec.to_builtins(definition)
        try:
            if exists:
                await self.api.answer("PUT", f"{base}/{definition.id}", SavedDefinition, body=body)
            else:
                await self.api.answer("POST", base, SavedDefinition, body=body)
        except ApiFailure as failure:
            raise _refusal(failure, kind, definition.id) or failure from None

    async def problems(self, definition: NodeDefinition | WorkflowDefinition) -> list[Problem]:
        """Every problem the API finds in ``definition``."""
        kind: ApplyKind = "workflow" if isinstance(definition, WorkflowDefinition) else "node"
        report = await self.api.answer(
            "POST",
            f"{KIND_PATHS[kind]}/validate",
            ValidationReport,
            body=msgspec.to_builtins(definition),
        )
        return report.body.problems

    async def publish(self, kind: ApplyKind, definition_id: str) -> int:
        """Publish the draft; the API validates it again and may refuse it."""
        try:
            published = await self.api.answer(
                "POST", f"{KIND_PATHS[kind]}/{definition_id}/publish", PublishedDefinition
            )
        except ApiFailure as failure:
            raise _refusal(failure, kind, definition_id) or failure from None
        return published.body.version

    async def active(self, kind: ApplyKind, definition_id: str) -> int | None:
        """The number ``ACTIVE`` points at, from the version history."""
        history = await self.api.answer(
            "GET", f"{KIND_PATHS[kind]}/{definition_id}/versions", list[VersionBody]
        )
        return next((item.version for item in history.body if item.is_active), None)

    async def activate(self, kind: ApplyKind, definition_id: str, version: int) -> None:
        """Point ``ACTIVE`` at ``version``."""
        await self.api.answer(
            "POST",
            f"{KIND_PATHS[kind]}/{definition_id}/activate",
            PointersBody,
            body={"version": version},
        )
