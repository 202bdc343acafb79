"""Twelve-factor settings: a Struct of settings filled from the environment and a file.

Each service declares its settings as a msgspec Struct. A field ``store_url`` is read from
the environment variable ``DRIFT_STORE_URL``; an optional YAML or JSON file (named by
``DRIFT_CONFIG_FILE``) may give the same settings by their field names. The environment
wins over the file, the file over the defaults. Values are converted to the field's type
and a wrong one is refused with the variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec

from drift_models.decoding import DocumentError, convert_strict

__all__ = ["CONFIG_FILE_VARIABLE", "PREFIX", "SettingsError", "environment_names", "load_settings"]

PREFIX: Final = "DRIFT_"
CONFIG_FILE_VARIABLE: Final = "DRIFT_CONFIG_FILE"

S = TypeVar("S", bound=msgspec.Struct)


class SettingsError(ValueError):
    """A setting that cannot be read, naming the variable or file and what was wrong."""


def environment_names(settings_type: type[msgspec.Struct]) -> dict[str, str]:
    """Field name → the environment variable that sets it (``DRIFT_<FIELD>``)."""
    return {f.name: PREFIX + f.name.upper() for f in msgspec.structs.fields(settings_type)}


def load_settings(
    settings_type: type[S],
    environ: Mapping[str, str] | None = None,
    file: Path | None = None,
) -> S:
    """Build ``settings_type`` from a file (optional), then the environment.

    Args:
        settings_type: the Struct to fill.
        environ: the environment (default: the process's).
        file: a YAML or JSON file; default: the one ``DRIFT_CONFIG_FILE`` names, if any.

    Raises:
        SettingsError: naming the variable or file key and what was expected.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = file or (Path(env[CONFIG_FILE_VARIABLE]) if env.get(CONFIG_FILE_VARIABLE) else None)
    if path is not None:
        values.update(_read_file(path))
    names = environment_names(settings_type)
    raw_from_env: dict[str, str] = {}
    for field in msgspec.structs.fields(settings_type):
        text = env.get(names[field.name])
        if text is not None:
            raw_from_env[field.name] = text
            values[field.name] = _from_text(text, field.type)
    try:
        return convert_strict(values, settings_type)  # type: ignore[no-any-return]
    except DocumentError as error:
        problem = error.problems[0]
        name = problem.path.removeprefix("$.").split(".")[0].split("[")[0]
        source = names.get(name, name) if name in raw_from_env else f"{path or 'settings'}: {name}"
        msg = f"setting {source}: {problem.message}"
        raise SettingsError(msg) from None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as error:
        msg = f"cannot read the settings file {path}: {error.strerror}"
        raise SettingsError(msg) from None
    if path.suffix == ".json":
        data = msgspec.json.decode(text)
    else:
        try:
            import yaml  # noqa: PLC0415 - only needed for YAML files
        except ImportError:
            msg = f"{path} is YAML but PyYAML is not installed (pip install pyyaml)"
            raise SettingsError(msg) from None
        data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        msg = f"the settings file {path} must hold a mapping of setting names to values"
        raise SettingsError(msg)
    return {str(key).replace("-", "_"): value for key, value in data.items()}


def _from_text(text: str, field_type: Any) -> Any:
    """Read an environment value as the field's type.

    Text is kept when the field takes it; otherwise it is read as JSON (numbers,
    booleans, lists); a list may also be written as comma-separated items.
    """
    try:
        msgspec.convert(text, field_type)
    except msgspec.ValidationError:
        pass
    else:
        return text
    try:
        return msgspec.json.decode(text.strip())
    except msgspec.DecodeError:
        items = [item.strip() for item in text.split(",") if item.strip()]
        try:
            msgspec.convert(items, field_type)
        except msgspec.ValidationError:
            return text
        return items
