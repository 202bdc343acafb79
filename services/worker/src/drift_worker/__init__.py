"""The Drift Temporal worker: one generic workflow that interprets pinned definitions.

The workflow, its activities and the worker process arrive with the worker issue; this
release holds the package in place.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
