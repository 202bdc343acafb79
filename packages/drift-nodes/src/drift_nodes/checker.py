"""The Starlark script checker: compile only, report the line and column of a fault.

:func:`check_script` is the :class:`drift_models.ScriptChecker` the API and the CLI pass
to ``validate_node_definition`` and ``validate_workflow``, so a script that does not
compile is refused when it is saved, not when a run reaches it.

It runs in the API process, so it parses only what cannot crash that process: a script
nested deeper than ``_shape.MAX_SCRIPT_DEPTH`` (measured from its tokens, without
parsing) is refused as it is, with code ``script-too-deep``; one longer than
``_shape.MAX_SCRIPT_CHARS`` with ``script-too-long``.
"""

from __future__ import annotations

import functools
from typing import Final

import starlark

from drift_models import ScriptIssue
from drift_nodes._sandbox_child import FILE_NAME, describe_error, dialect
from drift_nodes._shape import screen_script

__all__ = ["check_script"]

_CACHED_LENGTH: Final = 64 * 1024
"""Longer sources are checked every time: the cache must not hold megabytes of them."""


def check_script(source: str, /) -> ScriptIssue | None:
    r"""Compile ``source``; ``None`` when it compiles, else where and why it does not.

    Example:
        >>> check_script("x = (1,\n  2").line
        2
    """
    if len(source) <= _CACHED_LENGTH:
        return _check_cached(source)
    return _check(source)


@functools.lru_cache(maxsize=1024)
def _check_cached(source: str) -> ScriptIssue | None:
    return _check(source)


def _check(source: str) -> ScriptIssue | None:
    _, refusal = screen_script(source)
    if refusal is not None:
        return ScriptIssue(line=refusal.line, column=1, message=refusal.message, code=refusal.code)
    try:
        starlark.parse(FILE_NAME, source.rstrip(), dialect())
    except starlark.StarlarkError as error:
        message, line, column = describe_error(str(error))
        return ScriptIssue(line=line or 1, column=column or 1, message=message)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - a Rust panic is a BaseException
        message = "the script could not be checked: the checker failed on it; simplify it"
        return ScriptIssue(line=1, column=1, message=message, code="script-unchecked")
    return None
