"""A pool of long-lived sandbox processes that evaluate scripts for the worker.

Each process runs ``_sandbox_child`` under an address-space limit (``RLIMIT_AS``), so a
memory bomb fails inside the child and never in the worker. The parent bounds every
request by wall-clock time as well: a child that does not answer in time (a native
call that ignores cancellation, say) is killed. A child that dies, for whatever
reason, is replaced by a fresh one on the next request.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import sys
from pathlib import Path
from typing import Final

import msgspec

from drift_nodes._sandbox_child import HEADER, EvalReply, EvalRequest

__all__ = ["SandboxDiedError", "SandboxPool"]

_CHILD: Final = Path(__file__).with_name("_sandbox_child.py")
_BOOT: Final = "import runpy, sys; runpy.run_path(sys.argv.pop(1), run_name='__main__')"
_START_TIMEOUT: Final = 60.0
_GRACE_SECONDS: Final = 1.0
GROW_AFTER_SECONDS: Final = 0.05
"""How long a request waits for a busy sandbox before the pool starts another."""


class SandboxDiedError(Exception):
    """A sandbox process ended (or was killed) before it answered.

    Attributes:
        timed_out: whether the parent killed it for not answering in time.
        exit_status: how it ended when known: its exit code, or minus the signal that
            ended it (``-11`` for SIGSEGV), as :attr:`asyncio.subprocess.Process.returncode`.
    """

    def __init__(
        self, message: str, *, timed_out: bool = False, exit_status: int | None = None
    ) -> None:
        self.timed_out = timed_out
        self.exit_status = exit_status
        super().__init__(message)


class _Sandbox:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        assert process.stdin is not None  # noqa: S101 - spawned with pipes
        assert process.stdout is not None  # noqa: S101
        self.stdin = process.stdin
        self.stdout = process.stdout

    @classmethod
    async def spawn(cls, memory_bytes: int, cache_size: int) -> _Sandbox:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        env["RUST_BACKTRACE"] = "0"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _BOOT,
            str(_CHILD),
            str(memory_bytes),
            str(cache_size),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=os.sep,
            env=env,
        )
        sandbox = cls(process)
        try:
            async with asyncio.timeout(_START_TIMEOUT):
                await sandbox.stdout.readexactly(HEADER.size)
        except (TimeoutError, asyncio.IncompleteReadError):
            sandbox.kill()
            msg = "the script sandbox process did not start"
            raise SandboxDiedError(msg) from None
        except asyncio.CancelledError:
            sandbox.kill()  # no pool knows it yet: it would outlive the worker's close
            raise
        return sandbox

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def call(self, payload: bytes, wall_seconds: float) -> bytes:
        try:
            async with asyncio.timeout(wall_seconds):
                self.stdin.write(HEADER.pack(len(payload)) + payload)
                await self.stdin.drain()
                header = await self.stdout.readexactly(HEADER.size)
                return await self.stdout.readexactly(HEADER.unpack(header)[0])
        except TimeoutError:
            self.kill()
            msg = "the script sandbox did not answer in time and was stopped"
            raise SandboxDiedError(msg, timed_out=True) from None
        except (asyncio.IncompleteReadError, ConnectionError, BrokenPipeError):
            # Its pipe closed: it is dying. Wait for its status before any kill, since
            # Popen.send_signal polls (reaps) a dead child first and asyncio's watcher
            # then reports an unknown child as exit status 255.
            code = await self._exit_code()
            if code is None:
                self.kill()
                code = await self._exit_code()
            msg = f"the script sandbox process died (exit status {code})"
            raise SandboxDiedError(msg, exit_status=code) from None

    async def _exit_code(self) -> int | None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                return await self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    async def close(self) -> None:
        alive = self.alive
        self.stdin.close()  # its pipe is closed even when the process is gone already
        if alive:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self.process.wait()
            self.kill()
        await self.process.wait()


class SandboxPool:
    """Up to ``size`` sandbox processes, started as the load needs them and replaced when they die.

    The first request starts one process. Another starts (up to ``size``) only when a
    request has found every started process busy for ``grow_after`` seconds: a script
    answers in about a millisecond, so short overlaps queue behind the warm process
    instead of costing a resident process (~20 MB) each, and only sustained parallel
    work (or a slow script) grows the pool. A process that is still starting counts as
    one about to be free, not as busy. Started processes are kept until :meth:`close`.

    Bound to the event loop it is first used on (asyncio subprocesses are).
    """

    def __init__(
        self,
        *,
        size: int,
        memory_bytes: int,
        cache_size: int,
        grow_after: float = GROW_AFTER_SECONDS,
    ) -> None:
        self._size = size
        self._memory_bytes = memory_bytes
        self._cache_size = cache_size
        self._grow_after = grow_after
        # Last in, first out: the warmest sandbox is reused first.
        self._idle: list[_Sandbox] = []
        self._holding = 0  # processes started or starting, idle or busy
        self._starting = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._all: set[_Sandbox] = set()
        self._reapers: set[asyncio.Future[None]] = set()
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(EvalReply)
        self.started = 0
        """How many sandbox processes were started (replacements included)."""
        self.deaths = 0
        """How many sandbox processes died (or were killed) before answering."""

    async def run(self, request: EvalRequest) -> EvalReply:
        """Evaluate ``request`` in a free sandbox (waiting for one when all are busy).

        A warm sandbox that dies before answering may have died of something else
        while it sat idle (an operator, the OOM killer): the request is tried once more
        on a fresh one. A fresh sandbox that dies on it is the request's doing.

        Raises:
            SandboxDiedError: when a fresh sandbox died or was killed before answering,
                or a sandbox did not answer in time.
        """
        payload = self._encoder.encode(request)
        sandbox = await self._acquire()
        try:
            while True:
                fresh = sandbox is None or not sandbox.alive
                if sandbox is None or fresh:
                    if sandbox is not None:
                        self._all.discard(sandbox)
                    sandbox = await self._spawn()
                try:
                    data = await sandbox.call(payload, request.timeout + _GRACE_SECONDS)
                except SandboxDiedError as error:
                    self.deaths += 1
                    self._all.discard(sandbox)
                    sandbox = None
                    if fresh or error.timed_out:
                        raise
                    continue
                except asyncio.CancelledError:
                    # Its answer is still on the way: a later request would read it as
                    # its own. Nobody waits for it, so the process goes (and is reaped,
                    # its pipes closed, in the background).
                    self._all.discard(sandbox)
                    self._reap(sandbox)
                    sandbox = None
                    raise
                reply = self._decoder.decode(data)
                if reply.failure is not None and reply.failure.kind == "memory":
                    # The child exits after a memory failure: never hand it another request.
                    self._all.discard(sandbox)
                    await sandbox.close()
                    sandbox = None
                return reply
        finally:
            self._release(sandbox)

    async def _acquire(self) -> _Sandbox | None:
        """A warm sandbox, or ``None``: the caller holds a place and starts one."""
        loop = asyncio.get_running_loop()
        grow_at: float | None = None
        while True:
            if self._idle:
                return self._idle.pop()
            until: float | None = None
            if self._holding == 0:
                self._holding += 1
                return None
            if self._holding < self._size:
                if self._starting:
                    grow_at = None  # one is about to be free: not every process is busy
                elif grow_at is None:
                    grow_at = loop.time() + self._grow_after
                elif loop.time() >= grow_at:
                    self._holding += 1
                    return None
                until = grow_at
            await self._wait_for_release(until)

    async def _wait_for_release(self, until: float | None) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout_at(until):
                await waiter
        except TimeoutError:
            pass
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._wake_one()  # this caller is leaving: pass its wake-up on
            raise
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _spawn(self) -> _Sandbox:
        self._starting += 1
        try:
            sandbox = await _Sandbox.spawn(self._memory_bytes, self._cache_size)
        finally:
            self._starting -= 1
            # Waiters held off while it started now see whether every process is busy.
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)
        self._all.add(sandbox)
        self.started += 1
        return sandbox

    def _reap(self, sandbox: _Sandbox) -> None:
        """Kill ``sandbox`` and wait for it in the background, closing its pipes."""
        sandbox.kill()
        reaper = asyncio.ensure_future(sandbox.close())
        self._reapers.add(reaper)
        reaper.add_done_callback(self._reapers.discard)

    def _release(self, sandbox: _Sandbox | None) -> None:
        if sandbox is None:
            self._holding -= 1
        else:
            self._idle.append(sandbox)
        self._wake_one()

    async def close(self) -> None:
        """Stop every sandbox process."""
        sandboxes, self._all = self._all, set()
        # Idle sandboxes give their places back; a busy one's place stays with its
        # request, which sees the sandbox die and handles it as any death.
        self._holding -= len(self._idle)
        self._idle.clear()
        await asyncio.gather(*(s.close() for s in sandboxes), *self._reapers)

    def pids(self) -> list[int]:
        """The process ids of the live sandboxes (for tests and diagnostics)."""
        return [s.process.pid for s in self._all if s.alive]
