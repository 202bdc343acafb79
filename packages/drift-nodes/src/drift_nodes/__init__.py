"""The Drift node plugin API, the script engine and every built-in node.

The plugin API, its discovery through the ``drift.nodes`` entry point group, the Starlark
engine and the built-in nodes arrive with the nodes issue; this release holds the package
in place.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
