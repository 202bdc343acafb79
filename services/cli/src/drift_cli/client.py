"""The CLI's connection to a running Drift API.

Where the API is and how to authenticate come from flags, else ``DRIFT_API_URL``,
``DRIFT_API_KEY`` and ``DRIFT_TENANT``, else the ``.drift/dev.json`` that ``drift dev``
writes — so after ``drift dev`` every command just works.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import aiohttp

__all__ = ["ApiClient", "ApiFailure", "ApiUnreachable", "Connection", "resolve_connection"]


class ApiUnreachable(RuntimeError):  # noqa: N818 - reads as what happened
    """The API could not be reached."""


class ApiFailure(RuntimeError):  # noqa: N818 - reads as what happened
    """The API answered with an error (problem details).

    Attributes:
        status: the HTTP status.
        body: the problem details (or whatever the body was).
    """

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        super().__init__(self.describe())

    def describe(self) -> str:
        """The error for people: title, detail and every problem with its path."""
        if not isinstance(self.body, dict):
            return f"HTTP {self.status}: {self.body}"
        lines = [f"HTTP {self.status} {self.body.get('title', '')}".rstrip()]
        if self.body.get("detail"):
            lines.append(str(self.body["detail"]))
        lines.extend(
            f"  {item.get('path')}: {item.get('message')}" for item in self.body.get("errors") or []
        )
        return "\n".join(lines)


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
        """Send a request; answer (status, decoded body).

        Raises:
            ApiUnreachable: when the API cannot be reached.
            ApiFailure: when it answers with a status not in ``ok``.
        """
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
        decoded: Any = data
        if "json" in kind and data:
            decoded = json.loads(data)
        if status not in ok:
            raise ApiFailure(status, decoded)
        return status, decoded

    async def raw(self, path: str, params: Mapping[str, str] | None = None) -> bytes:
        """GET a binary resource (a picture)."""
        _, body = await self.call("GET", path, params=params)
        return body if isinstance(body, bytes) else json.dumps(body).encode()
