"""The base Structs every Drift document and contract derives from."""

from __future__ import annotations

import msgspec


class DslStruct(
    msgspec.Struct,
    kw_only=True,
    frozen=True,
    forbid_unknown_fields=True,
    rename="camel",
    omit_defaults=True,
):
    """Base of every type authors write: camelCase on the wire, strict, immutable.

    msgspec applies ``kw_only`` and type checkers apply ``frozen`` per class, so every
    subclass repeats ``frozen=True, kw_only=True`` (required fields may then follow the
    optional ones they inherit).

    ``omit_defaults`` keeps encoded definitions as short as the author wrote them, so a
    definition that went through the store reads the same as the file it came from.
    """


class ApiStruct(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="camel"):
    """Base of request and response bodies of the REST API.

    Kept apart from :class:`DslStruct` so API bodies can evolve (and be built up field
    by field by the services) without touching the language authors write. Every field
    is always encoded, so clients see one stable shape with explicit nulls. Subclasses
    repeat ``kw_only=True``.

    Bodies the API reads refuse fields they do not know, so a typo in a request is an
    error that names it, never a setting silently ignored.
    """


class AnswerStruct(ApiStruct, kw_only=True, forbid_unknown_fields=False):
    """Base of bodies the API sends and never reads: a tolerant reader.

    A client decoding an answer ignores the fields it does not know, so an API that
    gains a field does not break the clients released before it (the CLI, the console,
    other services). Everything else is :class:`ApiStruct`'s.
    """
