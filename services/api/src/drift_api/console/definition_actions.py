"""Publishing, activating and rolling back a definition from its page.

Each goes through what ``POST /{kind}Definition/{id}/publish``, ``…/activate`` and
``…/rollback`` call (the definition service's validation first, for publish); the page
then shows the definition again with what happened, or the refusal and its problems.
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Any

from litestar import Request, Response, post
from litestar.params import PathParameter
from litestar.response import Redirect

from drift_api.console.definition_pages import DefinitionId, Kind, kind_of
from drift_api.console.render import page
from drift_api.console.web import BASE, Console, checked_form, first, signed_in_caller
from drift_api.definitions import DefinitionService
from drift_api.problems import ApiError
from drift_store import ConflictError, DefinitionKind, InvalidDefinitionError

__all__ = ["change_definition"]

_ACTIONS = ("publish", "activate", "rollback")
Action = Annotated[str, PathParameter(pattern=r"^[a-z]{1,20}$")]


def _version_number(text: str) -> int:
    if not text.isdigit():
        raise ApiError(422, "Bad Version", "choose a published version number to activate")
    return int(text)


async def _apply(
    definitions: DefinitionService,
    tenant: str,
    *,
    kind: DefinitionKind,
    definition_id: str,
    action: str,
    form: dict[str, list[str]],
) -> str:
    """Do ``action``; say what happened.

    Raises:
        ApiError: the refusal (404 unknown action or definition, 422 problems, 409).
    """
    if action == "publish":
        stored = await definitions.publish(tenant, kind, definition_id)
        return f"published as version {stored.definition.version}"
    if action == "activate":
        number = _version_number(first(form, "version"))
        pointers = await definitions.store.activate(tenant, kind, definition_id, number)
        return f"version {pointers.active} is ACTIVE"
    if action == "rollback":
        pointers = await definitions.store.rollback(tenant, kind, definition_id)
        return f"rolled back: version {pointers.active} is ACTIVE"
    message = f"there is no action {action!r}: {', '.join(_ACTIONS)}"
    raise ApiError(404, "Not Found", message)


@post("/definitions/{kind:str}/{definition_id:str}/{action:str}", include_in_schema=False)
async def change_definition(
    request: Request[Any, Any, Any], kind: Kind, definition_id: DefinitionId, action: Action
) -> Response[Any]:
    """Publish the draft, activate a published number, or roll ACTIVE back."""
    console, caller = await signed_in_caller(request)
    form = await checked_form(request, console)
    definitions = console.services.definitions
    try:
        done = await _apply(
            definitions,
            caller.tenant_id,
            kind=kind_of(kind),
            definition_id=definition_id,
            action=action,
            form=form,
        )
    except (ConflictError, InvalidDefinitionError) as error:
        return _refused(console, 409, str(error), [])
    except ApiError as error:
        if error.status >= 500:  # noqa: PLR2004
            raise
        problems = [f"{p.path}: {p.message}" for p in error.errors]
        return _refused(console, error.status, error.detail, problems)
    target = f"{BASE}/definitions/{kind}/{definition_id}?done={urllib.parse.quote_plus(done)}"
    return Redirect(target, status_code=303)


def _refused(console: Console, status: int, message: str, problems: list[str]) -> Response[str]:
    context = console.context(title="Refused", message=message, problems=problems)
    return page("error.html", context, status=status)
