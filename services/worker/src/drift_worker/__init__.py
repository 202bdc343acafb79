"""The Drift Temporal worker: one generic workflow that interprets pinned definitions.

``drift_worker.runtime.running_worker`` assembles a worker (store, definition cache,
nodes, Temporal); ``drift_worker.main`` is the ``drift-worker`` command.
"""

from __future__ import annotations

import importlib.metadata

#: The installed distribution's version: pyproject.toml is its one source.
__version__ = importlib.metadata.version("drift-worker")

__all__ = ["__version__"]
