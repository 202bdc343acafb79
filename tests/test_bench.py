"""The benchmark harness runs and prints its table (timings are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_models_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "models_decode.py"), "--quick", "--states", "60"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "workflow: 60 states, " + lines[0].split(", ")[1]
    labels = [line.split("  ")[0] for line in lines[2:5]]
    assert labels == [
        "msgspec.json.decode (untyped)",
        "decode_workflow (typed, strict)",
        "decode_workflow + validate_workflow",
    ]
    assert lines[5].startswith("goal: decode + validate under 5000 µs: ")
