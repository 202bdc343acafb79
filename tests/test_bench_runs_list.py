"""The run listing benchmark runs and prints its table (timings are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_runs_list_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "runs_list.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "list runs over 600 executions, 5 samples (ms: median / p95)"
    assert lines[1].split() == [
        "filter",
        "api",
        "page",
        "raw",
        "page",
        "api",
        "count",
        "raw",
        "count",
    ]
    assert [line[:20].strip() for line in lines[2:5]] == [
        "tenant only",
        "workflow+status",
        "3 statuses+client",
    ]
    assert lines[-1].startswith("populated 600 executions in ")
