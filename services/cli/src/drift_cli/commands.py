"""The ``drift`` subcommands that talk to a running API.

Each command prints for people by default and JSON with ``--json``, and returns an exit
code a script can rely on: 0 done, 1 the operation failed (a refused answer, a failed
run, invalid files, an answer that is not the shape the API promises), 3 the API could
not be reached or refused the call. Answers are decoded into the body types of
drift-models; ``--json`` prints the answer as the API sent it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import msgspec

from drift_cli.client import ApiAnswer, ApiClient, ApiFailure
from drift_cli.rest_target import KIND_PATHS, RestApplyTarget
from drift_models import (
    NodeTypes,
    PointersBody,
    PublishedDefinition,
    RunHistory,
    RunStatus,
    ViewOption,
    WorkflowResponse,
    load_definitions,
)
from drift_models.apply import (
    ApplyChange,
    ApplyRefusedError,
    apply_definitions,
    in_apply_order,
)

__all__ = [
    "ApplyOptions",
    "activate",
    "apply",
    "graph",
    "iso_time",
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

    A definition the API would refuse (a draft with errors) stops the apply with its
    problems on stderr and exit code 1; what came before it stays applied.
    """
    files = load_definitions(paths, node_types)
    if files.problems:
        for problem in files.problems:
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


# ---------------------------------------------------------------------- definitions


async def publish(
    api: ApiClient, kind: str, definition_id: str, out: TextIO, *, as_json: bool
) -> int:
    """Publish a draft as its next version."""
    published = await api.answer(
        "POST", f"{KIND_PATHS[kind]}/{definition_id}/publish", PublishedDefinition
    )
    if as_json:
        _emit(out, published.json())
    else:
        out.write(f"published {kind} {definition_id} v{published.body.version}\n")
    return EXIT_OK


async def activate(
    api: ApiClient, workflow_id: str, version: int | None, out: TextIO, *, as_json: bool
) -> int:
    """Point ACTIVE at a version (or, without one, roll back to the previous activation)."""
    base = f"/workflowDefinition/{workflow_id}"
    if version is None:
        pointers = await api.answer("POST", f"{base}/rollback", PointersBody)
    else:
        pointers = await api.answer(
            "POST", f"{base}/activate", PointersBody, body={"version": version}
        )
    if as_json:
        _emit(out, pointers.json())
    else:
        out.write(f"workflow {workflow_id}: ACTIVE is v{pointers.body.active}\n")
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


def render_state(state: WorkflowResponse) -> str:
    """A run's state for people: status, node, disposition, error and the view's widgets."""
    lines = [
        f"run {state.workflow_id}: {state.workflow_status}"
        + (f" at {state.current_node}" if state.current_node else "")
    ]
    for label, value in (("disposition", state.disposition), ("error", state.error_message)):
        if value:
            lines.append(f"  {label}: {value}")
    view = state.view
    if view:
        lines.append(f"  view {view.layout_id} (answer with: drift resume {state.workflow_id})")
        lines.extend(_render_option(option) for option in view.input_options)
    if state.output is not None and state.workflow_status in _ENDED_WITH_OUTPUT:
        lines.append(f"  output: {json.dumps(state.output, ensure_ascii=False)}")
    return "\n".join(lines)


_ENDED_WITH_OUTPUT = frozenset({RunStatus.COMPLETED, RunStatus.FAILED})
_FAILED = frozenset({RunStatus.FAILED, RunStatus.TERMINATED})


def _render_option(option: ViewOption) -> str:
    choices = [v.value for v in option.possible_values]
    choices += [v.value for v in option.possible_dynamic_values]
    shown = f" [{', '.join(choices)}]" if choices else ""
    description = f" — {option.description}" if option.description else ""
    return f"    {option.id}{description}{shown}"


def iso_time(moment: dt.datetime) -> str:
    """A time as the API writes it (ISO 8601, ``Z`` for UTC)."""
    return msgspec.json.encode(moment).decode().strip('"')


def _shown(answer: ApiAnswer[WorkflowResponse], out: TextIO, *, as_json: bool) -> int:
    """Print a run's state (for people, or as the API sent it); the exit code it means."""
    _emit(out, answer.json()) if as_json else out.write(render_state(answer.body) + "\n")
    return EXIT_FAILED if answer.body.workflow_status in _FAILED else EXIT_OK


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
    state = await api.answer("POST", "/v3/workflow/start", WorkflowResponse, body=body)
    return _shown(state, out, as_json=as_json)


async def redrive(api: ApiClient, run_id: str, out: TextIO, *, as_json: bool) -> int:
    """Continue a FAILED run at the state that failed; print its next stable state."""
    state = await api.answer("POST", f"/v3/workflow/{run_id}/redrive", WorkflowResponse)
    return _shown(state, out, as_json=as_json)


async def status(api: ApiClient, run_id: str, out: TextIO, *, as_json: bool) -> int:
    """Print a run's state."""
    state = await api.answer("GET", f"/v3/workflow/{run_id}", WorkflowResponse)
    return _shown(state, out, as_json=as_json)


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
    state = (await api.answer("GET", f"/v3/workflow/{run_id}", WorkflowResponse)).body
    view = state.view
    if state.workflow_status is not RunStatus.WAITING or not view:
        out.write(render_state(state) + "\n")
        sys.stderr.write(f"drift resume: run {run_id} is not waiting for an answer\n")
        return EXIT_FAILED
    if answers is None:
        out.write(render_state(state) + "\n")
        answers = {}
        for option in view.input_options:
            reply = ask(f"{option.id}> ").strip()
            if reply:
                answers[option.id] = [item.strip() for item in reply.split(",") if item.strip()]
    body = {"viewResponse": {"selectedOptions": answers}, "node": state.current_node}
    try:
        after = await api.answer(
            "PUT", f"/v3/workflow/resume/{run_id}", WorkflowResponse, body=body
        )
    except ApiFailure as failure:
        if failure.status in {409, 422}:
            sys.stderr.write(failure.describe() + "\n")
            return EXIT_FAILED
        raise
    return _shown(after, out, as_json=as_json)


async def logs(api: ApiClient, run_id: str, out: TextIO, *, as_json: bool) -> int:
    """Print a run's node-by-node history."""
    history = await api.answer("GET", f"/v3/workflow/{run_id}/history", RunHistory)
    if as_json:
        _emit(out, history.json())
        return EXIT_OK
    for entry in history.body.entries:
        nodes = ", ".join(entry.nodes) or "-"
        mark = "  (failed attempt, redriven)" if entry.superseded else ""
        line = f"{iso_time(entry.at)}  {entry.event:<10} {nodes}  {entry.detail or ''}{mark}"
        out.write(line.rstrip() + "\n")
    return EXIT_OK
