"""The Drift REST service: definitions, runs, sync and async modes.

The Litestar application arrives with the API issue; this release holds the package in place.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
