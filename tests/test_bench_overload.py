"""The overload benchmark runs at tiny scale and prints its table (timings never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "overload.py"


def test_overload_benchmark_runs_both_systems_and_prints_the_table() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "one client, 4 flows each, one at a time (median ms):"
    for line, label in zip(lines[1:3], ("start -> view", "resume -> end"), strict=True):
        words = line.split()
        assert line.startswith(f"  {label}: drift "), line
        drift, base = float(words[4].rstrip(",")), float(words[6].rstrip(","))
        assert drift > 0, line
        assert base > 0, line
        # the ratio is of the unrounded medians: within rounding of the printed ones
        assert words[7].endswith("x"), line
        slack = 0.006 + 0.05 * (1 + drift / base) / base
        assert abs(float(words[7][:-1]) - drift / base) < slack, line
    lines = lines[3:]
    assert lines[0].startswith("overload: Drift (drift-api + drift-worker) vs hand-written")
    assert lines[1].split()[:4] == ["clients", "system", "flows/s", "x"]
    rows = [line.split() for line in lines[2:6]]
    assert [(row[0], row[1]) for row in rows] == [
        ("2", "drift"), ("2", "baseline"), ("4", "drift"), ("4", "baseline"),
    ]  # fmt: skip
    for row in rows:
        goodput, answered, timeouts, rss = float(row[2]), int(row[8]), int(row[12]), float(row[14])
        assert goodput > 0, row
        assert answered > 0, row
        assert timeouts == 0, row
        assert rss > 0, row
    by_process = lines[6:10]
    prefixes = [
        f"CPU per flow and RSS by process, {clients} clients, {system}: {system}-worker "
        for clients in (2, 4)
        for system in ("drift", "baseline")
    ]
    assert [line[: len(p)] for line, p in zip(by_process, prefixes, strict=True)] == prefixes
    assert ["drift-api" in line for line in by_process] == [True, False, True, False]
    assert ["baseline-service" in line for line in by_process] == [False, True, False, True]
    assert lines[10].startswith("idle RSS drift: ")
    assert lines[11].startswith("idle RSS baseline: ")
    assert lines[12].startswith("goal 2 clients: goodput 1.00x drift at 2")
