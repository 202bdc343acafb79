"""``drift validate``: every problem with file, JSON path and message; a failing exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def drift(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drift_cli.main", *args], capture_output=True, text=True, check=False
    )


def test_the_examples_are_valid() -> None:
    result = drift("validate", str(EXAMPLES))
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1] == (
        "28 node definitions, 6 workflows: valid (0 errors, 0 warnings)"
    )


def test_a_broken_folder_reports_every_problem(tmp_path: Path) -> None:
    workflow = {
        "id": "broken",
        "startNode": "start",
        "parameters": ["x"],
        "states": {
            "start": {
                "nodeDefinition": {
                    "type": "SCRIPT",
                    "id": "s",
                    "name": "S",
                    "parameters": ["v"],
                    "config": {"script": "v +"},
                },
                "parameters": {"v": "$.params.y"},
                "nextNode": "nowhere",
            },
            "end": {"resourceId": "missing-node"},
        },
    }
    (tmp_path / "wf.json").write_text(json.dumps(workflow))
    (tmp_path / "node.json").write_text(
        '{"type": "HTTP", "id": "h", "name": "H", "config": {"url": "u", "methd": "GET"}}'
    )
    (tmp_path / "bad.json").write_text('{"id": "x",\n "states": }')
    result = drift("validate", str(tmp_path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    wf = tmp_path / "wf.json"
    assert lines[:-1] == [
        f"{tmp_path / 'bad.json'}: $: the file is not valid JSON: JSON is malformed: invalid character at line 2, column 12",
        f"{tmp_path / 'node.json'}: $.config: unknown field 'methd' (allowed: url, method, headers, query, body, bodyFormat, successStatuses, retryableStatuses, responseTransformer, authProvider, authHeader, authScheme, maxResponseBytes)",
        f"{wf}: $.states.start.nodeDefinition.config.script: the script does not compile: line 1, column 4: "
        + lines[2].split("line 1, column 4: ", 1)[1],
        f"{wf}: $.states.end.resourceId: node definition 'missing-node' has no version LATEST; create or publish it first",
        f"{wf}: $.states.start.nextNode: nextNode 'nowhere' is not a state of this workflow (states: start, end)",
        f"{wf}: $.states.start.parameters.v: '$.params.y' reads workflow parameter 'y', which the workflow does not declare in parameters (declared: x)",
        f"{wf}: $.states.end: warning: 'end' cannot be reached from startNode; it can only run as a disconnected utility node",
    ]
    assert lines[-1] == "0 node definitions, 1 workflows: invalid (6 errors, 1 warnings)"


def test_json_output_for_machines(tmp_path: Path) -> None:
    (tmp_path / "node.json").write_text(
        '{"type": "SCRIPT", "id": "s", "name": "S", "config": {"script": "1 +"}}'
    )
    result = drift("validate", "--json", str(tmp_path))
    assert result.returncode == 1
    (finding,) = json.loads(result.stdout)
    assert finding["file"] == str(tmp_path / "node.json")
    assert finding["path"] == "$.config.script"
    assert finding["code"] == "script-syntax"
    assert finding["severity"] == "ERROR"
