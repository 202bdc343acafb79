"""The API process does not load aiohttp (about 8 MB of RSS it never uses): it sends no HTTP."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
import drift_api.main
from drift_api.app import create_app
from drift_nodes import NodeResources, OutboundGuard, discover_nodes
NodeResources()  # the scenario gate's resources: the session is made on first use only
discover_nodes()  # the registry imports the HTTP node, which must not pull aiohttp in
print(sorted(name for name in sys.modules if name == "aiohttp" or name.startswith("aiohttp.")))
"""


def test_the_api_command_loads_no_http_client() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


async def test_the_resolver_is_still_reachable_from_the_guard_module() -> None:
    from drift_nodes import guard  # noqa: PLC0415 - the probe above must not see it

    resolver = guard.GuardedResolver(guard.OutboundGuard())
    try:
        assert type(resolver).__module__ == "drift_nodes._guarded_resolver"
    finally:
        await resolver.close()
