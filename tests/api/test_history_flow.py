"""GET /v3/workflow/{runId}/history: a run's node-by-node history from Temporal."""

from __future__ import annotations

import asyncio

from tests.api.harness import Api, new_run_id, tenant_key


async def test_history_lists_steps_answers_and_the_end(examples: Api) -> None:
    api = examples
    run_id = new_run_id()
    first = await api.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=run_id)
    assert first.status_code == 200, first.text
    utility = await api.post(
        f"/v3/workflow/{run_id}/disconnected-node/execute",
        json={"node": "lookupOrder", "parameters": {"orderId": "A-300"}},
    )
    assert utility.status_code == 200, utility.text
    final = await api.resume(run_id, {"decision": ["approve"]})
    assert final.status_code == 200, final.text

    answer = await api.get(f"/v3/workflow/{run_id}/history")
    assert answer.status_code == 200, answer.text
    history = answer.json()
    assert history["workflowId"] == run_id
    events = [(e["event"], e["nodes"], e["outcome"]) for e in history["entries"]]
    assert events == [
        ("STARTED", [], None),
        ("PINNED", [], None),
        ("STEP", ["lookupOrder", "computeRefund", "routeRefund", "confirmRefund"], "VIEW"),
        ("UTILITY", [], None),
        ("UTILITY", ["lookupOrder"], "COMPLETED"),
        ("RESUMED", [], None),
        ("STEP", ["routeDecision", "refunded"], "END"),
        ("ENDED", [], None),
    ]
    entries = history["entries"]
    assert entries[0]["detail"] == "refund (1)"  # the API pins ACTIVE before starting
    assert entries[1]["detail"] == "refund v1"
    assert entries[5]["detail"] == '{"selectedOptions": {"decision": ["approve"]}}'
    assert entries[-1]["detail"] == "COMPLETED"
    times = [e["at"] for e in entries]
    assert times == sorted(times)


async def test_history_of_an_unknown_or_foreign_run_is_404(examples: Api) -> None:
    api = examples
    run_id = new_run_id()
    started = await api.start("refund", {"orderId": "A-200", "reason": "x"}, workflowId=run_id)
    assert started.status_code == 200
    missing = await api.get(f"/v3/workflow/{new_run_id()}/history")
    assert missing.status_code == 404
    other = await api.as_tenant("other", tenant_key("other")[0]).get(
        f"/v3/workflow/{run_id}/history"
    )
    assert other.status_code == 404


async def test_history_ends_failed_and_terminated_runs(examples: Api) -> None:
    # A FAILED run closes Failed and a terminated one Cancelled in Temporal; the history
    # still says how each ended.
    api = examples
    failed_id = new_run_id()
    failed = await api.start("refund", {"orderId": "NOPE", "reason": "x"}, workflowId=failed_id)
    assert failed.json()["workflowStatus"] == "FAILED", failed.text
    stopped_id = new_run_id()
    await api.start("refund", {"orderId": "A-100", "reason": "x"}, workflowId=stopped_id)
    stopped = await api.delete(f"/v3/workflow/terminate/{stopped_id}?reason=bye")
    assert stopped.json()["workflowStatus"] == "TERMINATED", stopped.text
    for run_id, ending in ((failed_id, "FAILED"), (stopped_id, "TERMINATED")):
        entries: list[dict[str, str]] = []
        for _ in range(100):
            entries = (await api.get(f"/v3/workflow/{run_id}/history")).json()["entries"]
            if entries[-1]["event"] == "ENDED":
                break
            await asyncio.sleep(0.05)
        assert entries[-1]["event"] == "ENDED", entries
        assert entries[-1]["detail"].startswith(ending), entries[-1]
        state = await api.get(f"/v3/workflow/{run_id}")
        assert state.status_code == 200, state.text
        assert state.json()["workflowStatus"] == ending
        assert state.headers["X-Drift-State-Source"] == "engine"


async def test_history_shows_each_branch_of_a_parallel_state(examples: Api) -> None:
    api = examples
    run_id = new_run_id()
    started = await api.start(
        "order-checks", {"orderId": "A-100", "accountId": "a1"}, workflowId=run_id
    )
    assert started.status_code == 200, started.text
    assert started.json()["workflowStatus"] == "COMPLETED", started.text
    answer = await api.get(f"/v3/workflow/{run_id}/history")
    assert answer.status_code == 200, answer.text
    entries = answer.json()["entries"]
    branches = sorted(
        (e["nodes"], e["outcome"], e["detail"]) for e in entries if e["event"] == "BRANCH"
    )
    assert branches == [
        (["readAccount"], "JOINED", "checks"),
        (["readOrder", "summarizeOrder"], "JOINED", "checks"),
    ]
    steps = [(e["event"], e["nodes"], e["outcome"]) for e in entries if e["event"] == "STEP"]
    assert steps == [("STEP", ["done"], "END")]
