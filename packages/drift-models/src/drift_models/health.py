"""Dependency health, probed in the background the same way by every service.

The API and the worker show the health of Temporal, the store and Redis in their
``/readyz`` body and export it as a gauge, without ever failing readiness on it and
without a probe waiting on a dependency: a :class:`DependencyMonitor` probes each
dependency every few seconds, each probe bounded by a timeout, and keeps the latest
answer of each (``ok``, or ``down: …`` saying why). Plain asyncio: the service hands in
how a state is reported (its Prometheus gauge).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Final

__all__ = ["NOT_PROBED", "UP", "DependencyMonitor", "DependencyProbe", "StateReport"]

UP: Final = "ok"
"""The state of a dependency that answered its last probe."""
NOT_PROBED: Final = "unknown: not probed yet"
"""The state of a dependency before its first probe."""

DependencyProbe = Callable[[], Awaitable[object]]
"""A dependency check: returns when the dependency answered, raises otherwise."""
StateReport = Callable[[str, str], None]
"""Called after every probe with the dependency's name and its state."""

_LOG = logging.getLogger(__name__)
_MAX_STATE: Final = 300


class DependencyMonitor:
    """Probes each dependency every few seconds and keeps the latest answers.

    Args:
        probes: a probe per dependency name (more with :meth:`add`).
        interval_seconds: the pause between two rounds.
        timeout_seconds: the most one probe may take.
        report: where each probe's outcome goes too (a gauge), if anywhere.

    Attributes:
        states: the latest state per dependency: :data:`UP`, :data:`NOT_PROBED` or
            ``down: …`` with the reason.
    """

    def __init__(
        self,
        probes: Mapping[str, DependencyProbe] | None = None,
        *,
        interval_seconds: float = 5.0,
        timeout_seconds: float = 2.0,
        report: StateReport | None = None,
    ) -> None:
        self._probes: dict[str, DependencyProbe] = {}
        self._interval = interval_seconds
        self._timeout = timeout_seconds
        self._report = report
        self.states: dict[str, str] = {}
        for name, probe in (probes or {}).items():
            self.add(name, probe)

    def add(self, name: str, probe: DependencyProbe) -> None:
        """Probe ``name`` with ``probe`` from the next round on."""
        self._probes[name] = probe
        self.states[name] = NOT_PROBED

    async def probe_all(self) -> dict[str, str]:
        """Run one round of probes; update :attr:`states` and report each."""
        names = list(self._probes)
        answers = await asyncio.gather(*(self._probe(name) for name in names))
        for name, state in zip(names, answers, strict=True):
            if state != self.states.get(name):
                level = logging.INFO if state == UP else logging.WARNING
                _LOG.log(level, "dependency %s: %s", name, state)
            self.states[name] = state
            if self._report is not None:
                self._report(name, state)
        return dict(self.states)

    async def _probe(self, name: str) -> str:
        try:
            async with asyncio.timeout(self._timeout):
                await self._probes[name]()
        except TimeoutError:
            return f"down: no answer within {self._timeout:g} s"
        except Exception as error:  # noqa: BLE001 - any failure means the dependency is down
            return f"down: {type(error).__name__}: {error}"[:_MAX_STATE]
        return UP

    async def run(self) -> None:
        """Probe forever, one round every ``interval_seconds``."""
        while True:
            await asyncio.sleep(self._interval)
            await self.probe_all()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Probe once (so readiness answers with real states), then keep probing."""
        await self.probe_all()
        task = asyncio.create_task(self.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
