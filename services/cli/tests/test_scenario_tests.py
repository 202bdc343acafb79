"""``drift test``: scenario files run locally; a failing scenario says what and where."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
REFUND = [str(EXAMPLES / "refund" / "nodes"), str(EXAMPLES / "refund" / "workflows")]
"""The refund example's definitions without its own scenario files."""
ORDER = {"id": "o-1", "status": "DELIVERED", "total": 80.0, "currency": "EUR"}


def drift(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drift_cli.main", *args], capture_output=True, text=True, check=False
    )


def _scenario(disposition: str) -> dict[str, Any]:
    return {
        "name": f"approved, expecting {disposition}",
        "params": {"orderId": "o-1", "reason": "broken"},
        "mocks": {
            "lookupOrder": [
                {
                    "output": {
                        "status": 200,
                        "headers": {},
                        "body": {**ORDER, "daysSinceDelivery": 2},
                    }
                }
            ]
        },
        "answers": {"confirmRefund": [{"decision": ["approve"]}]},
        "expect": {"disposition": disposition, "status": "COMPLETED"},
    }


def _write(folder: Path, *scenarios: dict[str, Any]) -> Path:
    file = folder / "refund.scenarios.json"
    file.write_text(json.dumps({"workflow": "refund", "scenarios": list(scenarios)}))
    return file


def test_passing_scenarios_exit_zero(tmp_path: Path) -> None:
    scenarios = _write(tmp_path, _scenario("REFUNDED"))
    result = drift("test", *REFUND, str(scenarios))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "1 scenarios: 1 passed, 0 failed"


def test_a_scenario_expecting_the_wrong_branch_fails_with_state_expected_and_actual(
    tmp_path: Path,
) -> None:
    scenarios = _write(tmp_path, _scenario("REFUNDED"), _scenario("DECLINED"))
    result = drift("test", *REFUND, str(scenarios))
    assert result.returncode == 1
    assert f"{scenarios}: scenario 'approved, expecting DECLINED': FAILED" in result.stdout
    assert "at state 'refunded', status COMPLETED" in result.stdout
    assert 'disposition: expected "DECLINED"\n    actual   "REFUNDED"' in result.stdout
    assert result.stdout.splitlines()[-1] == "2 scenarios: 1 passed, 1 failed"


def test_k_selects_scenarios_by_name(tmp_path: Path) -> None:
    scenarios = _write(tmp_path, _scenario("REFUNDED"), _scenario("DECLINED"))
    result = drift("test", *REFUND, str(scenarios), "-k", "REFUNDED")
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1] == "1 scenarios: 1 passed, 0 failed"


def test_a_broken_scenario_file_is_reported_with_its_path(tmp_path: Path) -> None:
    file = tmp_path / "bad.scenarios.json"
    file.write_text(json.dumps({"workflow": "refund", "scenarios": [{"name": "n", "answer": {}}]}))
    result = drift("test", *REFUND, str(file))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{file}: $.scenarios[0]")


def test_a_scenario_file_for_an_unknown_workflow_is_reported(tmp_path: Path) -> None:
    file = tmp_path / "other.scenarios.json"
    file.write_text(json.dumps({"workflow": "nope", "scenarios": []}))
    result = drift("test", *REFUND, str(file))
    assert result.returncode == 1
    assert f"{file}: $.workflow: no workflow 'nope' among the definitions" in result.stdout


def test_the_examples_scenarios_pass() -> None:
    # Every example with workflows ships scenarios for each of them, and all pass.
    tested: set[str] = set()
    count = 0
    for file in EXAMPLES.glob("*/scenarios/*.scenarios.json"):
        document = json.loads(file.read_text())
        tested.add(document["workflow"])
        count += len(document["scenarios"])
    workflows = {json.loads(f.read_text())["id"] for f in EXAMPLES.glob("*/workflows/*.json")}
    assert workflows - {"collect-payment"} <= tested  # the child runs in appointment's
    result = drift("test", str(EXAMPLES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert count >= 15
    assert result.stdout.splitlines()[-1] == f"{count} scenarios: {count} passed, 0 failed"
