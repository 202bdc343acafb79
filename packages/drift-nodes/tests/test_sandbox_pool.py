"""The sandbox pool starts processes as the load needs them and replaces the dead."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

from drift_nodes._sandbox_child import EvalRequest
from drift_nodes._sandbox_pool import SandboxPool

# About 0.5-1 s of work in a sandbox here: long enough for every caller to overlap.
SLOW = "def spin():\n    n = 0\n    for i in range(30000000):\n        n += 1\n    return n\nspin()"


def request(source: str) -> EvalRequest:
    return EvalRequest(
        sources=[source],
        scope={},
        stop_at_truthy=False,
        timeout=60.0,
        max_callstack=100,
        max_result_bytes=1 << 20,
    )


def new_pool(size: int) -> SandboxPool:
    return SandboxPool(size=size, memory_bytes=512 << 20, cache_size=8)


async def test_one_caller_at_a_time_never_starts_a_second_process() -> None:
    pool = new_pool(4)
    try:
        for number in range(20):
            reply = await pool.run(request(f"x = {number}\nx * 2"))
            assert reply.results == [number * 2]
        assert pool.started == 1
        assert len(pool.pids()) == 1
    finally:
        await pool.close()


async def test_short_overlapping_calls_queue_behind_the_one_process() -> None:
    # Calls of about a millisecond, eight at once: they wait less than the growth delay.
    pool = new_pool(4)
    try:
        for _ in range(5):
            replies = await asyncio.gather(*(pool.run(request(f"{n} + 1")) for n in range(8)))
            assert [r.results for r in replies] == [[n + 1] for n in range(8)]
        assert pool.started == 1
    finally:
        await pool.close()


async def test_concurrent_slow_callers_start_processes_up_to_the_size() -> None:
    pool = new_pool(3)
    try:
        async with asyncio.timeout(120):  # a hang guard, not a timing assert
            replies = await asyncio.gather(*(pool.run(request(SLOW)) for _ in range(5)))
        assert [r.results for r in replies] == [[30000000]] * 5
        assert pool.started == 3
        assert len(set(pool.pids())) == 3
        # The started processes are kept: a later burst starts nothing new.
        async with asyncio.timeout(120):
            await asyncio.gather(*(pool.run(request(SLOW)) for _ in range(3)))
        assert pool.started == 3
    finally:
        await pool.close()


async def test_a_dead_process_is_replaced_and_the_request_answered() -> None:
    pool = new_pool(2)
    try:
        assert (await pool.run(request("1"))).results == [1]
        (pid,) = pool.pids()
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        # The warm sandbox died while idle: the request goes to a fresh one.
        assert (await pool.run(request("2"))).results == [2]
        assert pool.started == 2
        assert len(pool.pids()) == 1
        assert pool.pids() != [pid]
    finally:
        await pool.close()


async def test_waiters_go_on_when_the_only_process_dies_under_them() -> None:
    # A warm process killed mid-call: that call is retried once on a fresh process,
    # and the callers queued behind it are served by that one.
    pool = new_pool(1)
    try:
        assert (await pool.run(request("0"))).results == [0]
        (pid,) = pool.pids()
        busy = asyncio.ensure_future(pool.run(request(SLOW)))
        waiting = [asyncio.ensure_future(pool.run(request(f"{n}"))) for n in range(3)]
        await asyncio.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        async with asyncio.timeout(60):
            outcomes = await asyncio.gather(busy, *waiting, return_exceptions=True)
        assert [getattr(o, "results", o) for o in outcomes] == [[30000000], [0], [1], [2]]
        assert pool.deaths == 1
        assert pool.started == 2
        assert len(pool.pids()) == 1
    finally:
        await pool.close()


async def test_a_cancelled_call_never_hands_its_answer_to_the_next() -> None:
    pool = new_pool(1)
    try:
        assert (await pool.run(request("0"))).results == [0]
        slow = asyncio.ensure_future(pool.run(request(SLOW)))
        await asyncio.sleep(0.1)  # the slow script is running in the sandbox
        slow.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await slow
        assert (await pool.run(request("7"))).results == [7]
        assert pool.started == 2
        assert len(pool.pids()) == 1
    finally:
        await pool.close()


def open_descriptors() -> int:
    """How many file descriptors this process has open."""
    return len(list(Path("/proc/self/fd").iterdir()))


async def test_a_cancelled_call_s_process_is_reaped_and_its_pipes_closed() -> None:
    open_before = open_descriptors()
    pool = new_pool(1)
    slow = asyncio.ensure_future(pool.run(request(SLOW)))
    for _ in range(200):  # until the slow script runs in its sandbox
        await asyncio.sleep(0.01)
        if pool.pids():
            break
    await asyncio.sleep(0.1)
    slow.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await slow
    await pool.close()
    # No pipe of the killed sandbox is left open for the garbage collector to find.
    assert open_descriptors() == open_before


def children() -> set[int]:
    """The process ids of this process's children (every thread's)."""
    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            found.update(int(pid) for pid in (task / "children").read_text().split())
        except FileNotFoundError:  # the thread ended while it was listed
            continue
    return found


async def test_a_start_cancelled_halfway_leaves_no_process_behind() -> None:
    pool = new_pool(1)
    before = children()
    try:
        starting = asyncio.ensure_future(pool.run(request("1")))
        for _ in range(200):  # until the child exists (it takes ~0.1 s to answer)
            await asyncio.sleep(0.005)
            if children() - before:
                break
        assert children() - before, "the sandbox process never appeared"
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        for _ in range(100):
            if not children() - before:
                break
            await asyncio.sleep(0.05)
        assert not children() - before
        assert (await pool.run(request("5"))).results == [5]
    finally:
        await pool.close()


async def test_close_then_use_starts_again() -> None:
    pool = new_pool(2)
    try:
        assert (await pool.run(request("1"))).results == [1]
        await pool.close()
        assert pool.pids() == []
        assert (await pool.run(request("3"))).results == [3]
        assert pool.started == 2
        assert len(pool.pids()) == 1
    finally:
        await pool.close()
