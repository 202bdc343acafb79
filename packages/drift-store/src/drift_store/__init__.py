"""Drift storage: definitions and run contexts in SQLite or HBase, and the definition cache.

The storage protocols, the embedded SQLite backend, the HBase backend and the Redis-backed
definition cache arrive with the storage issue; this release holds the package in place.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
