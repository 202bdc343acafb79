"""JSON Schema of the DSL, generated from the models.

The checked-in files under ``packages/drift-models/schema/`` are what editors and
other tools use; a test fails when they differ from what this module generates.
Regenerate them with ``python -m drift_models.schema packages/drift-models/schema``.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import Any, Final

import msgspec

from drift_models.registry import NodeTypes

__all__ = ["SCHEMA_FILES", "generate_schemas", "main"]

SCHEMA_BASE: Final = "https://drift.dev/schema/"
_ATTRIBUTE: Final = re.compile(r"^    (\w+): (.*)$")
_HAS_ATTRIBUTES: Final = 2

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
    classes = _struct_classes(msgspec.inspect.type_info(type_), {})
    for component_name, component in components.items():
        cls = classes.get(component_name)
        if cls is not None:
            _describe(component, cls)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + name,
        "title": title,
        **root,
        "$defs": dict(sorted(components.items())),
    }


def _struct_classes(info: Any, found: dict[str, type]) -> dict[str, type]:
    """Every Struct class reachable from ``info``, by the name its schema component uses."""
    if isinstance(info, msgspec.inspect.StructType):
        if info.cls.__name__ in found:
            return found
        found[info.cls.__name__] = info.cls
        for field in info.fields:
            _struct_classes(field.type, found)
        return found
    for attribute in ("type", "types", "item_type", "key_type", "value_type", "item_types"):
        child = getattr(info, attribute, None)
        for item in child if isinstance(child, tuple) else (child,):
            if isinstance(item, msgspec.inspect.Type):
                _struct_classes(item, found)
    return found


def _describe(component: dict[str, Any], cls: type) -> None:
    """Use the class docstring: its summary for the object, its attributes per property."""
    summary, attributes = _parse_docstring(inspect.getdoc(cls) or "")
    component["description"] = summary
    names = {f.name: f.encode_name for f in msgspec.structs.fields(cls)}
    for attribute, text in attributes.items():
        prop = component.get("properties", {}).get(names.get(attribute, ""))
        if prop is not None and "description" not in prop:
            prop["description"] = text


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    summary, _, rest = doc.partition("\n\n")
    attributes: dict[str, str] = {}
    section = rest.split("Attributes:", 1)
    if len(section) == _HAS_ATTRIBUTES:
        current = ""
        for line in section[1].splitlines():
            match = _ATTRIBUTE.match(line)
            if match:
                current = match.group(1)
                attributes[current] = match.group(2).strip()
            elif current and line.strip():
                attributes[current] += " " + line.strip()
            elif not line.strip() and current:
                current = ""
    attributes = {name: text.replace("``", "`") for name, text in attributes.items()}
    return " ".join(summary.split()).replace("``", "`"), attributes


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
