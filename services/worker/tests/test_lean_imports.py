"""A worker without Redis does not load redis-py (about 18 MB of RSS it would never use)."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
import drift_worker.main
from drift_worker.events import RunEvents
print(sorted(name for name in sys.modules if name == "redis" or name.startswith("redis.")))
"""


def test_the_worker_command_loads_no_redis_client_until_one_is_configured() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


async def test_run_events_still_swallow_a_redis_failure() -> None:
    from redis.asyncio import Redis  # noqa: PLC0415 - the probe above must not see it

    from drift_models import RunStatus  # noqa: PLC0415
    from drift_worker.events import RunEvents  # noqa: PLC0415

    # Nothing listens on port 1: the publish fails with a connection error, logged only.
    redis = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        await RunEvents(redis).progress("t", "r", ["a"], None, RunStatus.RUNNING)
    finally:
        await redis.aclose()
