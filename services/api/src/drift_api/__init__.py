"""The Drift REST service: definitions, runs, sync and async modes.

:func:`create_app` builds the Litestar application from a store, a Temporal client and
:class:`ApiSettings`; :func:`connect_temporal` (the engine contract's, from
:mod:`drift_models.temporal`) connects the client the way the API needs it; the
``drift-api`` command (:mod:`drift_api.main`) serves the app, the admin probes and the
metrics.
"""

from __future__ import annotations

import importlib.metadata

from drift_api.admin import create_admin_app, create_metrics_app
from drift_api.app import create_app
from drift_api.auth import ApiKeys, Caller, hash_api_key, new_api_key
from drift_api.settings import ApiSettings
from drift_models.temporal import DATA_CONVERTER, connect_temporal

#: The installed distribution's version: pyproject.toml is its one source.
__version__ = importlib.metadata.version("drift-api")

__all__ = [
    "DATA_CONVERTER",
    "ApiKeys",
    "ApiSettings",
    "Caller",
    "__version__",
    "connect_temporal",
    "create_admin_app",
    "create_app",
    "create_metrics_app",
    "hash_api_key",
    "new_api_key",
]
