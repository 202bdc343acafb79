"""The child processes of ``drift dev``: started, watched, restarted, stopped together.

Each child runs in its own process group, so stopping it stops what it started.
A child that dies is reported with the tail of its log. It is restarted at most
``max_restarts`` times within ``window_seconds``; one death more, and the supervisor
gives up, so ``drift dev`` exits non-zero instead of pretending to run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from drift_worker.devserver import die_with_parent

__all__ = ["Child", "RestartPolicy", "Supervisor", "describe_exit", "log_tail"]

_TAIL_LINES: Final = 20
_TAIL_BYTES: Final = 16 * 1024


@dataclass(frozen=True)
class RestartPolicy:
    """How often a dead child is started again before the supervisor gives up.

    Attributes:
        max_restarts: restarts allowed within ``window_seconds`` (0: never restart).
        window_seconds: the sliding window the restarts are counted in.
    """

    max_restarts: int = 3
    window_seconds: float = 300.0


@dataclass
class Child:
    """One supervised process.

    Attributes:
        name: what it is (``worker``, ``API``).
        command: its command line.
        env: its environment.
        log: the file its output goes to.
        ready_url: the URL that answers 200 once it is ready.
        process: the running process, once started.
        restarts: when it was restarted (monotonic seconds), the recent ones.
    """

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    ready_url: str
    process: subprocess.Popen[bytes] | None = None
    restarts: deque[float] = field(default_factory=deque)

    def start(self) -> None:
        """Start (or start again) the process, its output appended to its log."""
        if self.process is not None:
            # What the dead process left in its group (sandbox children) goes with it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                self.command,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only a prctl call
            )

    @property
    def pid(self) -> int | None:
        """The process id while it was started."""
        return None if self.process is None else self.process.pid

    def exit_code(self) -> int | None:
        """The exit code if the process has ended, else ``None``."""
        return None if self.process is None else self.process.poll()


def describe_exit(code: int) -> str:
    """``exited with code 3`` or ``was killed by SIGKILL``."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"


def log_tail(log: Path, lines: int = _TAIL_LINES) -> str:
    """The last ``lines`` lines of ``log``, indented, or a note that it is empty."""
    try:
        with log.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL_BYTES))
            text = handle.read().decode(errors="replace")
    except OSError as error:
        return f"    (its log {log} cannot be read: {error.strerror})"
    tail = text.splitlines()[-lines:]
    if not tail:
        return "    (its log is empty)"
    return "\n".join(f"    {line}" for line in tail)


class Supervisor:
    """Starts children, notices the dead ones, decides on restarts, stops them all.

    Args:
        policy: the restart budget of each child.
    """

    def __init__(self, policy: RestartPolicy | None = None) -> None:
        self.policy = policy or RestartPolicy()
        self.children: list[Child] = []

    def start(self, child: Child) -> Child:
        """Start ``child`` and supervise it."""
        child.start()
        self.children.append(child)
        return child

    def dead(self) -> list[Child]:
        """The children whose process has ended."""
        return [child for child in self.children if child.exit_code() is not None]

    def may_restart(self, child: Child, now: float | None = None) -> bool:
        """Whether ``child`` has restarts left in the window; if so, one is counted."""
        now = time.monotonic() if now is None else now
        while child.restarts and now - child.restarts[0] > self.policy.window_seconds:
            child.restarts.popleft()
        if len(child.restarts) >= self.policy.max_restarts:
            return False
        child.restarts.append(now)
        return True

    def stop_all(self, grace_seconds: float = 15.0) -> None:
        """SIGTERM every child's process group, then SIGKILL what is left after the grace."""
        running = [child.process for child in reversed(self.children) if child.process]
        for process in running:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
