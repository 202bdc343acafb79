"""``drift dev``: the whole platform on one machine, with nothing else installed.

It starts a Temporal dev server (its database under the data folder) — or, given
``--temporal-address HOST:PORT``, uses that Temporal (a cluster of your own) and starts
none — the demo back ends
of the examples, a worker and the API (each a child process with its log under
``<data>/logs``), loads ``examples/`` into the embedded store, and prints where
everything is. Ctrl-C stops every child by its process group; definitions, runs and
Temporal's history survive in the data folder for the next start.

It watches what it started: a worker or API that dies is reported with the tail of its
log and restarted (at most ``max_restarts`` times in five minutes; then ``drift dev``
stops everything and exits 1). If Temporal dies, ``drift dev`` reports it and exits 1.
Callbacks are signed with a secret kept in ``<data>/callback-secret`` (mode 0600),
made on the first start and kept for the next ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO

import aiohttp

from drift_api.scenario_gate import ScenarioGate
from drift_cli.commands import checked_scenario_documents
from drift_cli.demo import DemoServices
from drift_cli.existing_temporal import (
    DevError,
    ExistingTemporal,
    check_reachable,
    existing_temporal,
)
from drift_cli.supervisor import Child, RestartPolicy, Supervisor, describe_exit, log_tail
from drift_models import load_definitions
from drift_models.apply import ApplyRefusedError, apply_definitions, in_apply_order
from drift_nodes import NodeResources, NodeSettings, check_script, discover_nodes
from drift_store import open_store
from drift_store.apply_target import StoreApplyTarget
from drift_worker.devserver import DevServer, DevServerError, port_is_free

__all__ = ["DevError", "DevOptions", "run_dev"]

DEV_KEY: Final = "drift-dev-key"
"""The API key ``drift dev`` accepts (a local development key, printed at start)."""

DEV_FILE: Final = "dev.json"
"""Where ``drift dev`` tells the CLI how to reach it (inside the data folder)."""

SECRET_FILE: Final = "callback-secret"  # noqa: S105 - a file name, not a secret
"""The HMAC key of callback signatures (inside the data folder, mode 0600)."""

EXIT_CHILD_DIED: Final = 1
"""``drift dev``'s exit code when a part died for good (restarts spent, or Temporal)."""

_WATCH_SECONDS: Final = 0.5
_PRIVATE: Final = 0o600


@dataclass
class DevOptions:
    """Ports and folders of ``drift dev``.

    Attributes:
        data_dir: where the store, Temporal's database and the logs live.
        examples: the folder of definitions to load (``None``: load nothing).
        tenant: the tenant the examples are loaded for.
        api_port: the REST API.
        api_admin_port: the API's probes.
        temporal_port: Temporal's frontend.
        ui_port: the Temporal web UI.
        worker_admin_port: the worker's probes.
        demo_port: the examples' demo back ends.
        max_restarts: how often a dead worker or API is restarted within five minutes
            before ``drift dev`` gives up and exits 1.
        temporal_address: an existing Temporal frontend (``host:port``) to run on; no
            dev server is started then (``temporal_port`` and ``ui_port`` are unused).
        temporal_namespace: the namespace on it (it must exist).
        verbose: print more (where the callback secret is, every child's pid).
    """

    data_dir: Path = Path(".drift")
    examples: Path | None = Path("examples")
    tenant: str = "demo"
    api_port: int = 8000
    api_admin_port: int = 8001
    temporal_port: int = 7233
    ui_port: int = 8233
    worker_admin_port: int = 7201
    demo_port: int = 18080
    max_restarts: int = 3
    verbose: bool = False
    temporal_address: str | None = None
    temporal_namespace: str = "default"

    def ports(self) -> dict[str, int]:
        """Every port ``drift dev`` listens on, by what it is for."""
        if self.temporal_address is not None:
            own = self.all_ports()
            return {f: p for f, p in own.items() if f not in {"--temporal-port", "--ui-port"}}
        return self.all_ports()

    def all_ports(self) -> dict[str, int]:
        """Every port option, by what it is for."""
        return {
            "--api-port": self.api_port,
            "--api-admin-port": self.api_admin_port,
            "--temporal-port": self.temporal_port,
            "--ui-port": self.ui_port,
            "--worker-admin-port": self.worker_admin_port,
            "--demo-port": self.demo_port,
        }


def callback_secret(data: Path) -> tuple[str, Path]:
    """The callback secret of this data folder and its file, made (mode 0600) if missing.

    A file another mode was given is set back to 0600: the secret is a key.
    """
    path = data / SECRET_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE)
    except FileExistsError:
        if path.stat().st_mode & 0o777 != _PRIVATE:
            path.chmod(_PRIVATE)
        secret = path.read_text().strip()
        if secret:
            return secret, path
        descriptor = os.open(path, os.O_WRONLY | os.O_TRUNC)
    secret = secrets.token_hex(32)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
    return secret, path


def run_dev(options: DevOptions, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run the platform until SIGINT or SIGTERM; return the exit code.

    ``0`` after a stop asked for, ``1`` when a part died for good (the report is on
    ``err``).

    Raises:
        DevError: when a port is taken or a part does not start.
    """
    taken = [f"{flag} {port}" for flag, port in options.ports().items() if not port_is_free(port)]
    if taken:
        msg = f"ports already in use: {', '.join(taken)}; stop what uses them or pass other ports"
        raise DevError(msg)
    data = options.data_dir.resolve()
    logs = data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    if options.temporal_address is not None:
        temporal = existing_temporal(options.temporal_address, options.temporal_namespace)
        return asyncio.run(_serve(options, temporal, data, _Output(out, err)))
    server = DevServer(
        port=options.temporal_port,
        ui_port=options.ui_port,
        database=data / "temporal.db",
        log_file=logs / "temporal.log",
    )
    try:
        server.start()
    except DevServerError as error:
        raise DevError(str(error)) from None
    try:
        return asyncio.run(_serve(options, server, data, _Output(out, err)))
    finally:
        server.stop()


@dataclass(frozen=True)
class _Output:
    out: TextIO
    err: TextIO

    def say(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def warn(self, text: str) -> None:
        self.err.write(text)
        self.err.flush()


async def _serve(
    options: DevOptions,
    server: DevServer | ExistingTemporal,
    data: Path,
    output: _Output,
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if isinstance(server, DevServer):
        await server.wait_ready()
    else:
        await check_reachable(server)
    store_url = f"sqlite:///{data / 'drift.db'}"
    loaded = await _load_examples(options, store_url)
    demo = DemoServices(port=options.demo_port)
    await demo.start()
    enum_file = data / "enum-store.yaml"
    enum_file.write_text(
        f'"*":\n  ordersServiceUrl: "{demo.url}"\n  accountsServiceUrl: "{demo.url}"\n'
    )
    own_secret = os.environ.get("DRIFT_CALLBACK_SECRET")
    secret, secret_file = (own_secret, None) if own_secret else callback_secret(data)
    env = {
        **os.environ,
        "DRIFT_TEMPORAL_ADDRESS": server.address,
        "DRIFT_TEMPORAL_NAMESPACE": options.temporal_namespace,
        "DRIFT_STORE_URL": store_url,
        "DRIFT_TASK_QUEUE": "drift",
        "DRIFT_HTTP_ALLOW_HOSTS": "127.0.0.1",
        "DRIFT_LOG_LEVEL": "INFO",
    }
    worker_env = {
        **env,
        "DRIFT_HOST": "127.0.0.1",
        "DRIFT_ADMIN_PORT": str(options.worker_admin_port),
        "DRIFT_METRICS_PORT": "0",
        "DRIFT_ENUM_STORE_FILE": str(enum_file),
        "DRIFT_SHUTDOWN_GRACE_SECONDS": "5",
        "DRIFT_CALLBACK_SECRET": secret,
    }
    api_env = {
        **env,
        "DRIFT_APP_PORT": str(options.api_port),
        "DRIFT_ADMIN_PORT": str(options.api_admin_port),
        "DRIFT_METRICS_PORT": "0",
        "DRIFT_BOOTSTRAP_API_KEY": DEV_KEY,
        "DRIFT_HOST": "127.0.0.1",
    }
    logs = data / "logs"
    python = sys.executable
    worker = Child(
        "worker",
        [python, "-m", "drift_worker.main"],
        worker_env,
        logs / "worker.log",
        f"http://127.0.0.1:{options.worker_admin_port}/readyz",
    )
    api_child = Child(
        "API",
        [python, "-m", "drift_api.main"],
        api_env,
        logs / "api.log",
        f"http://127.0.0.1:{options.api_admin_port}/readyz",
    )
    with _supervised(options) as supervisor:
        for child in (supervisor.start(worker), supervisor.start(api_child)):
            if not await _ready(child, supervisor, stop):
                dead = supervisor.dead()[0]
                msg = (
                    f"the {dead.name} {_ended(dead)} before it was ready; "
                    f"last lines of {dead.log}:\n{log_tail(dead.log)}"
                )
                raise DevError(msg)
        api = f"http://127.0.0.1:{options.api_port}"
        (data / DEV_FILE).write_text(
            json.dumps({"api": api, "apiKey": DEV_KEY, "tenant": options.tenant}, indent=2)
        )
        temporal = (
            f"Temporal UI:  http://127.0.0.1:{options.ui_port}"
            if isinstance(server, DevServer)
            else f"Temporal:     {server.address} "
            f"(yours, namespace {server.namespace}; no dev server started)"
        )
        _banner(output, options, api, loaded, secret_file, temporal=temporal)
        if options.verbose:
            pids = ", ".join(f"{c.name} {c.pid}" for c in supervisor.children)
            own = f"Temporal {server.pid}, " if isinstance(server, DevServer) else ""
            output.say(f"processes: {own}{pids}\n")
        code = await _watch(supervisor, server, stop, output)
        own = ", Temporal" if isinstance(server, DevServer) else ""
        output.say(f"\nstopping: API, worker, demo back ends{own}…\n")
    await demo.stop()
    return code


def _ended(child: Child) -> str:
    code = child.exit_code()
    return "ended" if code is None else describe_exit(code)


async def _watch(
    supervisor: Supervisor,
    server: DevServer | ExistingTemporal,
    stop: asyncio.Event,
    output: _Output,
) -> int:
    """Wait for a stop, restarting dead children within their budget; the exit code."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), _WATCH_SECONDS)
        if stop.is_set():
            break
        if isinstance(server, DevServer) and server.returncode is not None:
            output.warn(
                f"\ndrift dev: Temporal {describe_exit(server.returncode)}; "
                f"last lines of {server.log_file}:\n"
                f"{log_tail(server.log_file) if server.log_file else ''}\n"
                "drift dev cannot go on without it and stops (exit code 1).\n"
            )
            return EXIT_CHILD_DIED
        for child in supervisor.dead():
            if not await _revive(child, supervisor, stop, output):
                return EXIT_CHILD_DIED
    return 0


async def _revive(
    child: Child, supervisor: Supervisor, stop: asyncio.Event, output: _Output
) -> bool:
    """Report a dead child and restart it if its budget allows; whether it runs again."""
    policy = supervisor.policy
    output.warn(
        f"\ndrift dev: the {child.name} (pid {child.pid}) {_ended(child)}; "
        f"last lines of {child.log}:\n{log_tail(child.log)}\n"
    )
    if not supervisor.may_restart(child):
        minutes = f"{policy.window_seconds / 60:g} minutes"
        count = policy.max_restarts
        why = (
            "restarts are off (--max-restarts 0)"
            if count == 0
            else f"the {child.name} died again after {count} "
            f"restart{'s' if count > 1 else ''} within {minutes}"
        )
        output.warn(
            f"drift dev: {why}; giving up and stopping everything (exit code 1). "
            "Fix what its log says, then start drift dev again.\n"
        )
        return False
    output.warn(
        f"drift dev: restarting the {child.name} "
        f"(restart {len(child.restarts)} of {policy.max_restarts} within "
        f"{policy.window_seconds / 60:g} minutes)…\n"
    )
    child.start()
    if await _ready(child, supervisor, stop):
        output.warn(f"drift dev: the {child.name} is running again (pid {child.pid}).\n")
    return True


@contextlib.contextmanager
def _supervised(options: DevOptions) -> Iterator[Supervisor]:
    supervisor = Supervisor(RestartPolicy(max_restarts=options.max_restarts))
    try:
        yield supervisor
    finally:
        supervisor.stop_all()


async def _load_examples(options: DevOptions, store_url: str) -> str:
    if options.examples is None or not options.examples.is_dir():
        return "no examples loaded"
    registry = discover_nodes()
    files = load_definitions([options.examples], registry.node_types)
    if files.problems:
        first = files.problems[0]
        msg = f"the examples cannot be read: {first} ({len(files.problems)} problems)"
        raise DevError(msg)
    workflows = {workflow.id for _, workflow in files.workflows}
    scenarios, problems = checked_scenario_documents([options.examples], workflows)
    if problems:
        msg = f"the examples' scenarios cannot be read: {problems[0]} ({len(problems)} problems)"
        raise DevError(msg)
    async with (
        open_store(store_url, node_types=registry.node_types) as store,
        NodeResources(NodeSettings.from_env()) as resources,
    ):
        # Seeding publishes what the API would publish: the same checks, the same gate.
        gate = ScenarioGate(store.scenarios, registry, resources)
        target = StoreApplyTarget(
            store.definitions,
            options.tenant,
            check_script=check_script,
            scenarios=store.scenarios,
            check_scenarios=gate.problems,
        )
        try:
            report = await apply_definitions(target, in_apply_order(files), scenarios=scenarios)
        except ApplyRefusedError as refusal:
            msg = f"the examples cannot be published: {refusal.describe()}"
            raise DevError(msg) from None
    return report.summary()


async def _ready(
    child: Child, supervisor: Supervisor, stop: asyncio.Event, seconds: float = 90.0
) -> bool:
    """Wait until ``child`` answers its readiness URL (or a stop is asked for).

    ``False`` if a child died first.

    Raises:
        DevError: it neither became ready nor died within ``seconds``.
    """
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline and not stop.is_set():
            if supervisor.dead():
                return False
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                timeout_one = aiohttp.ClientTimeout(total=2)
                async with session.get(child.ready_url, timeout=timeout_one) as answer:
                    if answer.status == 200:  # noqa: PLR2004 - ready
                        return True
            await asyncio.sleep(0.2)
    if stop.is_set():
        return True
    msg = f"the {child.name} did not become ready within {seconds:.0f} s; see {child.log}"
    raise DevError(msg)


def _banner(
    output: _Output,
    options: DevOptions,
    api: str,
    loaded: str,
    secret_file: Path | None,
    *,
    temporal: str,
) -> None:
    signed = (
        f"the secret in {secret_file}"
        if secret_file
        else "DRIFT_CALLBACK_SECRET (your environment)"
    )
    start = (
        f"curl -s -X POST {api}/v3/workflow/start -H 'Content-Type: application/json' "
        f"-H 'X-Tenant-Id: {options.tenant}' -H 'X-Client-Id: quickstart' "
        f"-H 'Authorization: Bearer {DEV_KEY}' "
        '-d \'{"workflowDefinitionId": "refund", "params": {"orderId": "A-100", '
        '"reason": "damaged"}}\''
    )
    output.say(
        "Drift is running.\n"
        f"  API:          {api}   (key {DEV_KEY}, tenant {options.tenant})\n"
        f"  API docs:     {api}/schema/swagger\n"
        f"  Console:      {api}/console/sign-in#key={DEV_KEY}&tenant={options.tenant}\n"
        f"  {temporal}\n"
        f"  examples:     {loaded}\n"
        f"  data and logs: {options.data_dir.resolve()}\n"
        f"  callbacks:    signed (X-Drift-Signature) with {signed}\n"
        "Start a refund:\n"
        f"  {start}\n"
        "or: uv run drift start refund --param orderId=A-100 --param reason=damaged\n"
        "Press Ctrl-C to stop.\n"
    )
