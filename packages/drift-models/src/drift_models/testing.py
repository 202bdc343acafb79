"""Property-testing kit for Drift documents (needs ``drift-models[testing]``).

:func:`instances` draws valid values of any Drift type (a node definition, a
workflow, a plugin's config Struct) from its declared types and constraints, so a new
field is covered the day it is added. :func:`mutations` draws a valid document and
breaks it in one place — an unknown field, a wrong type, a bad enum value, a missing
required field — together with the JSON path the decoder must report.

Example:
    >>> from hypothesis import given
    >>> from drift_models import NodeTypes
    >>> from drift_models.testing import instances
    >>> @given(instances(NodeTypes().union))
    ... def test_round_trip(node): ...
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import types
import typing
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args, get_origin

import msgspec
from hypothesis import strategies as st

from drift_models.paths import Segment, format_path

__all__ = ["Mutation", "MutationKind", "instances", "json_values", "mutations"]

_MAX_ITEMS: Final = 3
_BAD_ENUM: Final = "NOT_A_VALID_CHOICE"
_WRONG_CANDIDATES: Final[tuple[Any, ...]] = (123456.5, "not valid\n", [], {}, True)
_UNKNOWN_FIELD: Final = "zzUnknownField"


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value: null, booleans, numbers, strings, and lists and objects of them."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**63), max_value=2**63 - 1)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=12)
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=_MAX_ITEMS)
            | st.dictionaries(st.text(max_size=8), inner, max_size=_MAX_ITEMS)
        ),
        max_leaves=6,
    )


def instances(type_: Any) -> st.SearchStrategy[Any]:
    """Valid values of ``type_``, honouring patterns, bounds and tagged unions."""
    return _strategy(msgspec.inspect.type_info(type_))


def _strategy(info: msgspec.inspect.Type) -> st.SearchStrategy[Any]:  # noqa: C901, PLR0911, PLR0912
    if isinstance(info, msgspec.inspect.Metadata):
        return _strategy(info.type)
    if isinstance(info, msgspec.inspect.StructType):
        return _struct_strategy(info)
    if isinstance(info, msgspec.inspect.UnionType):
        return st.one_of([_strategy(member) for member in info.types])
    if isinstance(info, msgspec.inspect.StrType):
        return _str_strategy(info)
    if isinstance(info, msgspec.inspect.BoolType):
        return st.booleans()
    if isinstance(info, msgspec.inspect.IntType):
        low = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else -(2**31))
        high = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else 2**31)
        return st.integers(min_value=low, max_value=high)
    if isinstance(info, msgspec.inspect.FloatType):
        return _float_strategy(info)
    if isinstance(info, msgspec.inspect.NoneType):
        return st.none()
    if isinstance(info, msgspec.inspect.LiteralType):
        return st.sampled_from(info.values)
    if isinstance(info, msgspec.inspect.EnumType):
        return st.sampled_from(list(info.cls))
    if isinstance(info, msgspec.inspect.DictType):
        return st.dictionaries(
            _strategy(info.key_type), _strategy(info.value_type), max_size=_MAX_ITEMS
        )
    if isinstance(info, msgspec.inspect.ListType):
        return st.lists(_strategy(info.item_type), max_size=_MAX_ITEMS)
    if isinstance(info, msgspec.inspect.VarTupleType):
        return st.lists(_strategy(info.item_type), max_size=_MAX_ITEMS).map(tuple)
    if isinstance(info, msgspec.inspect.DateTimeType):
        return st.datetimes(timezones=st.just(dt.UTC))
    if isinstance(info, msgspec.inspect.AnyType):
        return json_values()
    msg = f"drift_models.testing cannot draw values of {info!r}; use JSON-like types"
    raise TypeError(msg)


def _struct_strategy(info: msgspec.inspect.StructType) -> st.SearchStrategy[Any]:
    required = {f.name: _strategy(f.type) for f in info.fields if f.required}
    optional = {f.name: _strategy(f.type) for f in info.fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: info.cls(**kw))


def _str_strategy(info: msgspec.inspect.StrType) -> st.SearchStrategy[str]:
    if info.pattern is not None:
        strategy = st.from_regex(info.pattern, fullmatch=True)
        if info.min_length is not None or info.max_length is not None:
            low, high = info.min_length or 0, info.max_length or math.inf
            strategy = strategy.filter(lambda s: low <= len(s) <= high)
        return strategy
    return st.text(min_size=info.min_length or 0, max_size=min(info.max_length or 20, 20))


def _float_strategy(info: msgspec.inspect.FloatType) -> st.SearchStrategy[float]:
    return st.floats(
        min_value=info.ge if info.ge is not None else info.gt,
        max_value=info.le if info.le is not None else info.lt,
        exclude_min=info.gt is not None and info.ge is None,
        exclude_max=info.lt is not None and info.le is None,
        allow_nan=False,
        allow_infinity=False,
    )


class MutationKind(enum.StrEnum):
    """How a mutation breaks a document."""

    UNKNOWN_FIELD = "unknown field"
    WRONG_TYPE = "wrong type"
    BAD_ENUM = "bad enum value"
    MISSING_REQUIRED = "missing required field"


@dataclass(frozen=True, slots=True)
class Mutation:
    """A document broken in exactly one place.

    Attributes:
        document: the broken document as JSON-like data.
        kind: how it was broken.
        path: the JSON path the decoder must report.
        field: the field involved.
    """

    document: Any
    kind: MutationKind
    path: str
    field: str


@dataclass(frozen=True, slots=True)
class _Site:
    """A place in a document that can be broken."""

    kind: MutationKind
    container: tuple[Segment, ...]
    field: str
    declared: Any


def mutations(type_: Any) -> st.SearchStrategy[Mutation]:
    """Valid documents of ``type_``, each broken in one place, with the expected path."""
    return _mutation(type_)


@st.composite
def _mutation(draw: st.DrawFn, type_: Any) -> Mutation:
    value = draw(instances(type_))
    document = msgspec.to_builtins(value)
    sites = list(_sites(document, type_, ()))
    site = draw(st.sampled_from(sites))
    broken = msgspec.json.decode(msgspec.json.encode(document))
    target = broken
    for segment in site.container:
        target = target[segment]
    if site.kind is MutationKind.UNKNOWN_FIELD:
        target[_UNKNOWN_FIELD] = 1
        path = format_path(site.container)
    elif site.kind is MutationKind.MISSING_REQUIRED:
        del target[site.field]
        path = format_path(site.container)
    elif site.kind is MutationKind.BAD_ENUM:
        target[site.field] = _BAD_ENUM
        path = format_path((*site.container, site.field))
    else:
        target[site.field] = next(c for c in _WRONG_CANDIDATES if not _accepts(site.declared, c))
        path = format_path((*site.container, site.field))
    return Mutation(document=broken, kind=site.kind, path=path, field=site.field)


def _sites(value: Any, declared: Any, where: tuple[Segment, ...]) -> typing.Iterator[_Site]:
    concrete = _concrete(declared, value)
    if isinstance(concrete, type) and issubclass(concrete, msgspec.Struct):
        yield from _struct_sites(value, concrete, where)
        return
    origin = get_origin(concrete)
    args = get_args(concrete)
    if origin is dict and isinstance(value, dict):
        for key, item in value.items():
            yield from _sites(item, args[1], (*where, key))
    elif origin in (list, tuple) and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _sites(item, args[0], (*where, i))


def _struct_sites(value: Any, struct: type[msgspec.Struct], where: tuple[Segment, ...]) -> Any:
    if struct.__struct_config__.forbid_unknown_fields:
        yield _Site(MutationKind.UNKNOWN_FIELD, where, _UNKNOWN_FIELD, struct)
    for field in msgspec.structs.fields(struct):
        if field.required:
            yield _Site(MutationKind.MISSING_REQUIRED, where, field.encode_name, field.type)
        if _strip(field.type) is Any:
            continue
        if not all(_accepts(field.type, c) for c in _WRONG_CANDIDATES):
            yield _Site(MutationKind.WRONG_TYPE, where, field.encode_name, field.type)
        if _has_choices(field.type) and not _accepts(field.type, _BAD_ENUM):
            yield _Site(MutationKind.BAD_ENUM, where, field.encode_name, field.type)
        if field.encode_name in value:
            yield from _sites(value[field.encode_name], field.type, (*where, field.encode_name))


def _accepts(declared: Any, candidate: Any) -> bool:
    try:
        msgspec.convert(candidate, declared)
    except msgspec.ValidationError:
        return False
    return True


def _has_choices(declared: Any) -> bool:
    for member in _members(declared):
        bare = _strip(member)
        if get_origin(bare) is Literal or (isinstance(bare, type) and issubclass(bare, enum.Enum)):
            return True
    return False


def _members(declared: Any) -> list[Any]:
    bare = _strip(declared)
    if get_origin(bare) in (typing.Union, types.UnionType):
        return [m for arg in get_args(bare) for m in _members(arg)]
    return [declared]


def _strip(declared: Any) -> Any:
    while get_origin(declared) is typing.Annotated:
        declared = get_args(declared)[0]
    return declared


def _concrete(declared: Any, value: Any) -> Any:
    for member in _members(declared):
        if _accepts(member, value):
            return _strip(member)
    return _strip(declared)
