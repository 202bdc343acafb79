"""The console benchmark runs and prints its table (timings are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
PAGES = [
    "runs list",
    "filtered list",
    "inbox",
    "run page",
    "run graph (svg)",
    "definitions",
    "definition page",
]


def test_console_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "console.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "console pages over 600 executions (30 real runs), 5 samples (ms: p50 / p95)"
    )
    assert lines[1].split() == ["page", "console", "p50", "p95", "REST", "p50", "p95", "x", "REST"]
    rows = lines[2 : 2 + len(PAGES)]
    assert [row[:18].strip() for row in rows] == PAGES
    for row in rows:
        numbers = [float(n) for n in row[18:].split()]
        assert len(numbers) == 5, row
        assert all(n > 0 for n in numbers), row
    assert lines[-1].startswith("seeded 600 executions in ")
