"""What a scenario's run did, and how it differs from what the scenario expects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from drift_models import PathNotFoundError, PathSyntaxError, RunContext, RunStatus, parse_path
from drift_nodes.scenario_files import Expectation

__all__ = ["Mismatch", "ScenarioReport", "expectation_mismatches"]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One thing the run did otherwise than the scenario expects.

    Attributes:
        what: ``path``, ``status``, ``disposition``, ``output`` or a context ``$.`` path.
        expected: what the scenario expects.
        actual: what the run did.
    """

    what: str
    expected: Any
    actual: Any

    def line(self) -> str:
        """``what: expected … / actual …``, for a person."""
        return f"{self.what}: expected {_show(self.expected)}\n    actual   {_show(self.actual)}"


@dataclass(slots=True)
class ScenarioReport:
    """What a scenario's run did, and how that differs from what it expects.

    Attributes:
        scenario: the scenario's name.
        path: the states run, in order.
        status: the run's status at the end.
        disposition: the run's disposition.
        output: the run's output.
        context: the run's context at the end.
        error: why the run failed, or why the scenario could not go on.
        stopped: the scenario itself could not go on (a missing mock or answer).
        mismatches: what differs from the expectation.
    """

    scenario: str
    context: RunContext
    path: list[str] = field(default_factory=list)
    status: RunStatus = RunStatus.RUNNING
    disposition: str | None = None
    output: Any = None
    error: str | None = None
    stopped: bool = False
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether the run did what the scenario expects."""
        return not self.stopped and not self.mismatches

    def render(self) -> str:
        """The report for a person: the state reached, each mismatch, and any error."""
        last = self.path[-1] if self.path else None
        lines = [f"scenario {self.scenario!r}: {'passed' if self.passed else 'FAILED'}"]
        if not self.passed:
            lines.append(f"  at state {last!r}, status {self.status.value}")
            if self.error is not None:
                lines.append(f"  {'stopped' if self.stopped else 'error'}: {self.error}")
            lines.extend(f"  {mismatch.line()}" for mismatch in self.mismatches)
        return "\n".join(lines)


def expectation_mismatches(expect: Expectation, report: ScenarioReport) -> list[Mismatch]:
    """What ``report`` shows otherwise than ``expect`` says, in the expectation's order."""
    found: list[Mismatch] = []
    if expect.path is not None and expect.path != report.path:
        found.append(Mismatch("path", expect.path, report.path))
    if expect.status is not None and expect.status is not report.status:
        found.append(Mismatch("status", expect.status.value, report.status.value))
    if expect.disposition is not None and expect.disposition != report.disposition:
        found.append(Mismatch("disposition", expect.disposition, report.disposition))
    if expect.output is not msgspec.UNSET and not _matches(expect.output, report.output):
        found.append(Mismatch("output", expect.output, report.output))
    for text, expected in expect.context.items():
        try:
            actual = report.context.lookup(parse_path(text))
        except (PathNotFoundError, PathSyntaxError) as error:
            found.append(Mismatch(text, expected, f"<cannot be read: {error}>"))
            continue
        if not _matches(expected, actual):
            found.append(Mismatch(text, expected, actual))
    return found


def _matches(expected: Any, actual: Any) -> bool:
    """Whether ``actual`` has what ``expected`` says: objects by the keys given."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _matches(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return bool(expected == actual)


def _show(value: Any) -> str:
    try:
        return msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return repr(value)
