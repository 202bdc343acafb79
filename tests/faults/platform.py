"""The whole platform as separate processes on free loopback ports, for fault drills.

A Temporal dev server with a database file, a standalone HBase (master and Thrift
gateway from drift-store's harness), a redis-server, the examples' demo back ends, two
``drift-worker`` and two ``drift-api`` processes, each started from its console script
with ``DRIFT_*`` settings. Every one of them can be killed, paused and restarted on the
same ports; :meth:`Platform.stop` stops them all by pid, whatever happened before.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import aiohttp

from drift_cli.client import ApiClient, Connection
from drift_cli.commands import ApplyOptions, apply
from drift_nodes import discover_nodes
from drift_store import open_store
from drift_store._hbase_client import thrift_answers
from drift_store.testing import hbase_server
from drift_worker.devserver import DevServer, free_port
from tests.faults.processes import ManagedProcess, wait_port_open

__all__ = ["API_KEY", "TENANT", "ApiProcess", "Platform", "WorkerProcess"]

API_KEY: Final = "faults-drill-key"
TENANT: Final = "faults"
REPO: Final = Path(__file__).resolve().parents[2]
EXAMPLE_FOLDERS: Final = ("refund", "account-verification", "appointment")
_BIN: Final = Path(sys.executable).parent


def _clean_env() -> dict[str, str]:
    """This process's environment without any ``DRIFT_*`` setting of its own."""
    return {name: value for name, value in os.environ.items() if not name.startswith("DRIFT_")}


async def _http_ok(url: str, *, timeout: float = 1.0) -> bool:
    with contextlib.suppress(aiohttp.ClientError, TimeoutError, OSError):
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as answer,
        ):
            return answer.status == 200
    return False


async def _until(check: object, what: str, process: ManagedProcess, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if not process.alive():
            status = process.process.returncode if process.process else None
            notes = process.kernel_notes()
            raise AssertionError(
                f"{process.name} exited (status {status}; kernel: {notes or 'nothing'}):\n"
                f"{process.tail()}"
            )
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} within {timeout:.0f} s:\n{process.tail()}")


@dataclass
class WorkerProcess:
    """A ``drift-worker`` and its probe port."""

    process: ManagedProcess
    admin_port: int

    async def wait_ready(self, timeout: float = 90.0) -> None:
        """Wait until its ``/readyz`` answers 200."""
        url = f"http://127.0.0.1:{self.admin_port}/readyz"
        await _until(lambda: _http_ok(url), f"{self.process.name} not ready", self.process, timeout)


@dataclass
class ApiProcess:
    """A ``drift-api`` and its ports."""

    process: ManagedProcess
    app_port: int
    admin_port: int

    @property
    def url(self) -> str:
        """The REST API's base address."""
        return f"http://127.0.0.1:{self.app_port}"

    async def wait_ready(self, timeout: float = 90.0) -> None:
        """Wait until its probes answer and its app port accepts connections."""
        url = f"http://127.0.0.1:{self.admin_port}/readyz"
        await _until(lambda: _http_ok(url), f"{self.process.name} not ready", self.process, timeout)
        await asyncio.to_thread(wait_port_open, self.app_port, timeout=30, what=self.process.name)


@dataclass
class Platform:
    """Every process of a drill (see the module's docstring).

    Attributes:
        root: where the database, the logs and the settings files live.
        workers_count: how many workers.
        apis_count: how many API processes.
        sync_timeout: the APIs' ``DRIFT_SYNC_TIMEOUT_SECONDS``.
    """

    root: Path
    workers_count: int = 2
    apis_count: int = 2
    sync_timeout: float = 10.0
    temporal_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    backends_port: int = field(default_factory=free_port)
    task_queue: str = "faults"
    hbase: hbase_server.HBaseServer | None = None
    temporal: ManagedProcess | None = None
    thrift: ManagedProcess | None = None
    redis: ManagedProcess | None = None
    backends: ManagedProcess | None = None
    workers: list[WorkerProcess] = field(default_factory=list)
    apis: list[ApiProcess] = field(default_factory=list)

    # -- addresses ---------------------------------------------------------------------

    @property
    def temporal_address(self) -> str:
        """Temporal's frontend."""
        return f"127.0.0.1:{self.temporal_port}"

    @property
    def store_url(self) -> str:
        """The HBase store of every process (its own table prefix)."""
        assert self.hbase is not None
        return f"{self.hbase.url}?prefix=faults_&timeout=10"

    @property
    def backends_url(self) -> str:
        """The demo back ends."""
        return f"http://127.0.0.1:{self.backends_port}"

    @property
    def api_urls(self) -> list[str]:
        """Every API's base address."""
        return [api.url for api in self.apis]

    def everything(self) -> list[ManagedProcess]:
        """Every process, the servers last."""
        parts = [*(a.process for a in self.apis), *(w.process for w in self.workers)]
        parts += [p for p in (self.backends, self.redis, self.thrift, self.temporal) if p]
        return parts

    # -- starting ----------------------------------------------------------------------

    async def start(self) -> None:
        """Start every server, load the examples through an API, wait until all serve."""
        logs = self.root / "logs"
        hbase_dir = self.root / "hbase"
        hbase_dir.mkdir(parents=True, exist_ok=True)
        hbase_job = asyncio.create_task(
            asyncio.to_thread(hbase_server.HBaseServer.start, hbase_dir)
        )
        self._start_temporal(logs)
        self._start_redis(logs)
        self._start_backends(logs)
        self.hbase = await hbase_job
        self._adopt_thrift(logs)
        await DevServer(port=self.temporal_port).wait_ready(60)
        # The tables exist before any process opens the store (their first-open race is
        # a defect of its own, not one of these drills).
        async with open_store(self.store_url, node_types=discover_nodes().node_types):
            pass
        self._create_workers(logs)
        self._create_apis(logs)
        services: list[WorkerProcess | ApiProcess] = [*self.workers, *self.apis]
        for service in services:
            service.process.start()
        for service in services:
            await service.wait_ready()
        await self.load_examples()

    def _start_temporal(self, logs: Path) -> None:
        server = DevServer(port=self.temporal_port, database=self.root / "temporal.db")
        self.temporal = ManagedProcess(
            "temporal", server.command(), _clean_env(), logs / "temporal.log", (self.temporal_port,)
        )
        self.temporal.start()

    def _start_redis(self, logs: Path) -> None:
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
        ]  # fmt: skip
        self.redis = ManagedProcess(
            "redis", command, _clean_env(), logs / "redis.log", (self.redis_port,)
        )
        self.redis.start()

    def _start_backends(self, logs: Path) -> None:
        command = [sys.executable, "-m", "tests.faults.backends", "--port", str(self.backends_port)]
        env = {**_clean_env(), "PYTHONPATH": str(REPO)}
        self.backends = ManagedProcess(
            "backends", command, env, logs / "backends.log", (self.backends_port,), cwd=REPO
        )
        self.backends.start()
        wait_port_open(self.backends_port, timeout=30, what="the demo back ends")

    def _adopt_thrift(self, logs: Path) -> None:
        """Take the harness's Thrift gateway over, so it can be killed and restarted."""
        assert self.hbase is not None
        directory = self.hbase.directory
        conf = directory / "conf"
        java = shutil.which("java") or "java"
        command = [
            java, *hbase_server._JVM_FLAGS,
            f"-Dlog4j2.configurationFile={conf / 'log4j2.properties'}",
            "-Xmx256m", "-cp", f"{conf}:{hbase_server.fetch_classpath()}",
            "org.apache.hadoop.hbase.thrift.ThriftServer",
            "-p", str(self.hbase.thrift_port), "--infoport", "-1", "start",
        ]  # fmt: skip
        self.thrift = ManagedProcess(
            "thrift", command, _clean_env(), logs / "thrift.log", (self.hbase.thrift_port,),
            cwd=directory,
        )  # fmt: skip
        self.thrift.process = self.hbase._thrift
        self.thrift.starts = 1

    def _common_env(self) -> dict[str, str]:
        return {
            **_clean_env(),
            "DRIFT_TEMPORAL_ADDRESS": self.temporal_address,
            "DRIFT_STORE_URL": self.store_url,
            "DRIFT_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DRIFT_TASK_QUEUE": self.task_queue,
            "DRIFT_HTTP_ALLOW_HOSTS": "127.0.0.1",
            "DRIFT_LOG_LEVEL": "INFO",
            "DRIFT_METRICS_PORT": "0",
        }

    def _create_workers(self, logs: Path) -> None:
        enum_file = self.root / "enum-store.yaml"
        enum_file.write_text(
            f'"*":\n  ordersServiceUrl: "{self.backends_url}"\n'
            f'  accountsServiceUrl: "{self.backends_url}"\n'
        )
        for number in range(1, self.workers_count + 1):
            admin = free_port()
            env = {
                **self._common_env(),
                "DRIFT_HOST": "127.0.0.1",
                "DRIFT_ADMIN_PORT": str(admin),
                "DRIFT_APP_PORT": str(free_port()),
                "DRIFT_ENUM_STORE_FILE": str(enum_file),
                "DRIFT_SHUTDOWN_GRACE_SECONDS": "3",
            }
            process = ManagedProcess(
                f"worker-{number}",
                [str(_BIN / "drift-worker")],
                env,
                logs / f"worker-{number}.log",
                (admin,),
            )
            self.workers.append(WorkerProcess(process, admin))

    def _create_apis(self, logs: Path) -> None:
        for number in range(1, self.apis_count + 1):
            app, admin = free_port(), free_port()
            env = {
                **self._common_env(),
                "DRIFT_HOST": "127.0.0.1",
                "DRIFT_APP_PORT": str(app),
                "DRIFT_ADMIN_PORT": str(admin),
                "DRIFT_BOOTSTRAP_API_KEY": API_KEY,
                "DRIFT_SYNC_TIMEOUT_SECONDS": str(self.sync_timeout),
            }
            process = ManagedProcess(
                f"api-{number}", [str(_BIN / "drift-api")], env, logs / f"api-{number}.log",
                (app, admin),
            )  # fmt: skip
            self.apis.append(ApiProcess(process, app, admin))

    async def load_examples(self, api: int = 0) -> None:
        """Write, publish and activate the examples through an API, as ``drift apply``."""
        connection = Connection(url=self.apis[api].url, api_key=API_KEY, tenant=TENANT)
        paths = [REPO / "examples" / name for name in EXAMPLE_FOLDERS]
        options = ApplyOptions(publish=True, activate=True)
        async with ApiClient(connection) as client:
            code = await apply(client, paths, discover_nodes().node_types, options, io.StringIO())
        assert code == 0

    # -- healing and stopping ------------------------------------------------------------

    async def wait_temporal(self, timeout: float = 60.0) -> None:
        """Wait until Temporal's namespace answers."""
        await DevServer(port=self.temporal_port).wait_ready(timeout)

    async def wait_thrift(self, timeout: float = 120.0) -> None:
        """Wait until the Thrift gateway answers (it needs the master)."""
        assert self.hbase is not None
        assert self.thrift is not None
        port = self.hbase.thrift_port
        await _until(
            lambda: thrift_answers("127.0.0.1", port), "Thrift not answering", self.thrift, timeout
        )

    async def heal(self) -> None:
        """Bring every process back (a drill may have left one down); wait until all serve."""
        for process in self.everything():
            process.resume()
        for server in (self.temporal, self.thrift, self.redis, self.backends):
            assert server is not None
            if not server.alive():
                await asyncio.to_thread(server.start)
        await self.wait_temporal()
        await self.wait_thrift()
        services: list[WorkerProcess | ApiProcess] = [*self.workers, *self.apis]
        for service in services:
            if not service.process.alive():
                await asyncio.to_thread(service.process.start)
        for service in services:
            await service.wait_ready()

    def stop(self) -> None:
        """Stop every process by pid (the clients first, then the servers)."""
        for part in self.everything():
            with contextlib.suppress(Exception):
                part.stop(grace=10)
        if self.hbase is not None:
            self.hbase.stop()
