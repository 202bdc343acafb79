"""The drift-nodes benchmark runs and prints its table (timings are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_nodes_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "nodes.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("drift-nodes overhead: median of 2 rounds")
    labels = [line[:52].strip() for line in lines[2:]]
    assert labels == [
        "starlark.eval in-process, transform (baseline)",
        "engine.evaluate, transform (sandbox)",
        "SCRIPT node, transform (sandbox)",
        "starlark.eval in-process, rule (baseline)",
        "engine.evaluate, rule (bounded: in-process)",
        "BRANCH node, one rule (in-process)",
        "BRANCH node, one rule with a statement (sandbox)",
        "Python f-string lookup (baseline)",
        "template, two placeholders",
        "PROCESSOR node, three mappings",
        "bare aiohttp GET + JSON, local server (baseline)",
        "HTTP node, same server",
    ]
    for line in lines[2:]:
        micros, ratio = line[52:].split()
        assert float(micros) > 0
        assert float(ratio) > 0
