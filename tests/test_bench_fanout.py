"""The fan-out benchmark runs and prints its table (timings are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_fanout_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "fanout.py"), "--runs", "1", "--delay-ms", "10"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["scenario", "drift", "ms", "hand", "ms", "ratio", "ev/item"]
    assert [line.split()[0] for line in lines[1:]] == ["3-branch", "100-item"]
    for line in lines[1:]:
        drift_events, hand_events = line.split()[-3], line.split()[-1]
        assert float(drift_events) > 0
        assert float(hand_events) > 0
