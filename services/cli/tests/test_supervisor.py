"""drift dev's parts without processes: the restart budget, exit descriptions, log tails,
and the callback secret's file."""

from __future__ import annotations

import signal
from pathlib import Path

from drift_cli.dev import callback_secret
from drift_cli.supervisor import Child, RestartPolicy, Supervisor, describe_exit, log_tail


def test_restarts_are_counted_in_a_sliding_window() -> None:
    supervisor = Supervisor(RestartPolicy(max_restarts=2, window_seconds=60))
    child = Child("worker", [], {}, Path("worker.log"), "http://127.0.0.1:1/readyz")
    assert supervisor.may_restart(child, now=0)
    assert supervisor.may_restart(child, now=10)
    assert not supervisor.may_restart(child, now=20)  # a third within the minute
    assert supervisor.may_restart(child, now=61)  # the first has left the window
    assert not Supervisor(RestartPolicy(max_restarts=0)).may_restart(child, now=0)


def test_exits_are_described_by_code_or_signal() -> None:
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-signal.SIGKILL) == "was killed by SIGKILL"
    assert describe_exit(-200) == "was killed by signal 200"


def test_the_log_tail_is_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    log.write_text("".join(f"line {number}\n" for number in range(100)))
    assert log_tail(log, lines=2) == "    line 98\n    line 99"
    (tmp_path / "empty.log").write_text("")
    assert log_tail(tmp_path / "empty.log") == "    (its log is empty)"
    assert "cannot be read" in log_tail(tmp_path / "missing.log")


def test_the_callback_secret_is_made_once_private_and_kept(tmp_path: Path) -> None:
    secret, path = callback_secret(tmp_path)
    assert path == tmp_path / "callback-secret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(secret) == 64
    path.chmod(0o644)
    assert callback_secret(tmp_path) == (secret, path)
    assert path.stat().st_mode & 0o777 == 0o600  # set back: it is a key
    path.write_text("\n")
    fresh, _ = callback_secret(tmp_path)
    assert len(fresh) == 64
    assert fresh != secret
    assert path.read_text().strip() == fresh
