"""Entry point of the ``drift`` command.

Exit codes: 0 success; 1 the command ran and found problems (invalid files, a failed
run, an answer of the API that is not the body it promises, named by its field); 2 bad
usage or settings; 3 the server could not be reached or refused the request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from drift_cli import __version__, commands
from drift_cli.client import (
    ApiAnswerInvalid,
    ApiClient,
    ApiFailure,
    ApiUnreachable,
    Connection,
    resolve_connection,
)
from drift_cli.commands import ApplyOptions
from drift_cli.dev import DevError, DevOptions, run_dev
from drift_cli.run_listing import RunListOptions, list_runs
from drift_cli.validate import validate_files

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_UNREACHABLE", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``drift`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="drift", description="Drift: a low-code workflow platform on Temporal."
    )
    parser.add_argument("--version", action="version", version=f"drift {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    dev = commands.add_parser("dev", help="run the whole platform on this machine")
    defaults = DevOptions()
    dev.add_argument(
        "--data-dir",
        type=Path,
        default=defaults.data_dir,
        help="store, Temporal database and logs (default: .drift)",
    )
    dev.add_argument(
        "--examples",
        type=Path,
        default=defaults.examples,
        help="definitions to load (default: examples)",
    )
    dev.add_argument("--no-examples", action="store_true", help="load no definitions")
    dev.add_argument("--tenant", default=defaults.tenant, help="the tenant the examples belong to")
    for flag, port in defaults.all_ports().items():
        dev.add_argument(flag, type=int, default=port, metavar="PORT")
    dev.add_argument(
        "--temporal-address",
        metavar="HOST:PORT",
        help="run on this existing Temporal (e.g. a cluster of yours) instead of starting a "
        "dev server; --temporal-port and --ui-port are then unused",
    )
    dev.add_argument(
        "--temporal-namespace",
        default=defaults.temporal_namespace,
        help="the namespace on --temporal-address (it must exist; default: default)",
    )
    dev.add_argument(
        "--max-restarts",
        type=int,
        default=defaults.max_restarts,
        metavar="N",
        help="restarts of a dead worker or API within five minutes before drift dev exits 1 "
        f"(default: {defaults.max_restarts}; 0: exit at the first death)",
    )
    dev.add_argument("--verbose", action="store_true", help="also print every process id at start")
    _remote_commands(commands)
    validate = commands.add_parser(
        "validate", help="check definition files locally (no server needed)"
    )
    validate.add_argument(
        "paths", nargs="+", type=Path, help="files or folders of JSON definitions"
    )
    validate.add_argument("--json", action="store_true", help="print the findings as JSON")
    scenario_test = commands.add_parser(
        "test", help="run workflows' scenario files locally (no server, no network)"
    )
    scenario_test.add_argument(
        "paths", nargs="+", type=Path, help="files or folders of definitions and *.scenarios.json"
    )
    scenario_test.add_argument(
        "-k", dest="keyword", help="only the scenarios whose name contains this"
    )
    return parser


def _remote_commands(commands: Any) -> None:
    """The subcommands that talk to a running API."""
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument("--api", help="the API's address (DRIFT_API_URL; default: drift dev's)")
    connection.add_argument("--api-key", help="the API key (DRIFT_API_KEY)")
    connection.add_argument("--tenant", help="the tenant (DRIFT_TENANT)")
    connection.add_argument("--json", action="store_true", help="print JSON for machines")
    apply = commands.add_parser(
        "apply", parents=[connection], help="write definition files to the API (idempotent)"
    )
    apply.add_argument("paths", nargs="+", type=Path)
    apply.add_argument("--publish", action="store_true", help="publish drafts that changed")
    apply.add_argument("--activate", action="store_true", help="publish and activate workflows")
    publish = commands.add_parser("publish", parents=[connection], help="publish a draft")
    publish.add_argument("kind", choices=["node", "workflow"])
    publish.add_argument("id")
    activate = commands.add_parser(
        "activate", parents=[connection], help="activate a workflow version"
    )
    activate.add_argument("id")
    activate.add_argument(
        "version", nargs="?", type=int, help="omit to roll back to the previous one"
    )
    graph = commands.add_parser("graph", parents=[connection], help="save a picture of a workflow")
    graph.add_argument("id")
    graph.add_argument("-o", "--output", type=Path, required=True, help="a .svg or .png file")
    graph.add_argument("--version")
    graph.add_argument("--run", help="colour this run's path and current node")
    start = commands.add_parser("start", parents=[connection], help="start a run and show its view")
    start.add_argument("id", help="the workflow")
    start.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a start parameter (JSON values allowed)",
    )
    start.add_argument("--version")
    start.add_argument("--run-id", help="the run's id (also the idempotency key)")
    resume = commands.add_parser("resume", parents=[connection], help="answer a run's view")
    resume.add_argument("run")
    resume.add_argument(
        "--answer",
        action="append",
        metavar="WIDGET=VALUE",
        help="answer without asking (repeatable)",
    )
    runs = commands.add_parser(
        "runs", parents=[connection], help="list runs (newest first) by workflow, status, node..."
    )
    runs.add_argument("--workflow", help="runs of this workflow definition")
    runs.add_argument("--version", type=int, help="runs pinned to this version")
    runs.add_argument(
        "--status", action="append", default=[], help="runs in this status (repeatable: OR)"
    )
    runs.add_argument("--node", help="runs at (or ended at) this state")
    runs.add_argument("--client", help="runs started by this client id")
    runs.add_argument("--user", help="runs started by this user id")
    for bound in ("started-after", "started-before", "closed-after", "closed-before"):
        runs.add_argument(f"--{bound}", metavar="ISO-TIME", help=f"runs {bound.replace('-', ' ')}")
    runs.add_argument("--limit", type=int, default=50, help="the most runs to show (default 50)")
    for name, text in (
        ("status", "show a run's state"),
        ("logs", "show a run's node-by-node history"),
        ("redrive", "continue a FAILED run at the state that failed"),
    ):
        command = commands.add_parser(name, parents=[connection], help=text)
        command.add_argument("run")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``drift`` with ``argv`` (default: the process arguments); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "validate":
        return _validate(args.paths, as_json=args.json)
    if args.command == "test":
        return _test(args.paths, keyword=args.keyword)
    if args.command in _REMOTE:
        return _run_remote(args)
    if args.command == "dev":
        options = DevOptions(
            data_dir=args.data_dir,
            examples=None if args.no_examples else args.examples,
            tenant=args.tenant,
            api_port=args.api_port,
            api_admin_port=args.api_admin_port,
            temporal_port=args.temporal_port,
            ui_port=args.ui_port,
            worker_admin_port=args.worker_admin_port,
            demo_port=args.demo_port,
            max_restarts=max(0, args.max_restarts),
            verbose=args.verbose,
            temporal_address=args.temporal_address,
            temporal_namespace=args.temporal_namespace,
        )
        try:
            return run_dev(options)
        except DevError as error:
            sys.stderr.write(f"drift dev: {error}\n")
            return EXIT_USAGE
    parser.print_help()
    return EXIT_USAGE


_SERVER_ERROR = 500
_REMOTE = frozenset(
    {
        "apply",
        "publish",
        "activate",
        "graph",
        "start",
        "resume",
        "status",
        "logs",
        "runs",
        "redrive",
    }
)


def _run_remote(args: argparse.Namespace) -> int:
    connection = resolve_connection(url=args.api, api_key=args.api_key, tenant=args.tenant)
    try:
        return asyncio.run(_remote(args, connection))
    except ApiUnreachable as error:
        sys.stderr.write(f"drift {args.command}: {error}\n")
        return EXIT_UNREACHABLE
    except ApiAnswerInvalid as error:
        sys.stderr.write(f"drift {args.command}: {error}\n")
        return EXIT_FAILED
    except ApiFailure as failure:
        sys.stderr.write(f"drift {args.command}: {failure.describe()}\n")
        return (
            EXIT_UNREACHABLE
            if failure.status in {401, 403} or failure.status >= _SERVER_ERROR
            else EXIT_FAILED
        )


async def _remote(args: argparse.Namespace, connection: Connection) -> int:  # noqa: C901, PLR0911 - one per command
    out = sys.stdout
    async with ApiClient(connection) as api:
        if args.command == "apply":
            from drift_nodes import discover_nodes  # noqa: PLC0415

            options = ApplyOptions(publish=args.publish or args.activate, activate=args.activate)
            return await commands.apply(
                api, args.paths, discover_nodes().node_types, options, out, as_json=args.json
            )
        if args.command == "publish":
            return await commands.publish(api, args.kind, args.id, out, as_json=args.json)
        if args.command == "activate":
            return await commands.activate(api, args.id, args.version, out, as_json=args.json)
        if args.command == "graph":
            return await commands.graph(
                api, args.id, args.output, version=args.version, run_id=args.run, out=out
            )
        if args.command == "start":
            params = dict(_pair(item) for item in args.param)
            return await commands.start(
                api,
                args.id,
                params,
                out,
                version=args.version,
                run_id=args.run_id,
                as_json=args.json,
            )
        if args.command == "resume":
            answers: dict[str, list[str]] | None = None
            if args.answer:
                answers = {}
                for item in args.answer:
                    key, value = _pair(item)
                    answers.setdefault(key, []).append(str(value))
            return await commands.resume(api, args.run, answers, out, as_json=args.json)
        if args.command == "status":
            return await commands.status(api, args.run, out, as_json=args.json)
        if args.command == "redrive":
            return await commands.redrive(api, args.run, out, as_json=args.json)
        if args.command == "runs":
            return await list_runs(api, _run_filters(args), out, as_json=args.json)
        return await commands.logs(api, args.run, out, as_json=args.json)


def _run_filters(args: argparse.Namespace) -> RunListOptions:
    return RunListOptions(
        workflow=args.workflow,
        version=args.version,
        statuses=args.status,
        node=args.node,
        client=args.client,
        user=args.user,
        started_after=args.started_after,
        started_before=args.started_before,
        closed_after=args.closed_after,
        closed_before=args.closed_before,
        limit=max(1, args.limit),
    )


def _pair(text: str) -> tuple[str, Any]:
    """``name=value``; the value is read as JSON when it is (numbers, true), else text."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        msg = f"expected NAME=VALUE, got {text!r}"
        msg_0 = f"drift: {msg}"
        raise SystemExit(msg_0)
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def _validate(paths: list[Path], *, as_json: bool) -> int:
    from drift_nodes import discover_nodes  # noqa: PLC0415 - only this command needs the nodes

    nodes, workflows, findings = validate_files(paths, discover_nodes().node_types)
    errors = [f for f in findings if f.is_error]
    if as_json:
        sys.stdout.write(json.dumps([f.to_json() for f in findings], indent=2) + "\n")
    else:
        for finding in findings:
            sys.stdout.write(finding.line() + "\n")
        verdict = "invalid" if errors else "valid"
        sys.stdout.write(
            f"{nodes} node definitions, {workflows} workflows: {verdict} "
            f"({len(errors)} errors, {len(findings) - len(errors)} warnings)\n"
        )
    return EXIT_FAILED if errors else EXIT_OK


def _test(paths: list[Path], *, keyword: str | None) -> int:
    from drift_cli.scenario_tests import run_scenario_files  # noqa: PLC0415 - nodes are heavy

    outcome = asyncio.run(run_scenario_files(paths, keyword=keyword))
    for problem in outcome.problems:
        sys.stdout.write(problem + "\n")
    for file, report in outcome.reports:
        if not report.passed:
            sys.stdout.write(f"{file}: {report.render()}\n")
    failed = sum(1 for _, report in outcome.reports if not report.passed)
    sys.stdout.write(
        f"{len(outcome.reports)} scenarios: {len(outcome.reports) - failed} passed, "
        f"{failed} failed\n"
    )
    return EXIT_OK if outcome.passed else EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
