"""JSON Schema of the DSL, generated from the models.

The checked-in files under ``packages/drift-models/schema/`` are what editors and
other tools use; a test fails when they differ from what this module generates.
Regenerate them with ``python -m drift_models.schema packages/drift-models/schema``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Final

import msgspec

from drift_models.registry import NodeTypes

__all__ = ["SCHEMA_FILES", "generate_schemas", "main"]

SCHEMA_BASE: Final = "https://drift.dev/schema/"

SCHEMA_FILES: Final = ("node-definition.schema.json", "workflow-definition.schema.json")
"""The file names :func:`generate_schemas` produces."""


def generate_schemas(node_types: NodeTypes | None = None) -> dict[str, bytes]:
    """The schema files' names and contents, for the built-in (or given) node types."""
    types = node_types or NodeTypes()
    documents = {
        SCHEMA_FILES[0]: _document(types.union, "Drift node definition", SCHEMA_FILES[0]),
        SCHEMA_FILES[1]: _document(
            types.workflow_type, "Drift workflow definition", SCHEMA_FILES[1]
        ),
    }
    return {name: _encode(doc) for name, doc in documents.items()}


def _document(type_: Any, title: str, name: str) -> dict[str, Any]:
    (root,), components = msgspec.json.schema_components([type_], ref_template="#/$defs/{name}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + name,
        "title": title,
        **root,
        "$defs": dict(sorted(components.items())),
    }


def _encode(document: dict[str, Any]) -> bytes:
    return msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"


def main(argv: list[str] | None = None) -> int:
    """Write the schema files into the directory given as the only argument."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m drift_models.schema OUTPUT_DIRECTORY\n")
        return 2
    target = Path(args[0])
    target.mkdir(parents=True, exist_ok=True)
    for name, content in generate_schemas().items():
        (target / name).write_bytes(content)
        sys.stdout.write(f"wrote {target / name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
