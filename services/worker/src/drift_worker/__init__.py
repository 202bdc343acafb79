"""The Drift Temporal worker: one generic workflow that interprets pinned definitions.

``drift_worker.runtime.running_worker`` assembles a worker (store, definition cache,
nodes, Temporal); ``drift_worker.main`` is the ``drift-worker`` command.
"""

from __future__ import annotations

__version__ = "0.2.0"

__all__ = ["__version__"]
