"""The drills' judge on its own: which answers it counts as untrue (no servers needed)."""

from __future__ import annotations

from tests.faults.accounting import Accounting, Fact, _check_one
from tests.faults.load import Reply

STARTED = 1_000.0


def _judge(reply: Reply, fact: Fact | None = None) -> Accounting:
    sheet = Accounting("judge")
    _check_one(sheet, fact or Fact(exists=True, started_at=STARTED), reply, [reply])
    return sheet


def _reply(operation: str, sent: float, status: int, detail: str = "") -> Reply:
    return Reply("run-1", operation, 0, 1, sent, sent + 0.5, status, detail=detail)


def test_a_read_before_the_run_started_may_find_no_run() -> None:
    sheet = _judge(_reply("get", STARTED - 0.2, 404, "Run Not Found"))
    assert (sheet.untrue, sheet.findings) == (0, [])


def test_a_read_after_the_run_started_must_find_it() -> None:
    sheet = _judge(_reply("get", STARTED + 3.0, 404, "Run Not Found"))
    assert sheet.untrue == 1
    assert "3.0 s after the run started" in sheet.findings[0]


def test_a_read_of_a_run_that_never_existed_may_be_404() -> None:
    sheet = _judge(_reply("get", STARTED + 3.0, 404), Fact(exists=False))
    assert sheet.untrue == 0


def test_a_read_refused_with_503_is_counted_apart() -> None:
    sheet = _judge(_reply("get", STARTED + 3.0, 503))
    assert (sheet.untrue, sheet.reads_503) == (0, 1)


def test_a_start_refused_after_its_run_started_is_untrue() -> None:
    # Sent 0.2 s before the run started, answered 0.3 s after it.
    sheet = _judge(_reply("start", STARTED - 0.2, 503, "Store Unavailable"))
    assert sheet.untrue == 1


def test_a_start_that_says_it_cannot_know_is_unsure_not_untrue() -> None:
    sheet = _judge(_reply("start", STARTED - 1.0, 503, "Start Unconfirmed: try again"))
    assert (sheet.untrue, sheet.unsure) == (0, 1)


def test_any_other_5xx_is_untrue() -> None:
    sheet = _judge(_reply("resume", STARTED + 5.0, 500))
    assert sheet.untrue == 1


def test_an_acknowledged_start_without_a_run_is_lost() -> None:
    sheet = _judge(_reply("start", STARTED, 200), Fact(exists=False))
    assert (sheet.lost, sheet.untrue) == (1, 0)


def test_a_sync_start_answered_200_while_running_is_untrue() -> None:
    reply = _reply("start", STARTED - 0.2, 200)
    reply.state = "RUNNING"
    assert _judge(reply).untrue == 1
    reply.state = "WAITING"
    assert _judge(reply).untrue == 0
