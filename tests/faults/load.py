"""The load driver of a drill: clients that start, resume and read runs over HTTP.

Each client starts runs of the three examples (sync starts, each with its own
``workflowId``), reads them, and hands those that wait (at a view, or for an event) to
the resumers, which answer every other one and leave the rest waiting. Every request's
answer is recorded — status code, the state in the body, when it was sent and received
— so the accounting can check each one against what really happened. A client that
gets no answer or a 503 tries again with the same ``workflowId`` (the idempotency key),
on the next API, a few times. Everything is bounded: a number of starts and a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final, Self

import aiohttp

from drift_cli.demo import VALID_CODE
from tests.faults.platform import API_KEY, TENANT

__all__ = ["WAIT_NODES", "WORKFLOWS", "Driver", "Reply", "Run"]

WORKFLOWS: Final = ("refund", "account-verification", "appointment")
WAIT_NODES: Final = {
    "refund": "confirmRefund",
    "account-verification": "askCode",
    "appointment": "awaitDocuments",
}
"""Where each example waits for a person (a view) or for an event."""
_ATTEMPTS: Final = 4
_HEADERS: Final = {"X-Tenant-Id": TENANT, "X-Client-Id": "faults", "X-Api-Key": API_KEY}


@dataclass
class Reply:
    """One answer a client got.

    Attributes:
        run_id: the run it was about.
        operation: ``start``, ``resume``, ``event`` or ``get``.
        api: which API answered (its index).
        attempt: 1 for the first try, 2… for the retries of the same request.
        sent: when the request left (epoch seconds).
        received: when the answer (or the failure) came.
        status: the HTTP status, ``None`` when no answer came (reset, timeout).
        state: the body's ``workflowStatus``.
        node: the body's ``currentNode``.
        detail: the problem's title, or why there was no answer.
        version: the body's ``workflowVersion``.
    """

    run_id: str
    operation: str
    api: int
    attempt: int
    sent: float
    received: float
    status: int | None
    state: str | None = None
    node: str | None = None
    detail: str = ""
    version: int | None = None


@dataclass
class Run:
    """A run the driver asked for.

    Attributes:
        run_id: its id (the ``workflowId`` the client chose).
        workflow: the example it runs.
        resume: whether the driver answers its view (or sends its event).
        seen_waiting: a read showed it waiting there (no need to look again).
    """

    run_id: str
    workflow: str
    resume: bool
    seen_waiting: bool = False

    def params(self) -> dict[str, Any]:
        """Start parameters whose back-end calls name the run."""
        if self.workflow == "refund":
            return {"orderId": f"A-100-{self.run_id}", "reason": "damaged"}
        if self.workflow == "account-verification":
            return {"accountId": f"acct-{self.run_id}"}
        remind = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
        return {
            "patientId": "P7",
            "slot": "2026-12-01T09:30",
            "fee": 40,
            "remindAt": remind.isoformat(),
        }


def _resume_body(workflow: str) -> dict[str, Any]:
    if workflow == "refund":
        selected = {"decision": ["approve"]}
        return {"viewResponse": {"selectedOptions": selected}, "node": "confirmRefund"}
    selected = {"code": [VALID_CODE], "outcome": ["verified"]}
    return {"viewResponse": {"selectedOptions": selected}, "node": "askCode"}


@dataclass
class Driver:
    """Clients, resumers and their record (see the module's docstring).

    Attributes:
        api_urls: the APIs, used in turn.
        tag: the prefix of this drill's run ids.
        clients: concurrent starting clients.
        max_starts: starts at most (over all clients).
        pause: seconds a client waits between two runs.
        timeout: the HTTP timeout of one request.
        replies: every answer, in the order they came.
        runs: every run asked for, by id.
        in_flight: requests sent and not answered yet, by API and operation.
    """

    api_urls: list[str]
    tag: str
    clients: int = 4
    max_starts: int = 60
    pause: float = 1.5
    timeout: float = 30.0
    replies: list[Reply] = field(default_factory=list)
    runs: dict[str, Run] = field(default_factory=dict)
    _waiting: asyncio.Queue[Run] = field(default_factory=asyncio.Queue)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)
    _next_api: itertools.count[int] = field(default_factory=itertools.count)
    in_flight: Counter[tuple[int, str]] = field(default_factory=Counter)
    _session: aiohttp.ClientSession | None = None

    # -- HTTP -----------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        run_id: str,
        operation: str,
        *,
        body: Any = None,
        attempt: int = 1,
        api: int | None = None,
    ) -> Reply:
        assert self._session is not None
        if api is None:
            api = next(self._next_api) % len(self.api_urls)
        sent = time.time()
        self.in_flight[api, operation] += 1
        try:
            async with self._session.request(
                method, self.api_urls[api] + path, json=body, headers=_HEADERS
            ) as answer:
                data: Any = None
                with contextlib.suppress(ValueError, aiohttp.ContentTypeError):
                    data = await answer.json(content_type=None)
                reply = Reply(run_id, operation, api, attempt, sent, time.time(), answer.status)
                if isinstance(data, dict):
                    reply.state = data.get("workflowStatus")
                    reply.node = data.get("currentNode")
                    reply.version = data.get("workflowVersion")
                    reply.detail = str(data.get("title") or "")
                    if answer.status >= 400:
                        reply.detail += f": {data.get('detail', '')}"[:300]
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            detail = str(error) or type(error).__name__
            reply = Reply(run_id, operation, api, attempt, sent, time.time(), None, detail=detail)
        self.in_flight[api, operation] -= 1
        self.replies.append(reply)
        return reply

    async def _call(
        self,
        method: str,
        path: str,
        run_id: str,
        operation: str,
        *,
        body: Any,
        api: int | None = None,
    ) -> Reply:
        """One request, tried again (same body, next API) after a 503 or no answer."""
        reply = await self._send(method, path, run_id, operation, body=body, api=api)
        for attempt in range(2, _ATTEMPTS + 1):
            if reply.status not in (None, 503):
                break
            await asyncio.sleep(1.0)
            other = (reply.api + 1) % len(self.api_urls)
            reply = await self._send(
                method, path, run_id, operation, body=body, attempt=attempt, api=other
            )
        return reply

    # -- what clients do ------------------------------------------------------------------

    async def start(self, run: Run, api: int | None = None) -> Reply:
        """Start a run in sync mode (its first try on ``api``, by default the next one)."""
        self.runs[run.run_id] = run
        body = {
            "workflowDefinitionId": run.workflow,
            "workflowId": run.run_id,
            "params": run.params(),
        }
        return await self._call(
            "POST", "/v3/workflow/start", run.run_id, "start", body=body, api=api
        )

    async def read(self, run_id: str) -> Reply:
        """Read a run's state once (no retry: every read is recorded as it came)."""
        return await self._send("GET", f"/v3/workflow/{run_id}", run_id, "get")

    async def answer(self, run: Run) -> Reply:
        """Resume the run's view, or send the appointment its documents."""
        if run.workflow == "appointment":
            path = f"/v3/workflow/{run.run_id}/event/documentsUploaded"
            return await self._call(
                "POST", path, run.run_id, "event", body={"payload": {"files": ["a.pdf"]}}
            )
        path = f"/v3/workflow/resume/{run.run_id}"
        body = _resume_body(run.workflow)
        return await self._call("PUT", path, run.run_id, "resume", body=body)

    def new_run(self) -> Run:
        """The next run to start: the examples in turn, every other one resumed."""
        number = next(self._numbers)
        workflow = WORKFLOWS[number % len(WORKFLOWS)]
        return Run(f"{self.tag}-{number:04d}", workflow, resume=(number // len(WORKFLOWS)) % 2 == 0)

    async def _client(self, stop: asyncio.Event) -> None:
        while not stop.is_set() and len(self.runs) < self.max_starts:
            run = self.new_run()
            reply = await self.start(run)
            if reply.status in (200, 202):
                await self.read(run.run_id)
                if run.resume:
                    await self._waiting.put(run)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.pause)

    async def _resumer(self, stop: asyncio.Event) -> None:
        while not (stop.is_set() and self._waiting.empty()):
            try:
                run = await asyncio.wait_for(self._waiting.get(), 0.5)
            except TimeoutError:
                continue
            if not (run.seen_waiting or await self._awaits_answer(run)):
                continue
            await self.answer(run)
            await self.read(run.run_id)

    async def _awaits_answer(self, run: Run, tries: int = 20) -> bool:
        """Whether the run waits at its view or for its event (read for a few seconds).

        A run is answered only once a read showed it waiting there, so a refusal of
        the answer (409 "not waiting") can be judged.
        """
        for _ in range(tries):
            reply = await self.read(run.run_id)
            if (
                reply.status == 200
                and reply.node == WAIT_NODES[run.workflow]
                and reply.state in ("WAITING", "SCHEDULER_WAITING")
            ):
                return True
            # At its wait state but still RUNNING (the step that reached it was stored,
            # the wait not yet): it is on its way, read again.
            await asyncio.sleep(0.5)
        return False

    # -- the whole load -------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        self._session = aiohttp.ClientSession(timeout=timeout)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def prepare(self, count: int) -> list[Run]:
        """Start ``count`` runs before the fault and wait until each waits for its answer.

        Right after a restart (of Temporal, say) the workers may take a while to poll
        again, so a start may answer 202; the run is then read until it waits.
        """
        runs = [self.new_run() for _ in range(count)]
        replies = await asyncio.gather(*(self.start(run) for run in runs))
        for run, reply in zip(runs, replies, strict=True):
            assert reply.status in (200, 202), f"{run.run_id}: {reply}"
        for run in runs:
            run.seen_waiting = await self._awaits_answer(run, tries=120)
            if not run.seen_waiting:
                last = await self.read(run.run_id)
                msg = f"{run.run_id} never waited at {WAIT_NODES[run.workflow]} (last read: {last})"
                raise AssertionError(msg)
        return runs

    async def _release(self, stop: asyncio.Event, runs: list[Run], spacing: float) -> None:
        """Hand the prepared runs to the resumers one by one, ``spacing`` seconds apart."""
        for run in runs:
            await self._waiting.put(run)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), spacing)
            if stop.is_set():
                return

    async def _reader(self, stop: asyncio.Event, spacing: float) -> None:
        """Read the runs started so far in turn, one every ``spacing`` seconds."""
        for number in itertools.count():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), spacing)
            if stop.is_set():
                return
            started = list(self.runs)
            if started:
                await self.read(started[number % len(started)])

    async def drive(
        self, stop: asyncio.Event, waiting: list[Run], seconds: float, *, spacing: float = 4.0
    ) -> None:
        """Run the clients, two resumers and a reader until ``stop`` or ``seconds`` pass.

        The prepared runs in ``waiting`` that are to be answered are released one every
        ``spacing`` seconds, so answers also arrive in the middle of the fault; the
        others stay waiting across it. The reader sends a read every second.
        """
        resumable = [run for run in waiting if run.resume]
        tasks = [asyncio.create_task(self._client(stop)) for _ in range(self.clients)]
        tasks += [asyncio.create_task(self._resumer(stop)) for _ in range(2)]
        tasks.append(asyncio.create_task(self._release(stop, resumable, spacing)))
        tasks.append(asyncio.create_task(self._reader(stop, 1.0)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
        stop.set()
        await asyncio.gather(*tasks)
