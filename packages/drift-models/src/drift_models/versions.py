"""Versions of definitions and references to them.

``SNAPSHOT`` is the one mutable draft of a definition. Publishing freezes it as the next
number (1, 2, …) and moves ``LATEST`` to that number; activating points ``ACTIVE`` at a
published number. A run resolves every pointer to a number when it starts.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

import msgspec

__all__ = [
    "ACTIVE",
    "LATEST",
    "SNAPSHOT",
    "DefinitionVersion",
    "Pointer",
    "VersionNumber",
    "VersionRef",
    "parse_version_ref",
]


SNAPSHOT: Final = "SNAPSHOT"
LATEST: Final = "LATEST"
ACTIVE: Final = "ACTIVE"

VersionNumber = Annotated[int, msgspec.Meta(ge=1, description="A published version number.")]
"""A published version: 1, 2, …"""

DefinitionVersion = VersionNumber | Literal["SNAPSHOT"]
"""The version a stored definition carries: a published number or the draft."""

Pointer = Literal["SNAPSHOT", "LATEST", "ACTIVE"]
"""A named version."""

VersionRef = VersionNumber | Pointer
"""How a reference names a version: a number, or one of the three pointers."""


def parse_version_ref(text: str) -> int | Pointer:
    """Read a version reference from text, e.g. a URL segment or a CLI flag.

    Pointer names are accepted in any case (``latest`` is ``LATEST``).

    Raises:
        ValueError: naming the accepted spellings.
    """
    stripped = text.strip()
    if stripped.isdigit() and int(stripped) >= 1:
        return int(stripped)
    upper = stripped.upper()
    if upper == SNAPSHOT:
        return SNAPSHOT
    if upper == LATEST:
        return LATEST
    if upper == ACTIVE:
        return ACTIVE
    msg = f"version {text!r} is not a number ≥ 1, SNAPSHOT, LATEST or ACTIVE"
    raise ValueError(msg)
