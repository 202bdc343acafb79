"""The optional parts of drift-store and the clear error when one is not installed.

drift-store alone stores in SQLite. The HBase backend (``hbase://`` URLs) and Redis
(the definition cache's cross-process invalidation, :func:`drift_store.connect_redis`)
need clients that only the extras bring: ``pip install "drift-store[hbase]"`` and
``pip install "drift-store[redis]"``. Their modules are imported only where they are
used, after :func:`require_extra` has checked that they are there.
"""

from __future__ import annotations

import importlib.util
from typing import Final, Literal, TypeAlias

from drift_store.errors import MissingExtraError

__all__ = ["EXTRAS", "Extra", "require_extra"]

Extra: TypeAlias = Literal["hbase", "redis"]

#: The modules each extra installs, and what they serve.
EXTRAS: Final[dict[Extra, tuple[tuple[str, ...], str]]] = {
    "hbase": (("aiohappybase", "thriftpy2"), "hbase:// store URLs"),
    "redis": (("redis",), "Redis (the definition cache's invalidation, connect_redis)"),
}


def require_extra(extra: Extra) -> None:
    """Check that the modules of ``extra`` can be imported.

    Raises:
        MissingExtraError: naming the extra to install and the modules missing.
    """
    modules, purpose = EXTRAS[extra]
    missing = [module for module in modules if importlib.util.find_spec(module) is None]
    if missing:
        msg = (
            f"{purpose} need drift-store's {extra!r} extra: "
            f'pip install "drift-store[{extra}]" (not installed: {", ".join(missing)})'
        )
        raise MissingExtraError(msg, extra=extra, missing=tuple(missing))
