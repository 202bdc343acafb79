"""The store benchmark runs on both backends and prints its table (timings unasserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "store.py"


def test_store_benchmark_runs_on_sqlite_and_hbase(hbase_url: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--hbase-url", hbase_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "operation",
        "sqlite",
        "µs",
        "x",
        "base",
        "hbase",
        "µs",
        "x",
        "base",
    ]
    labels = [line[:34].strip() for line in lines[1:7]]
    assert labels == [
        "baseline: read a missing context",
        "get-definition, cached",
        "get-definition, uncached",
        "context write 10 KB",
        "context write 1 MB",
        "publish",
    ]
    for line in lines[1:7]:
        numbers = [float(n) for n in line[34:].split()]
        assert len(numbers) == 4
        assert all(n >= 0 for n in numbers)
    assert lines[1][34:].split()[1] == "1.0"
