"""Fixtures of the chart tests: one render per value set, shared by a module's tests."""

from __future__ import annotations

import pytest

from tests.helm.chart import Rendered, render
from tests.helm.value_sets import VALUE_SETS


@pytest.fixture(scope="module", params=sorted(VALUE_SETS))
def value_set(request: pytest.FixtureRequest) -> tuple[str, Rendered]:
    """A value set's name and its render."""
    name: str = request.param
    return name, render(VALUE_SETS[name])
