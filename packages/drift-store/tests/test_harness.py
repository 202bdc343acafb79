"""The server harnesses say how to enable what they cannot start."""

from __future__ import annotations

import pytest

from drift_store.testing import hbase_server, redis_server
from drift_store.testing._processes import in_ci


def test_without_java_the_hbase_harness_says_how_to_enable_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    reason = hbase_server.unavailable_reason()
    assert reason is not None
    assert "java and mvn not found" in reason
    assert "apt-get install" in reason
    with pytest.raises(hbase_server.HBaseStartError, match="JDK 17"):
        hbase_server.HBaseServer.start()


def test_without_redis_the_harness_says_how_to_enable_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    reason = redis_server.unavailable_reason()
    assert reason is not None
    assert "apt-get install -y redis-server" in reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", False), ("0", False), ("false", False), ("1", True), ("true", True)],
)
def test_ci_is_detected(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci() is expected


def test_the_pom_ships_with_the_kit() -> None:
    pom = hbase_server._pom().read_text()
    assert "<artifactId>hbase-thrift</artifactId>" in pom
    assert "<hbase.version>2.6.1</hbase.version>" in pom
