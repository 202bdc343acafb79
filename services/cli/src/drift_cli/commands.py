"""The ``drift`` subcommands that talk to a running API.

Each command prints for people by default and JSON with ``--json``, and returns an exit
code a script can rely on: 0 done, 1 the operation failed (a refused answer, a failed
run, invalid files), 3 the API could not be reached or refused the call.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from drift_cli.client import ApiClient, ApiFailure
from drift_cli.rest_target import KIND_PATHS, RestApplyTarget, version_of
from drift_models import DocumentError, NodeTypes, load_definitions
from drift_models.apply import (
    ApplyChange,
    ApplyRefusedError,
    apply_definitions,
    in_apply_order,
)
from drift_models.scenario_documents import load_scenario_documents
from drift_nodes import decode_scenario_file

__all__ = [
    "ApplyOptions",
    "activate",
    "apply",
    "checked_scenario_documents",
    "graph",
    "logs",
    "publish",
    "redrive",
    "render_state",
    "resume",
    "start",
    "status",
]

EXIT_OK = 0
EXIT_FAILED = 1


def _emit(out: TextIO, value: Any) -> None:
    out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------- apply


@dataclass
class ApplyOptions:
    """What ``drift apply`` does besides writing drafts.

    Attributes:
        publish: publish every draft that differs from its latest version.
        activate: activate the newest version of every workflow.
    """

    publish: bool = False
    activate: bool = False
    changes: list[str] = field(default_factory=list)


async def apply(
    api: ApiClient,
    paths: Sequence[Path],
    node_types: NodeTypes,
    options: ApplyOptions,
    out: TextIO,
    *,
    as_json: bool = False,
) -> int:
    """Write (and optionally publish and activate) what the files hold; show what changed.

    A definition the API would refuse (a draft with errors, or, with its scenarios
    beside it, a workflow whose scenarios fail the publish gate) stops the apply with
    its problems on stderr and exit code 1; what came before it stays applied.
    """
    files = load_definitions(paths, node_types)
    scenarios, problems = checked_scenario_documents(paths, {w.id for _, w in files.workflows})
    if files.problems or problems:
        for problem in [*map(str, files.problems), *problems]:
            sys.stderr.write(f"{problem}\n")
        return EXIT_FAILED

    def note(change: ApplyChange) -> None:
        options.changes.append(str(change))
        if not as_json:
            out.write(f"{change}\n")

    try:
        await apply_definitions(
            RestApplyTarget(api, node_types),
            in_apply_order(files),
            publish=options.publish,
            activate=options.activate,
            on_change=note,
            scenarios=scenarios or None,
        )
    except ApplyRefusedError as refusal:
        sys.stderr.write(f"drift apply: {refusal.describe()}\n")
        if as_json:
            _emit(out, {"changes": options.changes, "refused": refusal.definition_id})
        return EXIT_FAILED
    if as_json:
        _emit(out, {"changes": options.changes})
    elif not options.changes:
        out.write("nothing to change\n")
    return EXIT_OK


def checked_scenario_documents(
    paths: Sequence[Path], workflows: set[str]
) -> tuple[dict[str, bytes], list[str]]:
    """The scenario files under ``paths`` by workflow, checked; and what is wrong with them.

    Each file must decode as a scenario file and test one of ``workflows``.
    """
    found = load_scenario_documents(paths)
    problems = [str(problem) for problem in found.problems]
    documents: dict[str, bytes] = {}
    for workflow, (file, data) in found.documents.items():
        try:
            decode_scenario_file(data)
        except DocumentError as error:
            problems.extend(f"{file}: {p.path}: {p.message}" for p in error.problems)
            continue
        if workflow not in workflows:
            problems.append(f"{file}: $.workflow: no workflow {workflow!r} among the definitions")
            continue
        documents[workflow] = data
    return documents, problems


# ---------------------------------------------------------------------- definitions


async def publish(
    api: ApiClient, kind: str, definition_id: str, out: TextIO, *, as_json: bool
) -> int:
    """Publish a draft as its next version."""
    _, body = await api.call("POST", f"{KIND_PATHS[kind]}/{definition_id}/publish")
    if as_json:
        _emit(out, body)
    else:
        out.write(f"published {kind} {definition_id} v{version_of(body)}\n")
    return EXIT_OK


async def activate(
    api: ApiClient, workflow_id: str, version: int | None, out: TextIO, *, as_json: bool
) -> int:
    """Point ACTIVE at a version (or, without one, roll back to the previous activation)."""
    base = f"/workflowDefinition/{workflow_id}"
    if version is None:
        _, body = await api.call("POST", f"{base}/rollback")
    else:
        _, body = await api.call("POST", f"{base}/activate", body={"version": version})
    if as_json:
        _emit(out, body)
    else:
        out.write(f"workflow {workflow_id}: ACTIVE is v{body.get('active')}\n")
    return EXIT_OK


async def graph(
    api: ApiClient,
    workflow_id: str,
    output: Path,
    *,
    version: str | None,
    run_id: str | None,
    out: TextIO,
) -> int:
    """Save a picture of the workflow (SVG or PNG, by the file's suffix)."""
    suffix = output.suffix.lstrip(".").lower() or "svg"
    if suffix not in {"svg", "png"}:
        sys.stderr.write(f"drift graph: {output} must end in .svg or .png\n")
        return 2
    params = {k: v for k, v in (("version", version), ("runId", run_id)) if v}
    data = await api.raw(f"/workflowDefinition/{workflow_id}/graph.{suffix}", params)
    await asyncio.to_thread(output.write_bytes, data)
    out.write(f"wrote {output} ({len(data)} bytes)\n")
    return EXIT_OK


# ---------------------------------------------------------------------- runs


def render_state(state: dict[str, Any]) -> str:
    """A run's state for people: status, node, disposition, error and the view's widgets."""
    lines = [
        f"run {state.get('workflowId')}: {state.get('workflowStatus')}"
        + (f" at {state['currentNode']}" if state.get("currentNode") else "")
    ]
    for label, key in (("disposition", "disposition"), ("error", "errorMessage")):
        if state.get(key):
            lines.append(f"  {label}: {state[key]}")
    view = state.get("view")
    if view:
        lines.append(
            f"  view {view.get('layoutId')} (answer with: drift resume {state.get('workflowId')})"
        )
        lines.extend(_render_option(option) for option in view.get("inputOptions") or [])
    if state.get("output") is not None and state.get("workflowStatus") in {"COMPLETED", "FAILED"}:
        lines.append(f"  output: {json.dumps(state['output'], ensure_ascii=False)}")
    return "\n".join(lines)


def _render_option(option: dict[str, Any]) -> str:
    choices = [v.get("value") for v in option.get("possibleValues") or []]
    choices += [v.get("value") for v in option.get("possibleDynamicValues") or []]
    shown = f" [{', '.join(str(c) for c in choices)}]" if choices else ""
    description = f" — {option['description']}" if option.get("description") else ""
    return f"    {option.get('id')}{description}{shown}"


def _verdict(state: dict[str, Any]) -> int:
    return EXIT_FAILED if state.get("workflowStatus") in {"FAILED", "TERMINATED"} else EXIT_OK


async def start(
    api: ApiClient,
    workflow_id: str,
    params: dict[str, Any],
    out: TextIO,
    *,
    version: str | None,
    run_id: str | None,
    as_json: bool,
) -> int:
    """Start a run and print its first stable state (the view to show, usually)."""
    body: dict[str, Any] = {"workflowDefinitionId": workflow_id, "params": params}
    if version:
        body["version"] = int(version) if version.isdigit() else version.upper()
    if run_id:
        body["workflowId"] = run_id
    _, state = await api.call("POST", "/v3/workflow/start", body=body)
    _emit(out, state) if as_json else out.write(render_state(state) + "\n")
    return _verdict(state)


async def redrive(api: ApiClient, run_id: str, out: TextIO, *, as_json: bool) -> int:
    """Continue a FAILED run at the state that failed; print its next stable state."""
    _, state = await api.call("POST", f"/v3/workflow/{run_id}/redrive")
    _emit(out, state) if as_json else out.write(render_state(state) + "\n")
    return _verdict(state)


async def status(api: ApiClient, run_id: str, out: TextIO, *, as_json: bool) -> int:
    """Print a run's state."""
    _, state = await api.call("GET", f"/v3/workflow/{run_id}")
    _emit(out, state) if as_json else out.write(render_state(state) + "\n")
    return _verdict(state)


async def resume(
    api: ApiClient,
    run_id: str,
    answers: dict[str, list[str]] | None,
    out: TextIO,
    *,
    ask: Callable[[str], str] = input,
    as_json: bool,
) -> int:
    """Answer a waiting run's view: from ``answers``, else by asking for each widget."""
    _, state = await api.call("GET", f"/v3/workflow/{run_id}")
    view = state.get("view")
    if state.get("workflowStatus") != "WAITING" or not view:
        out.write(render_state(state) + "\n")
        sys.stderr.write(f"drift resume: run {run_id} is not waiting for an answer\n")
        return EXIT_FAILED
    if answers is None:
        out.write(render_state(state) + "\n")
        answers = {}
        for option in view.get("inputOptions") or []:
            reply = ask(f"{option.get('id')}> ").strip()
            if reply:
                answers[str(option["id"])] = [
                    item.strip() for item in reply.split(",") if item.strip()
                ]
    body = {"viewResponse": {"selectedOptions": answers}, "node": state.get("currentNode")}
    try:
        _, after = await api.call("PUT", f"/v3/workflow/resume/{run_id}", body=body)
    except ApiFailure as failure:
        if failure.status in {409, 422}:
            sys.stderr.write(failure.describe() + "\n")
            return EXIT_FAILED
        raise
    _emit(out, after) if as_json else out.write(render_state(after) + "\n")
    return _verdict(after)


async def logs(api: ApiClient, run_id: str, out: TextIO, *, as_json: bool) -> int:
    """Print a run's node-by-node history."""
    _, history = await api.call("GET", f"/v3/workflow/{run_id}/history")
    if as_json:
        _emit(out, history)
        return EXIT_OK
    for entry in history.get("entries", []):
        nodes = ", ".join(entry.get("nodes") or []) or "-"
        mark = "  (failed attempt, redriven)" if entry.get("superseded") else ""
        line = (
            f"{entry.get('at')}  {entry.get('event'):<10} {nodes}  "
            f"{entry.get('detail') or ''}{mark}"
        )
        out.write(line.rstrip() + "\n")
    return EXIT_OK
