"""Bodies of the definition routes (``/nodeDefinition``, ``/workflowDefinition``).

The documents themselves are the DSL (:class:`~drift_models.NodeDefinition`,
:class:`~drift_models.WorkflowDefinition`); these are what the routes answer around
them: pages of a listing, version histories, pointers, validation reports, the saved
draft with its problems, and the request that activates a version. The API builds them
from its store's records; the CLI decodes the API's answers into them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from drift_models._base import AnswerStruct, ApiStruct
from drift_models.problems import Problem
from drift_models.versions import VersionNumber

__all__ = [
    "ActivateRequest",
    "DefinitionPage",
    "DefinitionSummaryBody",
    "PointersBody",
    "PublishedDefinition",
    "SavedDefinition",
    "ValidationReport",
    "VersionBody",
]


class DefinitionSummaryBody(AnswerStruct, kw_only=True):
    """One definition in a listing.

    Attributes:
        id: the definition's id.
        latest: its ``LATEST`` number, if published.
        active: its ``ACTIVE`` number, if activated.
        updated_at: when its draft or pointers last changed.
    """

    id: str
    latest: int | None
    active: int | None
    updated_at: dt.datetime


class DefinitionPage(AnswerStruct, kw_only=True):
    """One page of a listing, ordered by id.

    Attributes:
        items: this page's definitions.
        next_cursor: pass it as ``after`` for the next page; ``null`` on the last.
    """

    items: list[DefinitionSummaryBody]
    next_cursor: str | None


class VersionBody(AnswerStruct, kw_only=True):
    """One published version.

    Attributes:
        version: the number.
        published_at: when it was published.
        is_latest: whether ``LATEST`` points here.
        is_active: whether ``ACTIVE`` points here.
    """

    version: int
    published_at: dt.datetime
    is_latest: bool
    is_active: bool


class PointersBody(AnswerStruct, kw_only=True):
    """Where a definition's named versions point (the answer of activate and rollback).

    Attributes:
        id: the definition.
        latest: the newest published number.
        active: the number runs start by default.
        previously_active: earlier activations, the most recent first (a rollback goes
            back to the first).
    """

    id: str
    latest: int | None
    active: int | None
    previously_active: list[int]


class ActivateRequest(ApiStruct, kw_only=True):
    """Point ``ACTIVE`` at a published number.

    Attributes:
        version: the published number to activate.
    """

    version: Annotated[int, msgspec.Meta(ge=1, le=2**31)]


class ValidationReport(AnswerStruct, kw_only=True):
    """Every problem of a definition, errors and warnings, each with its JSON path.

    Attributes:
        valid: whether there is no error (warnings do not block publishing).
        problems: what is wrong and where, in document order.
    """

    valid: bool
    problems: list[Problem]


class SavedDefinition(msgspec.Struct, kw_only=True, rename="camel"):
    """A saved SNAPSHOT with its problems (a workflow draft may still have errors).

    Attributes:
        definition: the stored draft, a DSL document (decode it with the node types
            that wrote it: :meth:`~drift_models.NodeTypes.decode_workflow`).
        problems: what the draft's validation found.
    """

    definition: Any
    problems: list[Problem]


class PublishedDefinition(msgspec.Struct, kw_only=True, rename="camel"):
    """What a client reads of the definition a publish answers: its id and new number.

    The answer is the whole published DSL document; this is the part every client can
    read without the node types (plugins) the document was written with. Other fields
    are ignored; ``version`` must be a published number, never ``SNAPSHOT``.

    Attributes:
        id: the definition.
        version: the number it was published as.
    """

    id: str
    version: VersionNumber
