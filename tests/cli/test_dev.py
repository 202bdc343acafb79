"""``drift dev`` as a user runs it: a subprocess on free ports, the refund example through
the CLI, Ctrl-C without orphans, a restart that keeps definitions and waiting runs, a dead
child noticed and restarted (then given up on), and callbacks signed with its secret."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from drift_worker.devserver import free_port, port_is_free
from tests.peers import CallbackReceiver

ROOT = Path(__file__).resolve().parents[2]


class Dev:
    """One ``drift dev`` process and the CLI pointed at it."""

    def __init__(self, data: Path, ports: dict[str, int], *extra: str) -> None:
        self.data = data
        self.ports = ports
        self.extra = list(extra)
        self.log = data.parent / f"dev-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "drift_cli.main", "dev", "--data-dir", str(self.data)]
        for flag, port in self.ports.items():
            args += [flag, str(port)]
        args += ["--examples", str(ROOT / "examples"), *self.extra]
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            text = self.log.read_text()
            if "Press Ctrl-C to stop." in text:
                return
            assert self.process.poll() is None, text
            time.sleep(0.2)
        raise AssertionError(f"drift dev did not start: {self.log.read_text()}")

    def banner(self) -> str:
        return self.log.read_text()

    def wait_for_output(self, text: str, seconds: float = 120) -> str:
        """The output once ``text`` appeared in it (whether or not drift dev still runs)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            output = self.log.read_text()
            if text in output:
                return output
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared in:\n{self.log.read_text()}")

    def child_pid(self, module: str) -> int:
        """The pid of this drift dev's child running ``python -m module``."""
        store = f"DRIFT_STORE_URL=sqlite:///{self.data.resolve()}/drift.db".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if module.encode() in command and store in environ:
                found.append(int(entry.name))
        assert len(found) == 1, f"{module}: {found}"
        return found[0]

    def child_environ(self, module: str) -> dict[str, str]:
        raw = Path(f"/proc/{self.child_pid(module)}/environ").read_bytes().split(b"\0")
        pairs = (item.decode().partition("=") for item in raw if item)
        return {key: value for key, _, value in pairs}

    def interrupt(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "DRIFT_API_URL": f"http://127.0.0.1:{self.ports['--api-port']}",
            "DRIFT_API_KEY": "drift-dev-key",
            "DRIFT_TENANT": "demo",
        }
        return subprocess.run(
            [sys.executable, "-m", "drift_cli.main", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
            timeout=120,
        )


def _processes_mentioning(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        # (Not "pytest" in the command: every tmp_path holds "pytest-of-…".)
        if marker in command and int(entry.name) != os.getpid():
            found.append(f"{entry.name}: {command}")
    return found


@contextmanager
def running(dev: Dev) -> Iterator[Dev]:
    dev.start()
    try:
        yield dev
    finally:
        if dev.process is not None and dev.process.poll() is None:
            dev.process.kill()
            dev.process.wait(30)


def _free_ports() -> dict[str, int]:
    return {
        flag: free_port()
        for flag in (
            "--api-port",
            "--api-admin-port",
            "--temporal-port",
            "--ui-port",
            "--worker-admin-port",
            "--demo-port",
        )
    }


def _console_shows(api: str, run_id: str, status: str) -> None:
    """The console of drift dev signs the dev key in and shows the run."""
    with httpx.Client(base_url=api, timeout=30) as browser:
        form = browser.get("/console/sign-in")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None, form.text
        fields = {"csrf": token.group(1), "key": "drift-dev-key", "tenant": "demo"}
        assert browser.post("/console/sign-in", data=fields).status_code == 303
        page = browser.get(f"/console/runs/{run_id}")
        assert page.status_code == 200, page.text
        assert status in page.text


def _runs_are_listed(dev: Dev) -> None:
    # drift dev's Temporal knows the search attributes: drift runs lists by them.
    found: dict[str, str] = {}
    for _ in range(100):
        listed = dev.cli("runs", "--status", "WAITING", "--status", "COMPLETED", "--json")
        assert listed.returncode == 0, listed.stderr
        found = {i["workflowId"]: i["workflowStatus"] for i in json.loads(listed.stdout)["items"]}
        if found == {"tour-1": "COMPLETED", "tour-2": "WAITING"}:
            break
        time.sleep(0.1)
    assert found == {"tour-1": "COMPLETED", "tour-2": "WAITING"}
    waiting_at = dev.cli("runs", "--workflow", "refund", "--node", "confirmRefund")
    assert waiting_at.returncode == 0, waiting_at.stderr
    assert waiting_at.stdout.splitlines()[0].startswith("tour-2  refund v")
    assert waiting_at.stdout.splitlines()[-1] == "1 of 1 runs"
    wrong = dev.cli("runs", "--status", "DONE")
    assert wrong.returncode == 1
    assert "status" in wrong.stderr


def test_drift_dev_runs_the_refund_through_the_cli_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ports = _free_ports()
    dev = Dev(data, ports)
    with running(dev):
        banner = dev.banner()
        assert f"API docs:     http://127.0.0.1:{ports['--api-port']}/schema/swagger" in banner
        assert f"Temporal UI:  http://127.0.0.1:{ports['--ui-port']}" in banner
        assert "examples:     34 written, 34 published, 6 activated, 0 unchanged" in banner
        assert "curl -s -X POST" in banner
        api = f"http://127.0.0.1:{ports['--api-port']}"
        assert f"Console:      {api}/console/sign-in#key=drift-dev-key&tenant=demo" in banner

        applied = dev.cli("apply", "examples", "--activate")
        assert applied.returncode == 0, applied.stderr
        assert applied.stdout.strip() == "nothing to change"

        started = dev.cli(
            "start",
            "refund",
            "--param",
            "orderId=A-100",
            "--param",
            "reason=damaged",
            "--run-id",
            "tour-1",
        )
        assert started.returncode == 0, started.stderr
        assert started.stdout.splitlines()[0] == "run tour-1: WAITING at confirmRefund"
        assert "decision — Refund 80.0 EUR for order A-100? [approve, decline]" in started.stdout

        refused = dev.cli("resume", "tour-1", "--answer", "decision=maybe")
        assert refused.returncode == 1
        assert "'maybe' is not a choice" in refused.stderr

        resumed = dev.cli("resume", "tour-1", stdin="approve\nthanks\n")
        assert resumed.returncode == 0, resumed.stderr
        assert "run tour-1: COMPLETED at refunded" in resumed.stdout
        assert "disposition: REFUNDED" in resumed.stdout
        _console_shows(api, "tour-1", "COMPLETED")

        logs = dev.cli("logs", "tour-1")
        assert logs.returncode == 0, logs.stderr
        assert "STEP       lookupOrder, computeRefund, routeRefund, confirmRefund" in logs.stdout

        waiting = dev.cli(
            "start",
            "refund",
            "--param",
            "orderId=A-300",
            "--param",
            "reason=late",
            "--run-id",
            "tour-2",
            "--json",
        )
        assert waiting.returncode == 0, waiting.stderr
        assert json.loads(waiting.stdout)["workflowStatus"] == "WAITING"

        _runs_are_listed(dev)

        assert dev.interrupt() == 0
        assert "stopping" in dev.banner()
    assert _processes_mentioning(str(data)) == []
    assert all(port_is_free(port) for port in ports.values())

    secret = (data / "callback-secret").read_text()
    again = Dev(data, ports)
    with running(again):
        assert "examples:     0 written, 0 published, 0 activated, 34 unchanged" in again.banner()
        assert (data / "callback-secret").read_text() == secret  # kept across restarts
        status = again.cli("status", "tour-2")
        assert status.returncode == 0, status.stderr
        assert status.stdout.splitlines()[0] == "run tour-2: WAITING at confirmRefund"
        resumed = again.cli("resume", "tour-2", "--answer", "decision=decline")
        assert resumed.returncode == 0, resumed.stderr
        assert "disposition: DECLINED" in resumed.stdout
        assert again.interrupt() == 0
    assert _processes_mentioning(str(data)) == []


def test_a_taken_port_is_named(tmp_path: Path) -> None:
    import socket  # noqa: PLC0415 - only this test holds a port

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "drift_cli.main",
                "dev",
                "--data-dir",
                str(tmp_path),
                "--api-port",
                str(taken),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"ports already in use: --api-port {taken}" in result.stderr


def test_a_killed_worker_is_reported_and_restarted_and_then_given_up_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ports = _free_ports()
    dev = Dev(data, ports, "--max-restarts", "1")
    with running(dev):
        first = dev.child_pid("drift_worker.main")
        os.kill(first, signal.SIGKILL)
        output = dev.wait_for_output("the worker is running again")
        log = data.resolve() / "logs" / "worker.log"
        assert f"drift dev: the worker (pid {first}) was killed by SIGKILL" in output
        assert f"last lines of {log}:" in output
        assert "drift-worker" in output.split(f"last lines of {log}:", 1)[1]  # the tail itself
        assert "drift dev: restarting the worker (restart 1 of 1 within 5 minutes)" in output
        second = dev.child_pid("drift_worker.main")
        assert second != first
        assert f"the worker is running again (pid {second})" in output

        started = dev.cli("start", "refund", "--param", "orderId=A-100", "--param", "reason=x")
        assert started.returncode == 0, started.stderr  # the new worker runs it
        assert "WAITING at confirmRefund" in started.stdout

        os.kill(second, signal.SIGKILL)
        assert dev.process is not None
        assert dev.process.wait(60) == 1
        output = dev.banner()
        assert f"drift dev: the worker (pid {second}) was killed by SIGKILL" in output
        assert "the worker died again after 1 restart within 5 minutes; giving up" in output
        assert "stopping: API, worker, demo back ends, Temporal" in output
    assert _processes_mentioning(str(data)) == []
    assert all(port_is_free(port) for port in ports.values())


def test_a_killed_api_is_restarted(tmp_path: Path) -> None:
    dev = Dev(tmp_path / "data", _free_ports())
    with running(dev):
        first = dev.child_pid("drift_api.main")
        os.kill(first, signal.SIGKILL)
        output = dev.wait_for_output("the API is running again")
        assert f"drift dev: the API (pid {first}) was killed by SIGKILL" in output
        assert "restarting the API (restart 1 of 3 within 5 minutes)" in output
        listed = dev.cli("status", "no-such-run")
        assert listed.returncode == 1, listed.stderr  # 3 would mean the API is unreachable
        assert "no-such-run" in listed.stderr
        assert dev.interrupt() == 0


async def test_callbacks_are_signed_with_the_data_folders_secret(
    tmp_path: Path, receiver: CallbackReceiver
) -> None:
    data = tmp_path / "data"
    ports = _free_ports()
    dev = Dev(data, ports, "--verbose")
    await asyncio.to_thread(dev.start)
    try:
        secret_file = data.resolve() / "callback-secret"
        assert secret_file.stat().st_mode & 0o777 == 0o600
        secret = secret_file.read_text().strip()
        assert len(secret) == 64
        assert f"callbacks:    signed (X-Drift-Signature) with the secret in {secret_file}" in (
            dev.banner()
        )
        assert "processes: Temporal " in dev.banner()
        assert dev.child_environ("drift_worker.main")["DRIFT_CALLBACK_SECRET"] == secret

        receiver.secret = secret
        async with httpx.AsyncClient(timeout=60) as http:
            answer = await http.post(
                f"http://127.0.0.1:{ports['--api-port']}/v3/workflow/start",
                headers={
                    "X-Tenant-Id": "demo",
                    "X-Client-Id": "test",
                    "Authorization": "Bearer drift-dev-key",
                },
                json={
                    "workflowDefinitionId": "refund",
                    "workflowId": "signed-1",
                    "params": {"orderId": "A-100", "reason": "damaged"},
                    "callbackUrl": receiver.url,
                },
            )
        assert answer.status_code == 202, answer.text  # a callback URL makes it async
        await receiver.wait_for("signed-1", "WAITING", seconds=60)
        assert receiver.rejected == []  # the signature checked out with the file's secret
    finally:
        if dev.process is not None and dev.process.poll() is None:
            dev.process.send_signal(signal.SIGINT)
            await asyncio.to_thread(dev.process.wait, 60)


def test_drift_dev_exits_1_when_temporal_dies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    dev = Dev(data, _free_ports())
    with running(dev):
        database = f"{data.resolve()}/temporal.db"
        servers = [line for line in _processes_mentioning(database) if "start-dev" in line]
        assert len(servers) == 1, servers
        os.kill(int(servers[0].split(":", 1)[0]), signal.SIGKILL)
        assert dev.process is not None
        assert dev.process.wait(60) == 1
        output = dev.banner()
        assert "drift dev: Temporal was killed by SIGKILL; last lines of" in output
        assert "drift dev cannot go on without it and stops (exit code 1)." in output
    assert _processes_mentioning(str(data)) == []
