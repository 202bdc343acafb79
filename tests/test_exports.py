"""Every package's ``__all__`` is exactly what it exports, and every name in it resolves.

A name a module binds without an underscore is part of its surface whether or not it is
listed, so the list and the module must agree both ways: a public name missing from
``__all__`` is an accident (a helper leaking, an import re-exported by chance), and a
name in ``__all__`` that does not resolve breaks ``from package import *``.
"""

from __future__ import annotations
import __future__

import importlib
import inspect
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = sorted([*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")])


def _top_modules() -> list[str]:
    names = []
    for pyproject in MEMBERS:
        project = tomllib.loads(pyproject.read_text())["project"]
        names.append(str(project["name"]).replace("-", "_"))
    return names


def _kits() -> list[str]:
    """The testing kits the packages ship (``<module>.testing``), public API too."""
    return sorted(
        f"{source.name}.testing"
        for pyproject in MEMBERS
        for source in (pyproject.parent / "src").iterdir()
        if (source / "testing.py").is_file() or (source / "testing" / "__init__.py").is_file()
    )


MODULES = [*_top_modules(), *_kits()]


def _public_names(module: ModuleType) -> set[str]:
    """The names a module binds for its users: no underscore, not a submodule or module."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and value is not __future__.annotations
    }


def test_every_member_and_kit_is_covered() -> None:
    assert {"drift_models", "drift_store", "drift_nodes", "drift_api", "drift_worker"} <= set(
        MODULES
    )
    assert {"drift_models.testing", "drift_nodes.testing", "drift_store.testing"} <= set(MODULES)


def _check_listed(name: str) -> tuple[ModuleType, set[str]]:
    """The module and its listed public names, once ``__all__`` is a list that resolves."""
    module = importlib.import_module(name)
    listed = getattr(module, "__all__", None)
    assert isinstance(listed, list), f"{name} has no __all__ list"
    assert len(listed) == len(set(listed)), f"{name}.__all__ names something twice"
    unresolved = [item for item in listed if not hasattr(module, item)]
    assert not unresolved, f"{name}.__all__ names what {name} does not have: {unresolved}"
    modules = [item for item in listed if inspect.ismodule(getattr(module, item))]
    assert not modules, f"{name}.__all__ lists modules: {modules}"
    return module, {item for item in listed if not item.startswith("_")}


@pytest.mark.parametrize("name", _top_modules())
def test_all_is_exactly_what_the_package_exports(name: str) -> None:
    module, exported = _check_listed(name)
    public = _public_names(module)
    assert public - exported == set(), f"{name} exports names missing from __all__"
    assert exported - public == set(), f"{name}.__all__ lists private names"


@pytest.mark.parametrize("name", _kits())
def test_a_kit_lists_everything_it_defines(name: str) -> None:
    """A kit is a module of helpers: what it defines itself (or in its submodules) is listed.

    Names it merely imports to build its strategies or suites (``Any``, ``strategies``)
    are not its API, so only the names defined under the kit's own module count.
    """
    module, exported = _check_listed(name)
    defined = {
        item
        for item in _public_names(module)
        if str(getattr(getattr(module, item), "__module__", "")).startswith(name)
    }
    assert defined - exported == set(), f"{name} defines public names missing from __all__"


@pytest.mark.parametrize("name", MODULES)
def test_star_import_gives_every_listed_name(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {name} import *", namespace)  # noqa: S102 - a fixed module name of ours
    module = importlib.import_module(name)
    assert set(module.__all__) <= set(namespace)


def test_a_leaked_name_is_caught() -> None:
    """The check above can fail: a module with an unlisted public name does not pass."""
    module = ModuleType("leaky")
    vars(module).update(__all__=["listed"], listed=1, helper=2)
    assert _public_names(module) - {"listed"} == {"helper"}
