"""What every console page shares: who is signed in, CSRF-checked forms, error pages.

A page handler asks :func:`signed_in_caller` for the caller (the signed-in tenant as a
:class:`Caller` with client id ``console``); a visitor with no valid session is sent to
the sign-in page. A form handler reads its fields through :func:`checked_form`, which
refuses (403) a post whose CSRF token is not the session's, or that a browser marks as
cross-site. Errors of the services become HTML pages with the same status and message
the REST API would answer.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any, Final

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.response import Redirect
from litestar.types import ExceptionHandlersMap

from drift_api.auth import Caller
from drift_api.console.render import page
from drift_api.console.session import COOKIE, LIFETIME_SECONDS, Session, SessionSigner
from drift_api.dependencies import Services, services_of
from drift_api.problems import ApiError
from drift_store import BackendUnavailableError, NotFoundError

__all__ = [
    "BASE",
    "Console",
    "SignInRequiredError",
    "checked_form",
    "console_of",
    "error_handlers",
    "first",
    "session_cookie",
    "signed_in_caller",
]

BASE: Final = "/console"
CLIENT_ID: Final = "console"


class SignInRequiredError(Exception):
    """The page needs a signed-in tenant."""


class CsrfError(Exception):
    """A form post without this session's CSRF token."""


@dataclass(frozen=True, slots=True)
class Console:
    """A page's view of the console: the services, the session and its caller."""

    services: Services
    signer: SessionSigner
    session: Session | None
    caller: Caller | None

    @property
    def csrf(self) -> str:
        """The CSRF token for this page's forms."""
        return self.signer.csrf_token(self.session) if self.session is not None else ""

    def context(self, **values: Any) -> dict[str, Any]:
        """The template context every page gets, plus ``values``."""
        return {"base": BASE, "csrf": self.csrf, "caller": self.caller, **values}


def _signer(services: Services) -> SessionSigner:
    return SessionSigner(services.settings.api_key_pepper)


async def console_of(request: Request[Any, Any, Any]) -> Console:
    """The console state of ``request`` (signed in or not)."""
    services = services_of(request.app.state)
    signer = _signer(services)
    session = signer.load(request.cookies.get(COOKIE))
    caller = None
    if session is not None and session.signed_in and session.digest and session.tenant:
        valid, owner = await services.keys.identify_digest(session.digest)
        if valid and owner in {None, session.tenant}:
            caller = Caller(tenant_id=session.tenant, client_id=CLIENT_ID, user_id=None)
    return Console(services=services, signer=signer, session=session, caller=caller)


async def signed_in_caller(request: Request[Any, Any, Any]) -> tuple[Console, Caller]:
    """The console state and its caller.

    Raises:
        SignInRequiredError: when nobody (or a revoked key) is signed in.
    """
    console = await console_of(request)
    if console.caller is None:
        raise SignInRequiredError
    return console, console.caller


async def checked_form(request: Request[Any, Any, Any], console: Console) -> dict[str, list[str]]:
    """The posted form's fields (every value of each), once its CSRF token is checked.

    Raises:
        CsrfError: when the token is missing or not this session's, or the browser
            says the post came from another site.
    """
    if request.headers.get("sec-fetch-site", "same-origin") == "cross-site":
        raise CsrfError
    form = await request.form()
    fields: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(name, []).append(value)
    token = first(fields, "csrf")
    if not console.signer.csrf_valid(console.session, token):
        raise CsrfError
    return fields


def first(form: dict[str, list[str]], name: str) -> str:
    """The first value of the field ``name`` (empty when the form has none)."""
    values = form.get(name)
    return values[0] if values else ""


def is_https(request: Request[Any, Any, Any]) -> bool:
    """Whether the browser reached the console over https (directly or via a proxy)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return request.url.scheme == "https" or forwarded == "https"


def session_cookie(request: Request[Any, Any, Any], value: str | None) -> Cookie:
    """The session cookie carrying ``value`` (``None``: delete it)."""
    return Cookie(
        key=COOKIE,
        value=value or "",
        path=BASE,
        max_age=LIFETIME_SECONDS if value else 0,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def _sign_in_redirect(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"{BASE}/sign-in?next={urllib.parse.quote(target, safe='')}")


def _refused(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    del request
    message = (
        "This form was not sent by a page of this console (its security token is "
        "missing or old). Go back, reload the page and send it again."
    )
    context = {"base": BASE, "caller": None, "csrf": "", "title": "Refused", "message": message}
    return page("error.html", context, status=403)


def _error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    del request
    status, title, message, problems = 500, "Error", "Something went wrong.", []
    if isinstance(error, ApiError):
        status, title, message = error.status, error.title, error.detail
        problems = [f"{p.path}: {p.message}" for p in error.errors]
    elif isinstance(error, NotFoundError):
        status, title, message = 404, "Not Found", str(error)
    elif isinstance(error, BackendUnavailableError):
        status, title, message = 503, "Unavailable", "The store cannot be reached now; try again."
    context = {
        "base": BASE,
        "caller": None,
        "csrf": "",
        "title": title,
        "message": message,
        "problems": problems,
    }
    return page("error.html", context, status=status)


def error_handlers() -> ExceptionHandlersMap:
    """The console router's exception handlers."""
    return {
        SignInRequiredError: _sign_in_redirect,
        CsrfError: _refused,
        ApiError: _error,
        NotFoundError: _error,
        BackendUnavailableError: _error,
    }
