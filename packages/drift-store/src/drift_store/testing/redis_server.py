"""A real Redis for tests: Debian's ``redis-server`` on a free loopback port.

No persistence (``--save '' --appendonly no``); :meth:`RedisServer.stop` and
:meth:`RedisServer.kill` stop it by pid. ``.ci/run`` installs the package; locally,
``apt-get install -y redis-server``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from drift_store.testing._processes import free_port, stop_process, wait_until

__all__ = ["RedisServer", "RedisStartError", "SentinelServer", "unavailable_reason"]

ENABLE_HINT: Final = (
    "install Redis (apt-get update && apt-get install -y redis-server) to run the cache's "
    "cross-process tests; .ci/run installs it"
)


class RedisStartError(RuntimeError):
    """redis-server did not come up."""


def unavailable_reason() -> str | None:
    """Why no Redis can be started here, or ``None``."""
    if shutil.which("redis-server") is None:
        return f"redis-server not found on PATH; {ENABLE_HINT}"
    return None


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """A running redis-server (see :meth:`start`).

    Attributes:
        port: its port on 127.0.0.1.
    """

    port: int
    _process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        """The server's pid."""
        return self._process.pid

    @classmethod
    def start(cls, *, port: int | None = None, timeout: float = 10.0) -> RedisServer:
        """Start redis-server (on a free port by default) and wait until it answers PING.

        Raises:
            RedisStartError: when redis-server is missing or does not answer.
        """
        reason = unavailable_reason()
        if reason is not None:
            raise RedisStartError(reason)
        port = port or free_port()
        process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        server = cls(port, process)
        if not wait_until(lambda: _answers(port) or process.poll() is not None, timeout=timeout):
            server.stop()
            msg = f"redis-server on port {port} did not answer within {timeout:g} s"
            raise RedisStartError(msg)
        if process.poll() is not None:
            msg = f"redis-server on port {port} exited with code {process.returncode}"
            raise RedisStartError(msg)
        return server

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait(10)

    def stop(self) -> None:
        """Stop the server by pid."""
        stop_process(self._process)


@dataclass
class SentinelServer:
    """A Redis Sentinel watching one master (``redis-server --sentinel``).

    Attributes:
        port: its port on 127.0.0.1.
        master: the monitored master's name.
    """

    port: int
    master: str
    _process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def address(self) -> str:
        """The ``redis+sentinel://`` address of the master behind this sentinel."""
        return f"redis+sentinel://127.0.0.1:{self.port}/{self.master}"

    @classmethod
    def start(
        cls, master: RedisServer, directory: Path, *, name: str = "mymaster", timeout: float = 10.0
    ) -> SentinelServer:
        """Start a sentinel for ``master`` and wait until it knows the master.

        Raises:
            RedisStartError: when it does not come up.
        """
        port = free_port()
        config = directory / f"sentinel-{port}.conf"
        config.write_text(
            f"port {port}\n"
            "bind 127.0.0.1\n"
            f"sentinel monitor {name} 127.0.0.1 {master.port} 1\n"
            f"sentinel down-after-milliseconds {name} 2000\n"
        )
        process = subprocess.Popen(  # noqa: S603
            [shutil.which("redis-server") or "redis-server", str(config), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        sentinel = cls(port, name, process)
        if not wait_until(lambda: _knows_master(port, name), timeout=timeout):
            sentinel.stop()
            msg = f"the sentinel on port {port} did not learn master {name!r} within {timeout:g} s"
            raise RedisStartError(msg)
        return sentinel

    def stop(self) -> None:
        """Stop the sentinel by pid."""
        stop_process(self._process)


def _knows_master(port: int, name: str) -> bool:
    command = f"SENTINEL get-master-addr-by-name {name}\r\n".encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(command)
            return connection.recv(64).startswith(b"*2")
    except OSError:
        return False
