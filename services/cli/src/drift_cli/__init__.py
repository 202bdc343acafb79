"""The ``drift`` command: run the whole platform locally and manage definitions from files."""

from __future__ import annotations

__version__ = "0.2.0"

__all__ = ["__version__"]
