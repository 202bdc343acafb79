"""values.schema.json and the chart's own checks refuse wrong values with a clear message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

from tests.helm.chart import CHART, chart_values, render
from tests.helm.value_sets import VALUE_SETS

BROKEN_VALUES_FILE = """\
temporal:
  address: temporal-frontend          # no port
api:
  ports:
    app: "8000"                       # a string
worker:
  config:
    logLevel: verbose                 # no such level
redis:
  mode: sentinel                      # and no sentinel hosts
"""

# (values, where, what the message says)
SCHEMA_REFUSALS: dict[str, tuple[dict[str, Any], str, str]] = {
    "port as text": ({"api": {"ports": {"app": "eighty"}}}, "/api/ports/app", "want integer"),
    "port out of range": (
        {"worker": {"ports": {"admin": 70000}}},
        "/worker/ports/admin",
        "maximum",
    ),
    "misspelt key": (
        {"temporal": {"adress": "temporal:7233"}},
        "/temporal",
        "additional properties 'adress' not allowed",
    ),
    "unknown service setting": (
        {"api": {"config": {"syncTimeout": 5}}},
        "/api/config",
        "'syncTimeout' not allowed",
    ),
    "address without port": (
        {"temporal": {"address": "temporal-frontend"}},
        "/temporal/address",
        "does not match pattern",
    ),
    "sentinel without hosts": (
        {"redis": {"mode": "sentinel"}},
        "/redis/sentinel/hosts",
        "minItems",
    ),
    "plain redis without url": ({"redis": {"mode": "plain"}}, "/redis/url", "minLength"),
    "password in the redis url": (
        {"redis": {"mode": "plain", "url": "redis://:pw@redis:6379"}},
        "/redis/url",
        "does not match pattern",
    ),
    "unknown redis mode": ({"redis": {"mode": "cluster"}}, "/redis/mode", "must be one of"),
    "log level": (
        {"worker": {"config": {"logLevel": "verbose"}}},
        "/worker/config/logLevel",
        "must be one of 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'",
    ),
    "sync timeout too long": (
        {"api": {"config": {"syncTimeoutSeconds": 7200}}},
        "/api/config/syncTimeoutSeconds",
        "maximum",
    ),
    "history limit too small": (
        {"worker": {"config": {"historyLimit": 10}}},
        "/worker/config/historyLimit",
        "minimum",
    ),
    "table prefix": (
        {"hbase": {"tablePrefix": "drift prod"}},
        "/hbase/tablePrefix",
        "does not match pattern",
    ),
    "script memory": (
        {"nodes": {"scripts": {"memoryMb": 16}}},
        "/nodes/scripts/memoryMb",
        "minimum",
    ),
    "api key entry": (
        {"secrets": {"values": {"apiKeys": ["acme:plain-key"]}}},
        "/secrets/values/apiKeys/0",
        "does not match pattern",
    ),
    "worker service type": (
        {"worker": {"service": {"type": "LoadBalancer"}}},
        "/worker/service/type",
        "value must be 'ClusterIP'",
    ),
    "network policy port as text": (
        {"networkPolicy": {"temporal": {"port": "temporal"}}},
        "/networkPolicy/temporal/port",
        "oneOf",
    ),
    "network policy misspelt key": (
        {"networkPolicy": {"worker": {"httpTO": []}}},
        "/networkPolicy/worker",
        "additional properties 'httpTO' not allowed",
    ),
    "resource quantity": (
        {"api": {"resources": {"limits": {"memory": "lots"}}}},
        "/api/resources/limits/memory",
        "does not match pattern",
    ),
}

# Rules across values: the chart's checks say them in a sentence.
RULE_REFUSALS: dict[str, tuple[dict[str, Any], str]] = {
    "budget blocks drains": (
        {"api": {"autoscaling": {"enabled": False}, "replicaCount": 1}},
        "api.podDisruptionBudget.minAvailable (1) must be below api.replicaCount (1)",
    ),
    "both budget bounds": (
        {"worker": {"podDisruptionBudget": {"maxUnavailable": 1}}},
        "worker.podDisruptionBudget: set exactly one of minAvailable and maxUnavailable",
    ),
    "no budget bound": (
        {"worker": {"podDisruptionBudget": {"minAvailable": None}}},
        "worker.podDisruptionBudget: set exactly one of minAvailable and maxUnavailable",
    ),
    "same port twice": (
        {"worker": {"ports": {"admin": 7200}}},
        "worker.ports: app (7200), admin (7200) and metrics (9090) must be three different ports",
    ),
    "scaling bounds": (
        {"api": {"autoscaling": {"minReplicas": 5, "maxReplicas": 3}}},
        "api.autoscaling: minReplicas (5) is above maxReplicas (3)",
    ),
    "monitor without metrics": (
        {"metrics": {"enabled": False, "serviceMonitor": {"enabled": True}}},
        "metrics.serviceMonitor.enabled needs metrics.enabled",
    ),
    "two enum stores": (
        {"worker": {"enumStore": {"values": {"*": {"a": 1}}, "existingConfigMap": "x"}}},
        "worker.enumStore: give either values or existingConfigMap, not both",
    ),
}


def _validate(values: dict[str, Any]) -> None:
    with helm_python.Chart.load(CHART) as chart:
        chart.validate_schema(values)


def test_the_defaults_and_every_value_set_pass_the_schema() -> None:
    _validate({})
    _validate(chart_values())
    for values in VALUE_SETS.values():
        _validate(values)


@pytest.mark.parametrize("case", sorted(SCHEMA_REFUSALS))
def test_the_schema_refuses_wrong_values(case: str) -> None:
    values, where, what = SCHEMA_REFUSALS[case]
    with pytest.raises(helm_python.HelmValuesError) as refused:
        _validate(values)
    message = str(refused.value)
    assert f"at '{where}'" in message
    assert what in message
    # helm install refuses the same values before rendering anything.
    with pytest.raises(helm_python.HelmValuesError, match=r"don't meet the specifications"):
        render(values)


def test_a_broken_values_file_is_refused_naming_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN_VALUES_FILE)
    values = helm_python.values_from_yaml(path.read_text())
    with pytest.raises(helm_python.HelmValuesError) as refused:
        render(values)
    message = str(refused.value)
    for line in (
        "at '/temporal/address': 'temporal-frontend' does not match pattern",
        "at '/api/ports/app': got string, want integer",
        "at '/worker/config/logLevel': value must be one of",
        "at '/redis/sentinel/hosts': minItems: got 0, want 1",
    ):
        assert line in message, message


@pytest.mark.parametrize("case", sorted(RULE_REFUSALS))
def test_the_chart_refuses_values_that_do_not_fit_together(case: str) -> None:
    values, sentence = RULE_REFUSALS[case]
    _validate(values)  # each value alone is fine
    with pytest.raises(helm_python.HelmRenderError) as refused:
        render(values)
    assert sentence in str(refused.value)


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((CHART / "values.schema.json").read_text())
    return schema


def _objects(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    definitions = _schema()["definitions"]
    if "$ref" in schema:
        schema = definitions[schema["$ref"].rsplit("/", 1)[1]]
    if "properties" in schema:
        yield path, schema
        for key, child in schema["properties"].items():
            yield from _objects(child, f"{path}.{key}")


def test_the_schema_closes_every_object() -> None:
    # A misspelt key anywhere is an error, never silently ignored.
    objects = dict(_objects(_schema()))
    assert len(objects) > 30
    open_objects = [
        path for path, obj in objects.items() if obj.get("additionalProperties") is not False
    ]
    assert open_objects == []


# Values documented as a whole (Kubernetes structures passed through as they are).
_WHOLE = frozenset({"resources", "probes", "podSecurityContext", "securityContext"})


def _leaves(values: dict[str, Any], path: str = "") -> Iterator[str]:
    for key, value in values.items():
        here = f"{path}.{key}" if path else key
        if isinstance(value, dict) and value and key not in _WHOLE:
            yield from _leaves(value, here)
        else:
            yield here


def test_the_readme_documents_every_value() -> None:
    readme = (CHART / "README.md").read_text()
    values: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    undocumented = [leaf for leaf in _leaves(values) if f"`{leaf}`" not in readme]
    assert undocumented == []
