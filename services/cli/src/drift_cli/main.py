"""Entry point of the ``drift`` command."""

from __future__ import annotations

import argparse
import sys

from drift_cli import __version__

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``drift`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="drift", description="Drift: a low-code workflow platform on Temporal."
    )
    parser.add_argument("--version", action="version", version=f"drift {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("dev", help="run the whole platform on this machine")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``drift`` with ``argv`` (default: the process arguments); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "dev":
        sys.stdout.write(
            "drift dev is coming soon: it will start Temporal, the store, the API and a "
            "worker on this machine.\n"
        )
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
