"""``drift dev`` as a user runs it: a subprocess on free ports, the refund example through
the CLI, Ctrl-C without orphans, and a restart that keeps definitions and waiting runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from drift_worker.devserver import free_port, port_is_free

ROOT = Path(__file__).resolve().parents[2]


class Dev:
    """One ``drift dev`` process and the CLI pointed at it."""

    def __init__(self, data: Path, ports: dict[str, int]) -> None:
        self.data = data
        self.ports = ports
        self.log = data.parent / f"dev-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "drift_cli.main", "dev", "--data-dir", str(self.data)]
        for flag, port in self.ports.items():
            args += [flag, str(port)]
        args += ["--examples", str(ROOT / "examples")]
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
        if marker in command and "pytest" not in command:
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


def test_drift_dev_runs_the_refund_through_the_cli_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ports = {
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
    dev = Dev(data, ports)
    with running(dev):
        banner = dev.banner()
        assert f"API docs:     http://127.0.0.1:{ports['--api-port']}/schema/swagger" in banner
        assert f"Temporal UI:  http://127.0.0.1:{ports['--ui-port']}" in banner
        assert "examples:     27 written, 27 published, 4 activated, 0 unchanged" in banner
        assert "curl -s -X POST" in banner

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

        assert dev.interrupt() == 0
        assert "stopping" in dev.banner()
    assert _processes_mentioning(str(data)) == []
    assert all(port_is_free(port) for port in ports.values())

    again = Dev(data, ports)
    with running(again):
        assert "examples:     0 written, 0 published, 0 activated, 27 unchanged" in again.banner()
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
