"""Signing in with an API key and signing out.

Sign-in checks the key and the tenant with the REST API's own rules
(:func:`drift_api.auth.read_caller`): a tenant's key signs in to its tenant (the tenant
field may stay empty), the bootstrap key to the tenant named. The session cookie keeps
the key's digest, never the key.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect

from drift_api.auth import API_KEY_HEADER, read_caller
from drift_api.console.render import page
from drift_api.console.web import BASE, CLIENT_ID, checked_form, console_of, first, session_cookie
from drift_api.problems import ApiError

__all__ = ["sign_in", "sign_in_form", "sign_out"]


def _next(target: str | None) -> str:
    # Only a page of the console: never another site (an open redirect).
    if target and target.startswith(f"{BASE}/") and "//" not in target and "\\" not in target:
        return target
    return f"{BASE}/inbox"


def _need_tenant(tenant: str) -> None:
    if not tenant:
        raise ApiError(400, "Tenant Needed", "this key is valid for every tenant: name the tenant")


@get("/sign-in", include_in_schema=False)
async def sign_in_form(request: Request[Any, Any, Any]) -> Response[str]:
    """The sign-in page (it starts an anonymous session for its CSRF token)."""
    console = await console_of(request)
    session = console.session if console.session is not None else console.signer.anonymous()
    context = {
        "base": BASE,
        "caller": console.caller,
        "csrf": console.signer.csrf_token(session),
        "next": _next(request.query_params.get("next")),
        "title": "Sign in",
    }
    response = page("sign_in.html", context)
    response.cookies.append(session_cookie(request, console.signer.dump(session)))
    return response


@post("/sign-in", include_in_schema=False, status_code=303)
async def sign_in(request: Request[Any, Any, Any]) -> Response[Any]:
    """Check the key and the tenant; on success start the tenant's session."""
    console = await console_of(request)
    form = await checked_form(request, console)
    key = first(form, "key").strip()
    tenant = first(form, "tenant").strip()
    target = _next(first(form, "next"))
    keys = console.services.keys
    try:
        owner = await keys.identify(key)
        tenant = tenant or owner or ""
        _need_tenant(tenant)
        caller = await read_caller(
            {API_KEY_HEADER.lower(): key, "x-tenant-id": tenant, "x-client-id": CLIENT_ID}, keys
        )
    except ApiError as error:
        problems = [p.message for p in error.errors] or [error.detail]
        context = {
            "base": BASE,
            "caller": None,
            "csrf": console.csrf,
            "next": target,
            "tenant": tenant,
            "title": "Sign in",
            "problems": problems,
        }
        return page("sign_in.html", context, status=error.status)
    session = console.signer.signed_in(caller.tenant_id, keys.digest(key))
    response: Response[Any] = Redirect(target, status_code=303)
    response.cookies.append(session_cookie(request, console.signer.dump(session)))
    return response


@post("/sign-out", include_in_schema=False, status_code=303)
async def sign_out(request: Request[Any, Any, Any]) -> Response[Any]:
    """End the session: the cookie is deleted and the browser goes to the sign-in page."""
    console = await console_of(request)
    await checked_form(request, console)
    response: Response[Any] = Redirect(f"{BASE}/sign-in", status_code=303)
    response.cookies.append(session_cookie(request, None))
    return response
