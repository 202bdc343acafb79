"""Fixtures of the fault drills: one platform of real processes for the whole tier.

The servers start once (HBase alone takes most of a minute) and every drill heals
what the previous one left down before it begins. At the end every process is stopped
by pid, whatever happened; the table of every drill's counts is printed in the summary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drift_store.testing import hbase_server, redis_server
from drift_store.testing._processes import in_ci
from tests.faults.accounting import table
from tests.faults.drill import SHEETS
from tests.faults.platform import Platform


def _require_servers() -> None:
    reasons = [
        r for r in (hbase_server.unavailable_reason(), redis_server.unavailable_reason()) if r
    ]
    if reasons:
        message = "; ".join(reasons)
        if in_ci():
            pytest.fail(f"CI must run the fault drills, but: {message}")
        pytest.skip(message)


@pytest.fixture(scope="session")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    """Temporal, HBase, Redis, the demo back ends, two workers and two APIs."""
    _require_servers()
    running = Platform(root=Path(tmp_path_factory.mktemp("faults")))
    try:
        await running.start()
        yield running
    finally:
        running.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print every drill's counts as one table."""
    if not SHEETS:
        return
    terminalreporter.section("fault drills")
    terminalreporter.write_line(table(SHEETS))
