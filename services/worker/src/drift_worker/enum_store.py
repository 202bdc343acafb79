"""Each tenant's lookup values, the ``_enum_store`` of its runs.

Service addresses and settings that node definitions read as ``_enum_store.<key>``.
They come from a YAML or JSON file mapping tenant ids to values; the key ``"*"`` holds
values every tenant gets (a tenant's own values win).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

__all__ = ["EnumStore", "EnumStoreError"]


class EnumStoreError(ValueError):
    """An enum store file that cannot be read."""


class EnumStore:
    """Tenant → lookup values.

    Args:
        values: tenant id (or ``"*"``) → its values.
    """

    def __init__(self, values: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._values = {tenant: dict(items) for tenant, items in (values or {}).items()}

    @classmethod
    def from_file(cls, path: Path) -> EnumStore:
        """Read a YAML (or ``.json``) file of tenant → values.

        Raises:
            EnumStoreError: naming the file and what is wrong.
        """
        try:
            text = path.read_text()
        except OSError as error:
            msg = f"cannot read the enum store file {path}: {error.strerror}"
            raise EnumStoreError(msg) from None
        if path.suffix == ".json":
            data = msgspec.json.decode(text)
        else:
            import yaml  # noqa: PLC0415 - only for YAML files

            data = yaml.safe_load(text) or {}
        try:
            values = msgspec.convert(data, dict[str, dict[str, Any]])
        except msgspec.ValidationError as error:
            msg = f"{path}: expected tenant ids mapping to objects of values ({error})"
            raise EnumStoreError(msg) from None
        return cls(values)

    def for_tenant(self, tenant: str) -> dict[str, Any]:
        """The values a run of ``tenant`` sees."""
        return {**self._values.get("*", {}), **self._values.get(tenant, {})}

    def set(self, tenant: str, values: Mapping[str, Any]) -> None:
        """Replace a tenant's own values."""
        self._values[tenant] = dict(values)
