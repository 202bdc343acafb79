"""Test harnesses of the worker: a real multi-service Temporal cluster.

See :mod:`drift_worker.testing.temporal_cluster` (``python -m`` it to run one); the Go
build it needs is :func:`ensure_binaries` (cached between runs).
"""

from drift_worker.testing._build import (
    ClusterBinaries,
    ClusterBuildError,
    binaries_present,
    cache_folder,
    ensure_binaries,
)

__all__ = [
    "ClusterBinaries",
    "ClusterBuildError",
    "binaries_present",
    "cache_folder",
    "ensure_binaries",
]
