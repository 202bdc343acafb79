"""``drift dev``: the whole platform on one machine, with nothing else installed.

It starts a Temporal dev server (its database under the data folder), the demo back ends
of the examples, a worker and the API (each a child process with its log under
``<data>/logs``), loads ``examples/`` into the embedded store, and prints where
everything is. Ctrl-C stops every child by its process group; definitions, runs and
Temporal's history survive in the data folder for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TextIO

import aiohttp

from drift_cli.demo import DemoServices
from drift_cli.seed import seed_definitions
from drift_models import load_definitions
from drift_nodes import discover_nodes
from drift_store import open_store
from drift_worker.devserver import DevServer, DevServerError, die_with_parent, port_is_free

__all__ = ["DevError", "DevOptions", "run_dev"]

DEV_KEY: Final = "drift-dev-key"
"""The API key ``drift dev`` accepts (a local development key, printed at start)."""

DEV_FILE: Final = "dev.json"
"""Where ``drift dev`` tells the CLI how to reach it (inside the data folder)."""


class DevError(RuntimeError):
    """``drift dev`` cannot start; the message says why and what to do."""


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
    _children: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)

    def ports(self) -> dict[str, int]:
        """Every port, by what it is for."""
        return {
            "--api-port": self.api_port,
            "--api-admin-port": self.api_admin_port,
            "--temporal-port": self.temporal_port,
            "--ui-port": self.ui_port,
            "--worker-admin-port": self.worker_admin_port,
            "--demo-port": self.demo_port,
        }


def run_dev(options: DevOptions, out: TextIO = sys.stdout) -> int:
    """Run the platform until SIGINT or SIGTERM; return the exit code.

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
        return asyncio.run(_serve(options, server, data, out))
    finally:
        server.stop()


async def _serve(options: DevOptions, server: DevServer, data: Path, out: TextIO) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await server.wait_ready()
    store_url = f"sqlite:///{data / 'drift.db'}"
    loaded = await _load_examples(options, store_url)
    demo = DemoServices(port=options.demo_port)
    await demo.start()
    enum_file = data / "enum-store.yaml"
    enum_file.write_text(
        f'"*":\n  ordersServiceUrl: "{demo.url}"\n  accountsServiceUrl: "{demo.url}"\n'
    )
    env = {
        **os.environ,
        "DRIFT_TEMPORAL_ADDRESS": server.address,
        "DRIFT_STORE_URL": store_url,
        "DRIFT_TASK_QUEUE": "drift",
        "DRIFT_HTTP_ALLOW_HOSTS": "127.0.0.1",
        "DRIFT_LOG_LEVEL": "INFO",
    }
    worker_env = {
        **env,
        "DRIFT_ADMIN_PORT": str(options.worker_admin_port),
        "DRIFT_METRICS_PORT": "0",
        "DRIFT_ENUM_STORE_FILE": str(enum_file),
        "DRIFT_SHUTDOWN_GRACE_SECONDS": "5",
    }
    api_env = {
        **env,
        "DRIFT_APP_PORT": str(options.api_port),
        "DRIFT_ADMIN_PORT": str(options.api_admin_port),
        "DRIFT_METRICS_PORT": "0",
        "DRIFT_BOOTSTRAP_API_KEY": DEV_KEY,
        "DRIFT_HOST": "127.0.0.1",
    }
    with _children(options) as spawn:
        spawn("worker", [sys.executable, "-m", "drift_worker.main"], worker_env, data / "logs")
        spawn("api", [sys.executable, "-m", "drift_api.main"], api_env, data / "logs")
        await _ready(f"http://127.0.0.1:{options.worker_admin_port}/readyz", "worker", options)
        await _ready(f"http://127.0.0.1:{options.api_admin_port}/readyz", "API", options)
        api = f"http://127.0.0.1:{options.api_port}"
        (data / DEV_FILE).write_text(
            json.dumps({"api": api, "apiKey": DEV_KEY, "tenant": options.tenant}, indent=2)
        )
        _banner(out, options, api, loaded)
        await stop.wait()
        out.write("\nstopping: API, worker, demo back ends, Temporal…\n")
        out.flush()
    await demo.stop()
    return 0


async def _load_examples(options: DevOptions, store_url: str) -> str:
    if options.examples is None or not options.examples.is_dir():
        return "no examples loaded"
    registry = discover_nodes()
    files = load_definitions([options.examples], registry.node_types)
    if files.problems:
        first = files.problems[0]
        msg = f"the examples cannot be read: {first} ({len(files.problems)} problems)"
        raise DevError(msg)
    async with open_store(store_url, node_types=registry.node_types) as store:
        report = await seed_definitions(store.definitions, options.tenant, files)
    return report.summary()


@contextlib.contextmanager
def _children(options: DevOptions) -> Iterator[_Spawn]:
    spawn = _Spawn(options)
    try:
        yield spawn
    finally:
        spawn.stop_all()


class _Spawn:
    """Starts child processes in their own process groups and stops them all."""

    def __init__(self, options: DevOptions) -> None:
        self._options = options
        self.children: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def __call__(self, name: str, command: list[str], env: dict[str, str], logs: Path) -> None:
        log = logs / f"{name}.log"
        with log.open("ab") as output:
            child = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                command,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only a prctl call
            )
        self.children.append((name, child, log))
        self._options._children.append(child)  # noqa: SLF001 - the options own the list

    def stop_all(self, grace_seconds: float = 15.0) -> None:
        for _, child, _ in reversed(self.children):
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for _, child, _ in reversed(self.children):
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait(5)


async def _ready(url: str, name: str, options: DevOptions, timeout: float = 90.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            for child in options._children:  # noqa: SLF001
                if child.poll() is not None:
                    logs = options.data_dir / "logs"
                    msg = f"a child process exited (code {child.returncode}); see {logs}"
                    raise DevError(msg)
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:  # noqa: PLR2004 - ready
                        return
            await asyncio.sleep(0.2)
    msg = f"the {name} did not become ready within {timeout:.0f} s; see {options.data_dir / 'logs'}"
    raise DevError(msg)


def _banner(out: TextIO, options: DevOptions, api: str, loaded: str) -> None:
    start = (
        f"curl -s -X POST {api}/v3/workflow/start -H 'Content-Type: application/json' "
        f"-H 'X-Tenant-Id: {options.tenant}' -H 'X-Client-Id: quickstart' "
        f"-H 'Authorization: Bearer {DEV_KEY}' "
        '-d \'{"workflowDefinitionId": "refund", "params": {"orderId": "A-100", '
        '"reason": "damaged"}}\''
    )
    out.write(
        "Drift is running.\n"
        f"  API:          {api}   (key {DEV_KEY}, tenant {options.tenant})\n"
        f"  API docs:     {api}/schema/swagger\n"
        f"  Temporal UI:  http://127.0.0.1:{options.ui_port}\n"
        f"  examples:     {loaded}\n"
        f"  data and logs: {options.data_dir.resolve()}\n"
        "Start a refund:\n"
        f"  {start}\n"
        "or: uv run drift start refund --param orderId=A-100 --param reason=damaged\n"
        "Press Ctrl-C to stop.\n"
    )
    out.flush()
