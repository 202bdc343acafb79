"""The timeline benchmark runs both systems and prints a segment table for each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "timeline.py"


def test_timeline_prints_each_system_s_segments() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--flows", "2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = result.stdout.splitlines()
    heads = [index for index, line in enumerate(lines) if not line.startswith("  ")]
    assert [lines[i].split(":")[0] for i in heads] == ["drift", "baseline"]
    for start, end in zip(heads, [*heads[1:], len(lines)], strict=True):
        # warm-up and timed flows: every run of the system is read from Temporal
        assert lines[start].startswith(f"{lines[start].split(':')[0]}: 5 runs"), lines[start]
        rows = lines[start + 1 : end]
        assert rows[-1].split()[:4] == ["sum", "of", "the", "medians"]
        segments = rows[:-1]
        assert segments[0].split()[:3] == [
            "WORKFLOW_EXECUTION_STARTED",
            "->",
            "WORKFLOW_TASK_SCHEDULED",
        ]
        assert segments[-1].split()[2] == "WORKFLOW_EXECUTION_COMPLETED"
        milliseconds = [float(row.split()[-1]) for row in segments]
        assert all(ms >= 0 for ms in milliseconds)
        sizes = [int(row.split()[-2]) for row in segments]
        assert all(size > 0 for size in sizes)
        # the whole history holds its first event too, which no segment ends at
        assert int(rows[-1].split()[-2]) > sum(sizes)
        assert abs(sum(milliseconds) - float(rows[-1].split()[-1])) < 0.01 * len(segments) + 0.01
    drift_segments = lines[heads[0] + 1 : heads[1] - 1]
    # Drift's runs carry its search attributes (the runs search); the baseline's none.
    assert any("UPSERT_WORKFLOW_SEARCH_ATTRIBUTES" in row for row in drift_segments)
    assert not any("UPSERT" in row for row in lines[heads[1] :])
