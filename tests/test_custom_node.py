"""The example custom-node package installs with pip and its node runs, found by discovery."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from drift_nodes import discover_nodes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "custom-node"


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv is needed to install the example package (run the tests with `uv run`)"
    return uv


def test_the_example_is_not_installed_in_the_workspace() -> None:
    assert "example.MASK" not in discover_nodes()


def test_the_example_package_installs_and_its_node_runs(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [_uv(), "pip", "install", "--quiet", "--python", sys.executable, "--target", str(target),
         "--no-deps", str(EXAMPLE)],
        check=True,
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert (target / "drift_example_mask" / "__init__.py").is_file()
    entry_points = next(target.glob("drift_example_mask-*.dist-info")) / "entry_points.txt"
    assert "example.MASK" in entry_points.read_text()
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-c", str(EXAMPLE / "pyproject.toml"), "--rootdir", str(EXAMPLE), str(EXAMPLE / "tests")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
