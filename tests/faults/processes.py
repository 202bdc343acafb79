"""One child process of a fault drill: started, killed, paused and restarted by pid.

Every process runs in its own session (its pid is its process group), with its output
appended to a log file and a parent-death signal, so a crashed test session leaves
nothing behind. A restart reuses the same command line and therefore the same ports.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from drift_worker.devserver import die_with_parent

__all__ = ["ManagedProcess", "socket_owner", "wait_for", "wait_port_free", "wait_port_open"]


def wait_for(
    check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1
) -> None:
    """Poll ``check`` until it is true.

    Raises:
        AssertionError: naming ``what`` when ``timeout`` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    if not check():
        raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


def _listening(port: int) -> bool:
    with (
        contextlib.suppress(OSError),
        socket.create_connection(("127.0.0.1", port), timeout=0.3),
    ):
        return True
    return False


def wait_port_open(port: int, *, timeout: float, what: str) -> None:
    """Wait until something accepts connections on ``127.0.0.1:port``."""
    wait_for(lambda: _listening(port), timeout=timeout, what=f"{what} listening on {port}")


def wait_port_free(port: int, *, timeout: float = 30.0) -> None:
    """Wait until nothing listens on ``port`` (a killed server's port is released)."""
    wait_for(lambda: not _listening(port), timeout=timeout, what=f"port {port} released")


@dataclass
class ManagedProcess:
    """A child process the drill controls.

    Attributes:
        name: for logs and messages (``worker-1``).
        command: the command line (the same on every restart).
        env: its whole environment.
        log: where stdout and stderr are appended.
        ports: the ports it listens on, released before a restart.
        cwd: its working directory.
    """

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    ports: tuple[int, ...] = ()
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    starts: int = 0

    @property
    def pid(self) -> int | None:
        """The pid while it runs."""
        if self.process is None or self.process.poll() is not None:
            return None
        return self.process.pid

    def alive(self) -> bool:
        """Whether the process is running (or stopped by SIGSTOP)."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start it (once its ports are free)."""
        if self.alive():
            raise AssertionError(f"{self.name} is already running (pid {self.pid})")
        for port in self.ports:
            wait_port_free(port)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as output:
            output.write(f"\n===== start {self.starts + 1} of {self.name}\n".encode())
            output.flush()
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=self.cwd,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only a prctl call
            )
        self.starts += 1

    def _signal_group(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL it (and its children), as a crash or an OOM kill would."""
        self._signal_group(signal.SIGCONT)
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(30)

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM it, SIGKILL after ``grace`` seconds; its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self._signal_group(signal.SIGCONT)
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(30)
        return self.process.returncode

    def pause(self) -> None:
        """SIGSTOP it: it keeps its sockets but answers nothing (a hung dependency)."""
        self._signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        self._signal_group(signal.SIGCONT)

    def kernel_notes(self) -> str:
        """What the kernel logged about its last pid (an OOM kill, a segfault), if readable."""
        if self.process is None:
            return ""
        dmesg = shutil.which("dmesg")
        if dmesg is None:
            return ""
        try:
            log = subprocess.run(
                [dmesg], capture_output=True, text=True, timeout=5, check=False
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            return ""
        pid = re.compile(rf"\b{self.process.pid}\b")
        return "\n".join(line for line in log.splitlines() if pid.search(line))

    def tail(self, characters: int = 3000) -> str:
        """The end of its log, for failure messages."""
        try:
            return self.log.read_text(errors="replace")[-characters:]
        except OSError:
            return "(no log)"


def socket_owner(local_port: int, remote_port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the loopback TCP connection ``local_port → remote_port``.

    Reads ``/proc/net/tcp`` for the connection's inode, then each process's open
    descriptors for that socket (Linux only; ``None`` elsewhere or when not found).
    """
    inode = _tcp_inode(local_port, remote_port)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        descriptors = Path(f"/proc/{pid}/fd")
        with contextlib.suppress(OSError):
            for descriptor in descriptors.iterdir():
                with contextlib.suppress(OSError):
                    if str(descriptor.readlink()) == target:
                        return pid
    return None


def _tcp_inode(local_port: int, remote_port: int) -> str | None:
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if (
            int(local.split(":")[1], 16) == local_port
            and int(remote.split(":")[1], 16) == remote_port
        ):
            return inode
    return None
