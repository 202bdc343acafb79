"""The Starlark script checker: compile only, report the line and column of a fault.

:func:`check_script` is the :class:`drift_models.ScriptChecker` the API and the CLI pass
to ``validate_node_definition`` and ``validate_workflow``, so a script that does not
compile is refused when it is saved, not when a run reaches it.
"""

from __future__ import annotations

import functools

import starlark

from drift_models import ScriptIssue
from drift_nodes._sandbox_child import FILE_NAME, describe_error, dialect

__all__ = ["check_script"]


@functools.lru_cache(maxsize=1024)
def check_script(source: str, /) -> ScriptIssue | None:
    r"""Compile ``source``; ``None`` when it compiles, else where and why it does not.

    Example:
        >>> check_script("x = (1,\n  2").line
        2
    """
    try:
        starlark.parse(FILE_NAME, source.rstrip(), dialect())
    except starlark.StarlarkError as error:
        message, line, column = describe_error(str(error))
        return ScriptIssue(line=line or 1, column=column or 1, message=message)
    return None
