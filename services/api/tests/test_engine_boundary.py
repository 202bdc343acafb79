"""The API reaches Temporal only through its engine: an import rule, checked on the source.

Handlers, the run gateway and the console depend on :class:`drift_api.engine.Engine`;
only the Temporal implementation's modules import ``temporalio`` (or the converter of
``drift_models.temporal``), and only the wiring (``app``, ``main``, the package's
``__init__``) imports the implementation.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

SOURCE: Final = Path(__file__).resolve().parents[1] / "src" / "drift_api"

TEMPORAL_IMPLEMENTATION: Final = frozenset(
    {
        "engine_errors",
        "run_attempts",
        "run_attributes",
        "run_bulk",
        "run_bulk_redrive",
        "run_history",
        "run_redrive",
        "run_search",
        "run_state",
        "temporal_engine",
        "update_calls",
        "update_outcome",
    }
)
"""The modules that speak Temporal (``temporal_engine`` composes the others)."""
WIRING: Final = frozenset({"__init__", "app", "main"})


def _module(path: Path) -> str:
    return ".".join(path.relative_to(SOURCE).with_suffix("").parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
    return names


def _speaks_temporal(name: str) -> bool:
    if name == "temporalio" or name.startswith("temporalio."):
        return True
    if name == "drift_models.temporal":
        return True
    inner = name.removeprefix("drift_api.")
    return name.startswith("drift_api.") and inner in TEMPORAL_IMPLEMENTATION


def test_only_the_temporal_implementation_and_the_wiring_reach_temporal() -> None:
    modules = {_module(path): path for path in SOURCE.rglob("*.py")}
    assert set(modules) >= TEMPORAL_IMPLEMENTATION, "a listed module no longer exists"
    offenders = {
        name: sorted(n for n in _imports(path) if _speaks_temporal(n))
        for name, path in modules.items()
        if name not in TEMPORAL_IMPLEMENTATION | WIRING
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_rule_sees_a_temporal_import(tmp_path: Path) -> None:
    module = tmp_path / "handler.py"
    module.write_text("from temporalio.client import Client\nimport drift_api.run_state\n")
    assert sorted(n for n in _imports(module) if _speaks_temporal(n)) == [
        "drift_api.run_state",
        "temporalio.client",
    ]
