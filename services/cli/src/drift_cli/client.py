"""The CLI's connection to a running Drift API.

Where the API is and how to authenticate come from flags, else ``DRIFT_API_URL``,
``DRIFT_API_KEY`` and ``DRIFT_TENANT``, else the ``.drift/dev.json`` that ``drift dev``
writes — so after ``drift dev`` every command just works.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Self, TypeVar

import aiohttp
import msgspec

from drift_models import ProblemDetails

__all__ = [
    "ApiAnswer",
    "ApiAnswerInvalid",
    "ApiClient",
    "ApiFailure",
    "ApiUnreachable",
    "Connection",
    "resolve_connection",
]

T = TypeVar("T")


class ApiUnreachable(RuntimeError):  # noqa: N818 - reads as what happened
    """The API could not be reached."""


class ApiFailure(RuntimeError):  # noqa: N818 - reads as what happened
    """The API answered with an error (problem details).

    Attributes:
        status: the HTTP status.
        body: the decoded JSON body (or whatever the body was).
        problem: the body as problem details, when it is one (every error of the API).
    """

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        self.problem: ProblemDetails | None = None
        if isinstance(body, dict):
            with contextlib.suppress(msgspec.ValidationError):
                self.problem = msgspec.convert(body, ProblemDetails)
        super().__init__(self.describe())

    def describe(self) -> str:
        """The error for people: title, detail and every problem with its path."""
        if self.problem is None:
            return f"HTTP {self.status}: {self.body}"
        lines = [f"HTTP {self.status} {self.problem.title}".rstrip()]
        if self.problem.detail:
            lines.append(self.problem.detail)
        lines.extend(f"  {item.path}: {item.message}" for item in self.problem.errors)
        return "\n".join(lines)


class ApiAnswerInvalid(RuntimeError):  # noqa: N818 - reads as what happened
    """The API answered a success whose body is not the shape the API promises.

    Attributes:
        method: the request's method.
        path: the request's path.
        expected: the name of the body type the answer should have been.
        reason: what is wrong and where (msgspec names the field: ``at `$.items[0].x```).
    """

    def __init__(self, method: str, path: str, expected: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.expected = expected
        self.reason = reason
        super().__init__(
            f"the API answered {method} {path} with a body that is not a {expected}: {reason}"
        )


@dataclass(frozen=True, slots=True)
class ApiAnswer(Generic[T]):
    """A success of the API, decoded into the body type it promises.

    Attributes:
        status: the HTTP status.
        body: the decoded body.
        data: the body's bytes as the API sent them.
    """

    status: int
    body: T
    data: bytes

    def json(self) -> Any:
        """The body as plain JSON values, exactly as the API sent it (``--json`` output)."""
        return json.loads(self.data) if self.data else None


@dataclass(frozen=True, slots=True)
class Connection:
    """Where the API is and who is calling.

    Attributes:
        url: the API's base address.
        api_key: the key sent as ``X-Api-Key`` (none: no key).
        tenant: the ``X-Tenant-Id``.
        client: the ``X-Client-Id``.
    """

    url: str
    api_key: str | None
    tenant: str
    client: str = "drift-cli"


def resolve_connection(
    *,
    url: str | None = None,
    api_key: str | None = None,
    tenant: str | None = None,
    environ: Mapping[str, str] | None = None,
    dev_file: Path = Path(".drift/dev.json"),
) -> Connection:
    """The connection from flags, then the environment, then ``drift dev``'s file."""
    env = os.environ if environ is None else environ
    dev: dict[str, Any] = {}
    if dev_file.is_file():
        dev = json.loads(dev_file.read_text())
    return Connection(
        url=(url or env.get("DRIFT_API_URL") or dev.get("api") or "http://127.0.0.1:8000").rstrip(
            "/"
        ),
        api_key=api_key or env.get("DRIFT_API_KEY") or dev.get("apiKey"),
        tenant=tenant or env.get("DRIFT_TENANT") or dev.get("tenant") or "demo",
    )


class ApiClient:
    """A small asynchronous client of the Drift API.

    Args:
        connection: where and who.
        timeout_seconds: the limit of one request.
    """

    def __init__(self, connection: Connection, timeout_seconds: float = 60.0) -> None:
        self.connection = connection
        headers = {"X-Tenant-Id": connection.tenant, "X-Client-Id": connection.client}
        if connection.api_key:
            headers["X-Api-Key"] = connection.api_key
        self._session = aiohttp.ClientSession(
            headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_seconds)
        )

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 202),
    ) -> tuple[int, Any]:
        """Send a request; answer (status, body as plain JSON values, or bytes).

        Raises:
            ApiUnreachable: when the API cannot be reached.
            ApiFailure: when it answers with a status not in ``ok``.
        """
        status, kind, data = await self._send(method, path, body=body, params=params, ok=ok)
        return status, json.loads(data) if "json" in kind and data else data

    async def answer(
        self,
        method: str,
        path: str,
        into: type[T],
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 202),
    ) -> ApiAnswer[T]:
        """Send a request; decode its answer into ``into``, strictly.

        Raises:
            ApiUnreachable: when the API cannot be reached.
            ApiFailure: when it answers with a status not in ``ok``.
            ApiAnswerInvalid: when the answer's body is not an ``into``, naming the field.
        """
        status, _, data = await self._send(method, path, body=body, params=params, ok=ok)
        try:
            decoded = msgspec.json.decode(data, type=into, strict=True)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            name = getattr(into, "__name__", None) or str(into)
            raise ApiAnswerInvalid(method, path, name, str(error)) from None
        return ApiAnswer(status=status, body=decoded, data=data)

    async def raw(self, path: str, params: Mapping[str, str] | None = None) -> bytes:
        """GET a resource's bytes as the API sent them (a picture, a DSL document)."""
        _, _, data = await self._send("GET", path, params=params)
        return data

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 202),
    ) -> tuple[int, str, bytes]:
        url = f"{self.connection.url}{path}"
        try:
            async with self._session.request(
                method, url, json=body, params=dict(params or {})
            ) as answer:
                data = await answer.read()
                status = answer.status
                kind = answer.content_type
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            reason = str(error) or type(error).__name__
            msg = f"cannot reach the Drift API at {self.connection.url}: {reason}"
            raise ApiUnreachable(msg) from None
        if status not in ok:
            failure: Any = data
            if "json" in kind and data:
                try:
                    failure = json.loads(data)
                except ValueError:
                    failure = data.decode(errors="replace")
            raise ApiFailure(status, failure)
        return status, kind, data
