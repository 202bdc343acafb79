"""bench/cluster.py runs and prints its tables (figures are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_cluster_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "cluster.py"), "--quick"],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("cluster: Temporal 1.32.2 (4 services, PostgreSQL)")
    names = [line.rsplit(maxsplit=1)[0].strip() for line in lines[2:6]]
    assert names == [
        "temporal persistence ops",
        "postgres rows written",
        "history events",
        "store ops (worker + API)",
    ]
    per_run = {
        name: float(line.rsplit(maxsplit=1)[1])
        for name, line in zip(names, lines[2:6], strict=True)
    }
    assert all(value > 0 for value in per_run.values()), per_run
    scaling = [line.split("runs/s")[0].rsplit(maxsplit=1)[0].strip() for line in lines[-3:]]
    assert scaling == ["1 worker, 1 API", "2 workers, 1 API", "2 workers, 2 APIs"]
    assert "ratio 1.00 " in lines[-3]
    for line in lines[-3:]:
        # p50, p95 and the slowest of the step's sync calls, in that order
        figures = line.split("sync calls")[1].split()
        assert figures[0::2][:3] == ["p50", "p95", "max"], line
        p50, p95, slowest = (float(figures[i]) for i in (1, 3, 5))
        assert 0 < p50 <= p95 <= slowest, line
