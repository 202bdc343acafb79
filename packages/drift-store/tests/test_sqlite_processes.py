"""The embedded store shared by processes: unique numbers, no lost context writes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

from drift_store import DefinitionKind, open_store
from drift_store.testing import context, script_node

_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from drift_store import DefinitionKind, RevisionConflict, open_store

    async def main(url: str, writer: str) -> None:
        async with open_store(url) as store:
            numbers = await asyncio.gather(*(
                store.definitions.publish("acme", DefinitionKind.NODE, "compute")
                for _ in range(10)
            ))
            print(" ".join(str(n.version) for n in numbers))
            for _ in range(10):
                while True:
                    current = await store.contexts.require("acme", "shared")
                    document = current.context
                    document.set_output("count", (document.output("count") or 0) + 1)
                    try:
                        await store.contexts.update(
                            "acme", "shared", expected_revision=current.revision,
                            context=document,
                        )
                        break
                    except RevisionConflict:
                        continue

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_two_processes_publish_distinct_numbers_and_lose_no_update(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/drift.db"
    async with open_store(url) as store:
        await store.definitions.create("acme", script_node())
        await store.contexts.create("acme", "shared", context())
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _WORKER, url, str(i), stdout=subprocess.PIPE
        )
        for i in range(2)
    ]
    outputs = [(await asyncio.wait_for(p.communicate(), 120))[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0]
    numbers = sorted(int(n) for out in outputs for n in out.split())
    assert numbers == list(range(1, 21))
    async with open_store(url) as store:
        pointers = await store.definitions.pointers("acme", DefinitionKind.NODE, "compute")
        assert pointers.latest == 20
        shared = await store.contexts.require("acme", "shared")
        assert shared.context.output("count") == 20
        assert shared.revision == 21
