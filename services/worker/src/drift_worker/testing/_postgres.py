"""A PostgreSQL of its own for the cluster: Debian's binaries, a fresh folder, one port.

PostgreSQL refuses to run as root, so when the harness is root the server (and
``initdb``) run as the ``postgres`` user; the data folder, the socket folder and the log
all live in a folder that user owns. The postmaster is a direct child of the harness
(no ``pg_ctl`` daemon), so it is stopped by its pid and dies with its parent.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from drift_worker.devserver import die_with_parent

__all__ = ["Postgres", "PostgresError", "postgres_bindir"]

_INITDB_FLAGS: Final = ("--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
_MAX_CONNECTIONS: Final = 200  # four Temporal processes open up to 120 between them


class PostgresError(RuntimeError):
    """PostgreSQL is missing or did not start; the message says what to do."""


def postgres_bindir() -> Path:
    """Where ``initdb`` and ``postgres`` are (``$PGBIN``, else ``pg_config --bindir``).

    Raises:
        PostgresError: when no PostgreSQL is installed.
    """
    configured = os.environ.get("PGBIN", "").strip()
    if configured:
        return Path(configured)
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        found = subprocess.run(  # noqa: S603 - pg_config found on PATH
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found and (Path(found) / "initdb").is_file():
            return Path(found)
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if candidates:
        return candidates[-1].parent
    msg = (
        "PostgreSQL was not found (pg_config, /usr/lib/postgresql): "
        "apt-get install -y postgresql (.ci/run installs it in CI)"
    )
    raise PostgresError(msg)


def _as_postgres() -> tuple[Callable[[], None], int | None]:
    """A ``preexec_fn`` that drops root to ``postgres`` (and dies with its parent)."""
    if os.geteuid() != 0:
        return die_with_parent, None
    user = pwd.getpwnam("postgres")

    def drop() -> None:
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
        die_with_parent()  # after setuid: a change of credentials clears the death signal

    return drop, user.pw_uid


@dataclass
class Postgres:
    """One PostgreSQL server on ``127.0.0.1:port`` with its data in ``folder``.

    Attributes:
        folder: owned by the server's user; holds ``data/``, the socket and ``postgres.log``.
        port: its TCP port on 127.0.0.1.
    """

    folder: Path
    port: int
    bindir: Path = field(default_factory=postgres_bindir)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def log(self) -> Path:
        """The server's log."""
        return self.folder / "postgres.log"

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs."""
        return None if self._process is None else self._process.pid

    def init(self) -> None:
        """Create the data folder (``initdb``), configured for loopback and 200 clients."""
        preexec, uid = _as_postgres()
        self.folder.mkdir(parents=True, exist_ok=True)
        if uid is not None:
            os.chown(self.folder, uid, -1)
        data = self.folder / "data"
        done = subprocess.run(  # noqa: S603 - Debian's initdb
            [str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", *_INITDB_FLAGS],
            preexec_fn=preexec,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            msg = f"initdb failed in {data}: {done.stderr[-2000:]}"
            raise PostgresError(msg)
        settings = (
            f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
            f"unix_socket_directories = '{self.folder}'\n"
            f"max_connections = {_MAX_CONNECTIONS}\nshared_buffers = 128MB\nfsync = off\n"
        )
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(settings)

    def start(self, timeout: float = 60.0) -> None:
        """Start the postmaster and wait until it accepts a query.

        Raises:
            PostgresError: when it exits or does not answer (with its log's tail).
        """
        preexec, _ = _as_postgres()
        with self.log.open("ab") as output:
            self._process = subprocess.Popen(  # noqa: S603 - Debian's postgres
                [str(self.bindir / "postgres"), "-D", str(self.folder / "data")],
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=preexec,  # noqa: PLW1509 - setuid and prctl only
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                msg = f"PostgreSQL exited with code {self._process.returncode}: {self._tail()}"
                raise PostgresError(msg)
            if self._answers():
                return
            time.sleep(0.1)
        msg = (
            f"PostgreSQL did not answer on 127.0.0.1:{self.port} in {timeout:.0f} s: {self._tail()}"
        )
        raise PostgresError(msg)

    def stop(self, *, signum: int = signal.SIGINT, timeout: float = 30.0) -> None:
        """Stop the postmaster by pid: SIGINT is a fast shutdown, SIGKILL a crash."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signum)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        if signum == signal.SIGKILL:  # its backends are orphans now: end them too
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    def query(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` with ``psql`` as the superuser; its unaligned output.

        Raises:
            PostgresError: when psql fails (its message included).
        """
        done = subprocess.run(  # noqa: S603 - Debian's psql
            [
                str(self.bindir / "psql"),
                *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database),
                *("-tAqX", "-v", "ON_ERROR_STOP=1", "-c", sql),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if done.returncode != 0:
            msg = f"psql failed on {database}: {done.stderr.strip()}"
            raise PostgresError(msg)
        return done.stdout.strip()

    def _answers(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), 0.2),
        ):
            try:
                self.query("select 1")
            except PostgresError:
                return False
            return True
        return False

    def _tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"
