"""The Temporal server and its SQL tool, built from Go modules once and cached.

``go install go.temporal.io/server/cmd/server@v1.32.2`` (and ``cmd/tools/sql``) into a
cache folder: ``$DRIFT_TEMPORAL_CLUSTER_CACHE``, else ``~/.cache/drift-temporal-cluster``.
The first build takes about 7 minutes on 2 cores and fills ~1.7 GB of module cache; later
calls find the binaries and return at once. A file lock makes concurrent callers wait for
one build instead of running two.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "GO_TOOLCHAIN",
    "TEMPORAL_VERSION",
    "ClusterBinaries",
    "ClusterBuildError",
    "binaries_present",
    "cache_folder",
    "ensure_binaries",
    "find_go",
]

TEMPORAL_VERSION: Final = "v1.32.2"
"""The Temporal server release the harness builds (the one verified here)."""

GO_TOOLCHAIN: Final = "go1.27.3"
"""``go.temporal.io/server`` 1.32 needs Go >= 1.26.10; the go command fetches this one."""

CACHE_ENV: Final = "DRIFT_TEMPORAL_CLUSTER_CACHE"
_MODULE: Final = "go.temporal.io/server"
_BUILD_TIMEOUT: Final = 3600.0


class ClusterBuildError(RuntimeError):
    """The server or the SQL tool could not be built; the message says what to do."""


@dataclass(frozen=True)
class ClusterBinaries:
    """What the harness runs.

    Attributes:
        server: the ``server`` binary (all four services).
        sql: the SQL tool (``temporal-sql-tool``, installed as ``sql``).
        schema: the module's ``schema/postgresql/v12`` folder.
    """

    server: Path
    sql: Path
    schema: Path


def cache_folder() -> Path:
    """Where the Go build is cached (``$DRIFT_TEMPORAL_CLUSTER_CACHE`` or the default)."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "drift-temporal-cluster"


def find_go() -> str:
    """The go command (PATH, else ``/usr/local/go/bin/go``).

    Raises:
        ClusterBuildError: when there is none, saying how to get one.
    """
    found = shutil.which("go") or (
        "/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").is_file() else None
    )
    if found is None:
        msg = (
            "the go command was not found (PATH, /usr/local/go/bin): install Go >= 1.21 "
            f"from go.dev/dl; it then fetches {GO_TOOLCHAIN} itself to build Temporal"
        )
        raise ClusterBuildError(msg)
    return found


def _binaries(cache: Path) -> ClusterBinaries:
    gopath = cache / "go"
    return ClusterBinaries(
        server=gopath / "bin" / "server",
        sql=gopath / "bin" / "sql",
        schema=gopath / "mod" / f"{_MODULE}@{TEMPORAL_VERSION}" / "schema" / "postgresql" / "v12",
    )


def _present(binaries: ClusterBinaries) -> bool:
    return binaries.server.is_file() and binaries.sql.is_file() and binaries.schema.is_dir()


def binaries_present(cache: Path | None = None) -> bool:
    """Whether the server, the SQL tool and the schemas are built in the cache already."""
    return _present(_binaries(cache_folder() if cache is None else cache))


def ensure_binaries(cache: Path | None = None) -> ClusterBinaries:
    """The server, the SQL tool and the schema folder, building them if missing.

    The build's output goes to ``<cache>/build.log``.

    Raises:
        ClusterBuildError: when Go is missing or the build fails (with the log's tail).
    """
    cache = cache_folder() if cache is None else cache
    binaries = _binaries(cache)
    if _present(binaries):
        return binaries
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another session may be building right now
        if _present(binaries):
            return binaries
        go = find_go()
        gopath = cache / "go"
        env = {
            **os.environ,
            "GOPATH": str(gopath),
            "GOMODCACHE": str(gopath / "mod"),
            "GOCACHE": str(gopath / "cache"),
            "GOTOOLCHAIN": GO_TOOLCHAIN,
            "GOFLAGS": "-modcacherw",
        }
        log = cache / "build.log"
        with log.open("ab") as output:
            for command in ("server", "tools/sql"):
                target = f"{_MODULE}/cmd/{command}@{TEMPORAL_VERSION}"
                done = subprocess.run(  # noqa: S603 - the go command with fixed arguments
                    [go, "install", target],
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    check=False,
                    timeout=_BUILD_TIMEOUT,
                )
                if done.returncode != 0:
                    tail = log.read_text(errors="replace")[-3000:]
                    msg = f"go install {target} failed (exit {done.returncode}); {log}:\n{tail}"
                    raise ClusterBuildError(msg)
    if not _present(binaries):
        msg = (
            f"the build ended but {binaries.server}, {binaries.sql} or {binaries.schema} is missing"
        )
        raise ClusterBuildError(msg)
    return binaries
