"""The engine benchmark runs and prints its table (timings are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_engine_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "engine.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "engine vs hand-written Temporal: 4 sequential runs, 4 in flight"
    assert [line.split()[0] for line in lines[2:8:3]] == ["5-node", "refund"]
    assert [line.split()[0] for line in lines[4:8:3]] == ["ratio", "ratio"]
    assert lines[-2].startswith("goal 5-node pure: latency <= 1.3x ")
    assert lines[-1].startswith("goal refund (start+resume): latency <= 1.3x ")
