"""Apply definitions through the REST API: the API's side of ``drift apply``.

:class:`RestApplyTarget` is a :class:`drift_models.apply.ApplyTarget` over the
definition routes: the API validates (``…/validate``) and refuses a draft it would not
publish; a refusal answered with problems (422) becomes an
:class:`~drift_models.apply.ApplyRefusedError` carrying them. It is a
:class:`~drift_models.apply.ScenarioTarget` too: a workflow's scenario document goes to
``…/{id}/scenarios``, where the API's publish gate reads it.
"""

from __future__ import annotations

import json
from typing import Any, Final

import msgspec

from drift_cli.client import ApiClient, ApiFailure
from drift_models import NodeDefinition, NodeTypes, Problem, WorkflowDefinition
from drift_models.apply import ApplyKind, ApplyRefusedError, DraftVersion

__all__ = ["KIND_PATHS", "RestApplyTarget", "version_of"]

KIND_PATHS: Final[dict[str, str]] = {"node": "/nodeDefinition", "workflow": "/workflowDefinition"}
"""The REST collection of each kind of definition."""

_UNPROCESSABLE = 422
_NOT_FOUND = 404


def version_of(body: Any) -> int:
    """The version number of a definition the API answered (bare or under ``definition``).

    Raises:
        ApiFailure: when the answer carries no number.
    """
    if isinstance(body, dict):
        if isinstance(body.get("version"), int):
            return int(body["version"])
        inner = body.get("definition")
        if isinstance(inner, dict) and isinstance(inner.get("version"), int):
            return int(inner["version"])
    msg = f"the API answered no version number: {body!r}"
    raise ApiFailure(500, msg)


def _refusal(failure: ApiFailure, kind: ApplyKind, definition_id: str) -> ApplyRefusedError | None:
    if failure.status != _UNPROCESSABLE or not isinstance(failure.body, dict):
        return None
    try:
        problems = msgspec.convert(failure.body.get("errors") or [], list[Problem])
    except msgspec.ValidationError:
        return None
    message = str(failure.body.get("detail") or failure.body.get("title") or "refused")
    return ApplyRefusedError(kind, definition_id, message, problems)


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
            _, body = await self.api.call(
                "GET", f"{KIND_PATHS[kind]}/{definition_id}", params={"version": version}
            )
        except ApiFailure as failure:
            if failure.status == _NOT_FOUND:
                return None
            raise
        document = body.get("definition", body) if isinstance(body, dict) else body
        raw = json.dumps(document).encode()
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
                await self.api.call("PUT", f"{base}/{definition.id}", body=body)
            else:
                await self.api.call("POST", base, body=body)
        except ApiFailure as failure:
            raise _refusal(failure, kind, definition.id) or failure from None

    async def problems(self, definition: NodeDefinition | WorkflowDefinition) -> list[Problem]:
        """Every problem the API finds in ``definition``."""
        kind: ApplyKind = "workflow" if isinstance(definition, WorkflowDefinition) else "node"
        _, body = await self.api.call(
            "POST", f"{KIND_PATHS[kind]}/validate", body=msgspec.to_builtins(definition)
        )
        found = body.get("problems") if isinstance(body, dict) else None
        return msgspec.convert(found or [], list[Problem])

    async def publish(self, kind: ApplyKind, definition_id: str) -> int:
        """Publish the draft; the API validates it again and may refuse it."""
        try:
            _, body = await self.api.call("POST", f"{KIND_PATHS[kind]}/{definition_id}/publish")
        except ApiFailure as failure:
            raise _refusal(failure, kind, definition_id) or failure from None
        return version_of(body)

    async def active(self, kind: ApplyKind, definition_id: str) -> int | None:
        """The number ``ACTIVE`` points at, from the version history."""
        _, history = await self.api.call("GET", f"{KIND_PATHS[kind]}/{definition_id}/versions")
        if isinstance(history, dict) and isinstance(history.get("active"), int):
            return int(history["active"])
        items = history.get("versions", history) if isinstance(history, dict) else history
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict) and item.get("isActive"):
                    return int(item["version"])
        return None

    async def read_scenarios(self, workflow_id: str) -> bytes | None:
        """The workflow's stored scenario document (``None``: it has none)."""
        try:
            _, body = await self.api.call(
                "GET", f"{KIND_PATHS['workflow']}/{workflow_id}/scenarios"
            )
        except ApiFailure as failure:
            if failure.status == _NOT_FOUND:
                return None
            raise
        return json.dumps(body).encode()

    async def write_scenarios(self, workflow_id: str, document: bytes) -> None:
        """Store the workflow's scenario document; the API refuses one it cannot decode."""
        try:
            await self.api.call(
                "PUT",
                f"{KIND_PATHS['workflow']}/{workflow_id}/scenarios",
                body=json.loads(document),
            )
        except ApiFailure as failure:
            raise _refusal(failure, "workflow", workflow_id) or failure from None

    async def activate(self, kind: ApplyKind, definition_id: str, version: int) -> None:
        """Point ``ACTIVE`` at ``version``."""
        await self.api.call(
            "POST", f"{KIND_PATHS[kind]}/{definition_id}/activate", body={"version": version}
        )
