"""The CLI against a real ``drift dev``: found by itself from the project folder (no
flags, no environment), ``publish`` / ``activate`` / ``graph``, and exit codes 1 (the API
refused) and 3 (the API unreachable or refusing the key)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from drift_worker.devserver import free_port
from tests.cli.test_dev import Dev, _free_ports, running


def _greeting(disposition: str) -> dict[str, Any]:
    return {
        "id": "greet",
        "name": "Greet",
        "startNode": "hello",
        "states": {
            "hello": {"nodeDefinition": {"type": "SCRIPT", "id": "hello", "name": "Hello",
                                         "config": {"script": "{'said': 'hello'}"}},
                      "nextNode": "done"},
            "done": {"nodeDefinition": {"type": "SUCCESS", "id": "done", "name": "Done",
                                        "config": {"disposition": disposition}}},
        },
    }  # fmt: skip


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``drift ARGS`` run in ``project`` with no DRIFT_* variable: only .drift/dev.json."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DRIFT_")}
    return subprocess.run(
        [sys.executable, "-m", "drift_cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
        check=False,
        timeout=120,
    )


def test_the_cli_finds_drift_dev_and_publishes_activates_and_draws(tmp_path: Path) -> None:
    project = tmp_path / "project"
    flows = project / "flows"
    flows.mkdir(parents=True)
    source = flows / "greet.json"
    source.write_text(json.dumps(_greeting("HELLO")))
    with running(Dev(project / ".drift", _free_ports())):
        assert json.loads((project / ".drift" / "dev.json").read_text())["tenant"] == "demo"

        _publish_and_activate(project, source)
        _draw(project)
        _exit_codes(project)


def _publish_and_activate(project: Path, source: Path) -> None:
    applied = _cli(project, "apply", "flows")
    assert applied.returncode == 0, applied.stderr
    published = _cli(project, "publish", "workflow", "greet")
    assert published.returncode == 0, published.stderr
    assert published.stdout == "published workflow greet v1\n"
    activated = _cli(project, "activate", "greet", "1")
    assert activated.returncode == 0, activated.stderr
    assert activated.stdout == "workflow greet: ACTIVE is v1\n"

    source.write_text(json.dumps(_greeting("HI")))
    assert _cli(project, "apply", "flows").returncode == 0
    second = _cli(project, "publish", "workflow", "greet", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["version"] == 2
    assert _cli(project, "activate", "greet", "2").stdout == "workflow greet: ACTIVE is v2\n"
    started = _cli(project, "start", "greet", "--run-id", "g-2")
    assert started.returncode == 0, started.stderr
    assert "disposition: HI" in started.stdout
    # No version: roll back to the previous activation.
    rolled = _cli(project, "activate", "greet")
    assert rolled.returncode == 0, rolled.stderr
    assert rolled.stdout == "workflow greet: ACTIVE is v1\n"
    again = _cli(project, "start", "greet", "--run-id", "g-1")
    assert "disposition: HELLO" in again.stdout


def _draw(project: Path) -> None:
    drawn = _cli(project, "graph", "greet", "-o", "greet.svg")
    assert drawn.returncode == 0, drawn.stderr
    svg = (project / "greet.svg").read_text()
    assert drawn.stdout == f"wrote greet.svg ({len(svg.encode())} bytes)\n"
    assert "<svg" in svg
    assert "hello" in svg
    assert "done" in svg
    png = _cli(project, "graph", "greet", "-o", "run.png", "--run", "g-1")
    assert png.returncode == 0, png.stderr
    assert (project / "run.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    bad_suffix = _cli(project, "graph", "greet", "-o", "greet.gif")
    assert bad_suffix.returncode == 2
    assert "must end in .svg or .png" in bad_suffix.stderr


def _exit_codes(project: Path) -> None:
    # 1: the API refused (an unknown definition, a version never published).
    unknown = _cli(project, "publish", "workflow", "nowhere")
    assert unknown.returncode == 1
    assert "nowhere" in unknown.stderr
    unpublished = _cli(project, "activate", "greet", "9")
    assert unpublished.returncode == 1
    assert unpublished.stderr.startswith("drift activate: ")
    # 1: a run that failed.
    broken = _greeting("NEVER") | {"id": "broken"}
    broken["states"]["hello"]["nodeDefinition"]["config"]["script"] = "1 // 0"
    (project / "flows" / "broken.json").write_text(json.dumps(broken))
    applied = _cli(project, "apply", "flows", "--activate")
    assert applied.returncode == 0, applied.stderr
    failed = _cli(project, "start", "broken", "--run-id", "b-1")
    assert failed.returncode == 1, failed.stdout
    assert failed.stdout.startswith("run b-1: FAILED")

    # 3: the key is refused, or nothing answers at the address.
    refused = _cli(project, "status", "g-1", "--api-key", "not-a-key")
    assert refused.returncode == 3, refused.stderr
    assert refused.stderr.startswith("drift status: ")
    nobody = f"http://127.0.0.1:{free_port()}"
    unreachable = _cli(project, "status", "g-1", "--api", nobody)
    assert unreachable.returncode == 3, unreachable.stderr
    assert "127.0.0.1" in unreachable.stderr
