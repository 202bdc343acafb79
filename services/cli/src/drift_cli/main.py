"""Entry point of the ``drift`` command.

Exit codes: 0 success; 1 the command ran and found problems (invalid files, a failed
run); 2 bad usage or settings; 3 the server could not be reached or refused the request.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from drift_cli import __version__
from drift_cli.dev import DevError, DevOptions, run_dev
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
    for flag, port in defaults.ports().items():
        dev.add_argument(flag, type=int, default=port, metavar="PORT")
    validate = commands.add_parser(
        "validate", help="check definition files locally (no server needed)"
    )
    validate.add_argument(
        "paths", nargs="+", type=Path, help="files or folders of JSON definitions"
    )
    validate.add_argument("--json", action="store_true", help="print the findings as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``drift`` with ``argv`` (default: the process arguments); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "validate":
        return _validate(args.paths, as_json=args.json)
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
        )
        try:
            return run_dev(options)
        except DevError as error:
            sys.stderr.write(f"drift dev: {error}\n")
            return EXIT_USAGE
    parser.print_help()
    return EXIT_USAGE


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


if __name__ == "__main__":
    raise SystemExit(main())
