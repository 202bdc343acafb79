"""The API benchmark runs and prints its tables (timings are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "api.py"


def test_api_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = result.stdout.splitlines()[-6:]
    assert lines[0].split() == ["GET,", "requests/s", "req/s", "x", "base"]
    assert lines[1].startswith("baseline: bare Litestar handler")
    assert lines[2].startswith("cached definition GET (auth, tenancy)")
    assert lines[3].split()[-4:] == ["median", "p95", "x", "base"]
    assert lines[4].startswith("baseline: engine update-with-start")
    assert lines[5].startswith("POST /v3/workflow/start over HTTP")
    for line in (lines[1], lines[2], lines[4], lines[5]):
        numbers = [float(n) for n in line[44:].split()]
        assert all(n > 0 for n in numbers), line
    assert float(lines[1][44:].split()[-1]) == 1.0
