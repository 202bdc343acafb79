"""The ``drift`` command: run the whole platform locally and manage definitions from files."""

from __future__ import annotations

import importlib.metadata

#: The installed distribution's version: pyproject.toml is its one source.
__version__ = importlib.metadata.version("drift-cli")

__all__ = ["__version__"]
