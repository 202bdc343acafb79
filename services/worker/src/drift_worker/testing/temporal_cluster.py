"""A real Temporal cluster for tests, drills and benchmarks, on one machine.

Temporal server 1.32.2 built from Go modules (cached; see ``_build``), PostgreSQL for
persistence and SQL visibility (see ``_postgres``), and the four services — history,
matching, frontend, worker — as separate processes on free loopback ports. Starting it
creates the namespace and the given custom search attributes and returns once a
workflow can be started. Every process is stopped by its pid (also at interpreter exit,
and each dies with its parent). Single services and PostgreSQL can be killed and
restarted for drills. The methods block (they run their own event loop for the Temporal
client): from async code call them through ``asyncio.to_thread``.

From a shell (the first run builds the server: about 7 minutes on 2 cores)::

    python -m drift_worker.testing.temporal_cluster --build   # only build, then exit
    python -m drift_worker.testing.temporal_cluster           # run one until Ctrl-C
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Final, TypeVar

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from drift_models.visibility import SEARCH_ATTRIBUTES
from drift_worker.devserver import die_with_parent, free_port
from drift_worker.testing._build import (
    ClusterBinaries,
    ClusterBuildError,
    binaries_present,
    ensure_binaries,
    find_go,
)
from drift_worker.testing._config import (
    SERVICES,
    ServicePorts,
    render_config,
    render_dynamic_config,
)
from drift_worker.testing._postgres import Postgres, PostgresError, postgres_bindir

__all__ = ["ClusterStartError", "TemporalCluster", "unavailable_reason"]

_TYPES: Final = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Text": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}


class ClusterStartError(RuntimeError):
    """The cluster did not come up; the message names the part and holds its log's tail."""


def unavailable_reason() -> str | None:
    """Why no cluster can be started here (no Go to build it, no PostgreSQL), or ``None``."""
    try:
        if not binaries_present():
            find_go()
        postgres_bindir()
    except (ClusterBuildError, PostgresError) as error:
        return str(error)
    return None


@dataclass
class TemporalCluster:
    """A running cluster (see :meth:`start`).

    Attributes:
        folder: configuration, PostgreSQL's data and every log.
        postgres: the persistence and visibility database server.
        ports: each service's loopback ports.
        namespace: the namespace it serves.
    """

    folder: Path
    binaries: ClusterBinaries
    postgres: Postgres
    ports: dict[str, ServicePorts]
    namespace: str = "default"
    _processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)
    _owns_folder: bool = field(default=False, repr=False)

    @property
    def address(self) -> str:
        """The frontend, ``host:port``, for Temporal clients."""
        return f"127.0.0.1:{self.ports['frontend'].grpc}"

    @property
    def metrics_urls(self) -> dict[str, str]:
        """Each service's Prometheus endpoint."""
        return {name: f"http://127.0.0.1:{p.metrics}/metrics" for name, p in self.ports.items()}

    def pid(self, service: str) -> int | None:
        """The pid of ``service``'s process while it runs."""
        process = self._processes.get(service)
        return None if process is None or process.poll() is not None else process.pid

    @classmethod
    def start(
        cls,
        *,
        search_attributes: Mapping[str, str] | None = None,
        namespace: str = "default",
        folder: Path | None = None,
        timeout: float = 120.0,
    ) -> TemporalCluster:
        """Build if needed, start PostgreSQL and the four services, and wait until ready.

        Args:
            search_attributes: custom search attributes to create, name → type
                (``Keyword``, ``Text``, ``Int``, ``Double``, ``Bool``, ``Datetime``,
                ``KeywordList``); Drift's own (:data:`drift_models.visibility.SEARCH_ATTRIBUTES`)
                when not given, since every run the API starts carries them.
            namespace: the namespace to create.
            folder: an empty folder to use (a temporary one by default, deleted on stop).
            timeout: seconds to wait for each step.

        Raises:
            ClusterStartError: when a part cannot be built or started.
        """
        attributes = (
            {attribute.name: attribute.type for attribute in SEARCH_ATTRIBUTES}
            if search_attributes is None
            else dict(search_attributes)
        )
        unknown = sorted(set(attributes.values()) - set(_TYPES))
        if unknown:
            msg = f"unknown search attribute types {unknown}; use one of {sorted(_TYPES)}"
            raise ClusterStartError(msg)
        try:
            binaries = ensure_binaries()
        except ClusterBuildError as error:
            raise ClusterStartError(str(error)) from None
        owns = folder is None
        root = Path(tempfile.mkdtemp(prefix="drift-temporal-")) if folder is None else folder
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)  # PostgreSQL's user must reach its folder inside
        _check_reachable_by_others(root)
        (root / "logs").mkdir(exist_ok=True)
        ports = {name: ServicePorts() for name in SERVICES}
        try:
            postgres = Postgres(root / "pg", free_port())
        except PostgresError as error:
            raise ClusterStartError(str(error)) from None
        cluster = cls(root, binaries, postgres, ports, namespace, _owns_folder=owns)
        atexit.register(cluster.stop)
        try:
            cluster._write_configs()
            postgres.init()
            postgres.start(timeout)
            cluster._load_schemas()
            cluster._start_services(timeout)
            asyncio.run(cluster._prepare(attributes, timeout))
        except (PostgresError, ClusterStartError) as error:
            cluster.stop()
            raise ClusterStartError(str(error)) from None
        except BaseException:
            cluster.stop()
            raise
        return cluster

    # ------------------------------------------------------------------ processes

    def start_service(self, service: str) -> None:
        """Start ``service``'s process (again), with the same ports and configuration."""
        config = self.folder / f"{service}.yaml"
        with (self.folder / "logs" / f"temporal-{service}.log").open("ab") as output:
            self._processes[service] = subprocess.Popen(  # noqa: S603 - the built server
                [
                    str(self.binaries.server),
                    *("--config-file", str(config), "--allow-no-auth"),
                    *("start", "--service", service),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only a prctl call
            )

    def stop_service(
        self, service: str, *, signum: int = signal.SIGTERM, grace: float = 15.0
    ) -> None:
        """Stop ``service`` by pid (``SIGKILL`` for a crash); SIGKILL after ``grace`` seconds."""
        process = self._processes.pop(service, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signum)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait(10)

    def restart_service(self, service: str, *, kill: bool = False) -> None:
        """Stop ``service`` (SIGKILL when ``kill``) and start it again; wait until it serves."""
        self.stop_service(service, signum=signal.SIGKILL if kill else signal.SIGTERM)
        self.start_service(service)
        self._wait_serving(service, 120.0)

    def restart_postgres(self, *, kill: bool = False) -> None:
        """Stop PostgreSQL (fast shutdown, or SIGKILL when ``kill``) and start it again."""
        self.postgres.stop(signum=signal.SIGKILL if kill else signal.SIGINT)
        self.postgres.start()

    def heal(self) -> None:
        """Start again whatever is down (PostgreSQL, any service); wait until it serves."""
        if self.postgres.pid is None:
            self.postgres.start()
        down = [service for service in SERVICES if self.pid(service) is None]
        for service in down:
            self.start_service(service)
        if down:
            self._wait_serving(down[-1], 120.0)

    def stop(self) -> None:
        """Stop every process by pid (frontend first, history last), then PostgreSQL."""
        atexit.unregister(self.stop)
        for service in ("frontend", "worker", "matching", "history"):
            self.stop_service(service)
        self.postgres.stop()
        if self._owns_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    # ------------------------------------------------------------------ start steps

    def _write_configs(self) -> None:
        dynamic = self.folder / "dynamicconfig.yaml"
        dynamic.write_text(render_dynamic_config())
        for service in SERVICES:
            text = render_config(self.ports, service, self.postgres.port, dynamic)
            (self.folder / f"{service}.yaml").write_text(text)

    def _load_schemas(self) -> None:
        self.postgres.query("CREATE USER temporal WITH PASSWORD 'temporal' CREATEDB")
        env = {
            **os.environ,
            "SQL_PLUGIN": "postgres12",
            "SQL_HOST": "127.0.0.1",
            "SQL_PORT": str(self.postgres.port),
            "SQL_USER": "temporal",
            "SQL_PASSWORD": "temporal",
        }
        log = self.folder / "logs" / "schema.log"
        with log.open("ab") as output:
            for database, schema in (
                ("temporal", "temporal"),
                ("temporal_visibility", "visibility"),
            ):
                versioned = self.binaries.schema / schema / "versioned"
                for step in (
                    ["create-database"],
                    ["setup-schema", "-v", "0.0"],
                    ["update-schema", "-d", str(versioned)],
                ):
                    done = subprocess.run(  # noqa: S603 - the built SQL tool
                        [str(self.binaries.sql), "--db", database, *step],
                        env=env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        check=False,
                        timeout=120,
                    )
                    if done.returncode != 0:
                        msg = f"temporal-sql-tool {step[0]} on {database} failed: {_tail(log)}"
                        raise ClusterStartError(msg)

    def _start_services(self, timeout: float) -> None:
        # On an empty database every process inserts the cluster_metadata_info row and the
        # losers exit; history starts alone, the others once the row is there.
        self.start_service("history")
        deadline = time.monotonic() + timeout
        while self._metadata_rows() < 1:
            self._check_alive()
            if time.monotonic() > deadline:
                msg = f"history never wrote the cluster metadata: {self._service_tail('history')}"
                raise ClusterStartError(msg)
            time.sleep(0.2)
        for service in SERVICES[1:]:
            self.start_service(service)
        self._wait_serving("frontend", timeout)

    def _metadata_rows(self) -> int:
        try:
            return int(
                self.postgres.query("select count(*) from cluster_metadata_info", "temporal")
            )
        except (PostgresError, ValueError):
            return 0

    def _check_alive(self) -> None:
        for service, process in self._processes.items():
            if process.poll() is not None:
                msg = (
                    f"the Temporal {service} service exited with code {process.returncode}: "
                    f"{self._service_tail(service)}"
                )
                raise ClusterStartError(msg)

    def _wait_serving(self, service: str, timeout: float) -> None:
        """Wait until ``service`` listens on its gRPC port and the frontend answers."""
        grpc = self.ports[service].grpc
        deadline = time.monotonic() + timeout
        while not _listens(grpc):
            self._check_alive()
            if time.monotonic() > deadline:
                msg = f"the {service} service did not listen on {grpc} within {timeout:.0f} s"
                raise ClusterStartError(msg + ": " + self._service_tail(service))
            time.sleep(0.1)

        async def serving() -> bool:
            try:
                client = await Client.connect(self.address, namespace=self.namespace)
                await client.workflow_service.get_system_info(
                    GetSystemInfoRequest(), timeout=timedelta(seconds=2)
                )
            except Exception:  # noqa: BLE001 - any failure means: not yet
                return False
            return True

        deadline = time.monotonic() + timeout
        while not asyncio.run(serving()):
            self._check_alive()
            if time.monotonic() > deadline:
                msg = f"the frontend did not serve within {timeout:.0f} s after {service} started"
                raise ClusterStartError(msg + ": " + self._service_tail("frontend"))
            time.sleep(0.2)

    async def _prepare(self, attributes: dict[str, str], seconds: float) -> None:
        client = await Client.connect(self.address)
        deadline = time.monotonic() + seconds
        await _retry(deadline, lambda: self._register_namespace(client))
        namespaced = await Client.connect(self.address, namespace=self.namespace)
        for name, kind in attributes.items():
            await _retry(deadline, functools.partial(self._add_attribute, client, name, kind))
        for name, kind in attributes.items():
            if kind == "Keyword":  # queries fail for ~1 s after a create: wait for one to answer
                await _retry(deadline, functools.partial(_list, namespaced, f"{name} = 'probe'"))
        probe = f"probe-{time.monotonic_ns()}"
        handle = await _retry(
            deadline,
            lambda: namespaced.start_workflow(
                "probe", id=probe, task_queue="probe", execution_timeout=timedelta(minutes=1)
            ),
        )
        await handle.terminate(reason="readiness probe")

    async def _register_namespace(self, client: Client) -> None:
        request = RegisterNamespaceRequest(namespace=self.namespace)
        request.workflow_execution_retention_period.FromTimedelta(timedelta(days=3))
        try:
            await client.workflow_service.register_namespace(request)
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise

    async def _add_attribute(self, client: Client, name: str, kind: str) -> None:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=self.namespace)
        )
        if name in listed.custom_attributes:
            return
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=self.namespace, search_attributes={name: _TYPES[kind]}
            )
        )

    def _service_tail(self, service: str) -> str:
        return _tail(self.folder / "logs" / f"temporal-{service}.log")


async def _list(client: Client, query: str) -> None:
    async for _ in client.list_workflows(query, limit=1):
        break


_T = TypeVar("_T")


async def _retry(deadline: float, attempt: Callable[[], Awaitable[_T]]) -> _T:
    """Await ``attempt()`` until it succeeds; its last error once ``deadline`` passed.

    Right after a namespace or a search attribute is created the frontend's caches do not
    know it yet (``Namespace default is not found``, ``invalid search attribute``).
    """
    while True:
        try:
            return await attempt()
        except RPCError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.25)


def _listens(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


def _check_reachable_by_others(folder: Path) -> None:
    """PostgreSQL runs as ``postgres`` when we are root: it must traverse every parent.

    Raises:
        ClusterStartError: naming the first parent it cannot enter.
    """
    if os.geteuid() != 0:
        return
    for parent in folder.resolve().parents:
        if not parent.stat().st_mode & 0o001:
            msg = (
                f"PostgreSQL runs as the postgres user and cannot enter {parent} (mode "
                f"{parent.stat().st_mode & 0o777:o}); choose a folder under /tmp or chmod o+x it"
            )
            raise ClusterStartError(msg)


def _tail(log: Path, size: int = 2000) -> str:
    try:
        return log.read_text(errors="replace")[-size:]
    except OSError:
        return "(no log)"


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Build the binaries (``--build``) or run a cluster until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--build", action="store_true", help="only build the binaries, then exit")
    parser.add_argument(
        "--search-attribute",
        action="append",
        default=[],
        metavar="NAME=TYPE",
        help="another custom search attribute besides Drift's (repeatable), e.g. Region=Keyword",
    )
    parser.add_argument("--namespace", default="default")
    args = parser.parse_args(argv)
    try:
        if args.build:
            binaries = ensure_binaries()
            print(f"Temporal server ready: {binaries.server}")  # noqa: T201
            return 0
        attributes = {attribute.name: attribute.type for attribute in SEARCH_ATTRIBUTES}
        attributes.update(item.partition("=")[::2] for item in args.search_attribute)
        cluster = TemporalCluster.start(search_attributes=attributes, namespace=args.namespace)
    except (ClusterBuildError, ClusterStartError) as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 1
    pids = ", ".join(f"{name} {cluster.pid(name)}" for name in SERVICES)
    print(  # noqa: T201
        f"Temporal cluster ready: {cluster.address} (namespace {cluster.namespace}); "
        f"PostgreSQL on 127.0.0.1:{cluster.postgres.port}; pids {pids}; "
        f"logs in {cluster.folder / 'logs'}; Ctrl-C stops it",
        flush=True,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
