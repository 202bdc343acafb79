"""The chart renders valid Kubernetes objects that fit together, for every value set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from kubernetes_validate import utils as kubernetes_versions

from tests.helm.chart import (
    NAMESPACE,
    Rendered,
    container,
    container_env,
    container_ports,
    deployment_name,
    lint,
    render,
)
from tests.helm.value_sets import (
    EVERYTHING,
    EXISTING_SECRET_DATA,
    VALUE_SETS,
)

SETS = sorted(VALUE_SETS)
COMPONENTS = ("api", "worker")
# The oldest Kubernetes Chart.yaml accepts, and the newest kubernetes-validate knows.
KUBERNETES = ("1.25.0", str(kubernetes_versions.latest_version()))
DEFAULT_PORTS = {
    "api": {"app": 8000, "admin": 8001, "metrics": 9090},
    "worker": {"app": 7200, "admin": 7201, "metrics": 9090},
}

# What this chart writes into a ServiceMonitor (a CRD kubernetes-validate has no schema
# of), with the field types of the Prometheus Operator's monitoring.coreos.com/v1.
SERVICE_MONITOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["selector", "endpoints"],
            "properties": {
                "namespaceSelector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"matchNames": {"type": "array", "items": {"type": "string"}}},
                },
                "selector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "matchLabels": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        }
                    },
                },
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string"},
                            "interval": {"type": "string", "pattern": "^([0-9]+(ms|s|m|h))+$"},
                            "scrapeTimeout": {"type": "string", "pattern": "^([0-9]+(ms|s|m|h))+$"},
                        },
                    },
                },
            },
        },
    },
}


def _matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def _pod_labels(rendered: Rendered, component: str) -> dict[str, str]:
    deployment = rendered.one("Deployment", deployment_name(component))
    return deployment["spec"]["template"]["metadata"]["labels"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- lint


@pytest.mark.parametrize("name", SETS)
def test_helm_lint_strict_finds_nothing(name: str) -> None:
    assert lint(VALUE_SETS[name]) == []


def test_lint_reports_a_broken_chart_value() -> None:
    # The lint step can fail: a value the schema refuses is an error of the report.
    assert lint({"temporal": {"address": ""}})


# ---------------------------------------------------------------------------- validity


@pytest.mark.parametrize("version", KUBERNETES)
def test_every_manifest_is_valid_kubernetes_in_strict_mode(
    value_set: tuple[str, Rendered], version: str
) -> None:
    _, rendered = value_set
    kinds = {m["kind"] for m in rendered.manifests}
    assert {"Deployment", "Service", "ConfigMap"} <= kinds
    for manifest in rendered.manifests:
        if manifest["kind"] == "ServiceMonitor":
            jsonschema.validate(manifest, SERVICE_MONITOR_SCHEMA)
            continue
        kubernetes_validate.validate(manifest, version, strict=True)


def test_strict_validation_catches_an_unknown_field() -> None:
    # The validation above is meaningful: a misplaced field is refused.
    deployment = render().one("Deployment", deployment_name("api"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES[-1], strict=True)


def test_every_object_lives_in_the_release_namespace(value_set: tuple[str, Rendered]) -> None:
    _, rendered = value_set
    for manifest in rendered.manifests:
        assert manifest["metadata"]["namespace"] == NAMESPACE, manifest["metadata"]["name"]
        assert manifest["metadata"]["labels"]["app.kubernetes.io/instance"] == "drift"


# ---------------------------------------------------------------------------- wiring


def test_selectors_match_the_pods_they_mean(value_set: tuple[str, Rendered]) -> None:
    _, rendered = value_set
    pods = {component: _pod_labels(rendered, component) for component in COMPONENTS}
    for component in COMPONENTS:
        deployment = rendered.one("Deployment", deployment_name(component))
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert _matches(selector, pods[component])
        other = pods["worker" if component == "api" else "api"]
        assert not _matches(selector, other), "a Deployment's selector also picks the other's pods"
    for service in rendered.of_kind("Service"):
        selected = [c for c in COMPONENTS if _matches(service["spec"]["selector"], pods[c])]
        assert len(selected) == 1, service["metadata"]["name"]
        names = set(container_ports(rendered, selected[0]))
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in names, f"{service['metadata']['name']}: {port}"
    for budget in rendered.of_kind("PodDisruptionBudget"):
        selector = budget["spec"]["selector"]["matchLabels"]
        assert sum(_matches(selector, pods[c]) for c in COMPONENTS) == 1
    for scaler in rendered.of_kind("HorizontalPodAutoscaler"):
        target = scaler["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment"
        assert target["name"] in rendered.names("Deployment")
        assert scaler["metadata"]["name"] == target["name"]


def test_service_monitors_scrape_each_component_once() -> None:
    rendered = render(EVERYTHING)
    monitors = rendered.of_kind("ServiceMonitor")
    assert len(monitors) == 2
    for monitor in monitors:
        assert monitor["metadata"]["labels"]["release"] == "prometheus"
        assert monitor["spec"]["namespaceSelector"]["matchNames"] == [NAMESPACE]
        selector = monitor["spec"]["selector"]["matchLabels"]
        services = [
            s for s in rendered.of_kind("Service") if _matches(selector, s["metadata"]["labels"])
        ]
        assert len(services) == 1, [s["metadata"]["name"] for s in services]
        ports = {p["name"] for p in services[0]["spec"]["ports"]}
        assert monitor["spec"]["endpoints"] == [
            {"port": "metrics", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}
        ]
        assert "metrics" in ports


def test_no_service_monitor_unless_asked() -> None:
    assert render().of_kind("ServiceMonitor") == []


@pytest.mark.parametrize("component", COMPONENTS)
def test_default_ports(component: str) -> None:
    rendered = render()
    assert container_ports(rendered, component) == DEFAULT_PORTS[component]
    env = container_env(rendered, component)
    expected = DEFAULT_PORTS[component]
    assert env["DRIFT_APP_PORT"] == str(expected["app"])
    assert env["DRIFT_ADMIN_PORT"] == str(expected["admin"])
    assert env["DRIFT_METRICS_PORT"] == str(expected["metrics"])


def test_default_services() -> None:
    rendered = render()
    api = rendered.one("Service", "drift-api")
    assert api["spec"]["type"] == "LoadBalancer"
    assert [(p["name"], p["port"], p["targetPort"]) for p in api["spec"]["ports"]] == [
        ("app", 8000, "app")
    ]
    admin = rendered.one("Service", "drift-api-admin")
    assert admin["spec"]["type"] == "ClusterIP"
    assert {p["name"]: p["port"] for p in admin["spec"]["ports"]} == {
        "admin": 8001,
        "metrics": 9090,
    }
    worker = rendered.one("Service", "drift-worker")
    assert worker["spec"]["type"] == "ClusterIP"
    assert {p["name"]: p["port"] for p in worker["spec"]["ports"]} == DEFAULT_PORTS["worker"]


def test_the_public_service_can_carry_every_api_port() -> None:
    rendered = render(EVERYTHING)
    api = rendered.one("Service", "drift-api")
    assert {p["name"]: p["port"] for p in api["spec"]["ports"]} == {
        "app": 8000,
        "admin": 8081,
        "metrics": 9100,
    }
    assert api["spec"]["loadBalancerSourceRanges"] == ["10.0.0.0/8"]
    assert api["spec"]["externalTrafficPolicy"] == "Local"


def test_changed_ports_move_everything_together() -> None:
    rendered = render(EVERYTHING)
    for component, ports in (
        ("api", {"app": 8080, "admin": 8081, "metrics": 9100}),
        ("worker", {"app": 7300, "admin": 7301, "metrics": 9200}),
    ):
        assert container_ports(rendered, component) == ports
        env = container_env(rendered, component)
        assert [env["DRIFT_APP_PORT"], env["DRIFT_ADMIN_PORT"], env["DRIFT_METRICS_PORT"]] == [
            str(ports["app"]),
            str(ports["admin"]),
            str(ports["metrics"]),
        ]


def test_metrics_off_closes_the_metrics_port() -> None:
    rendered = render(VALUE_SETS["lean"])
    for component in COMPONENTS:
        assert "metrics" not in container_ports(rendered, component)
        assert container_env(rendered, component)["DRIFT_METRICS_PORT"] == "0"
    for service in rendered.of_kind("Service"):
        assert "metrics" not in {p["name"] for p in service["spec"]["ports"]}
        assert "drift-metrics" not in service["metadata"]["labels"]


# ---------------------------------------------------------------------------- probes


@pytest.mark.parametrize("component", COMPONENTS)
def test_probes_ask_the_admin_port(value_set: tuple[str, Rendered], component: str) -> None:
    _, rendered = value_set
    spec = container(rendered, component)
    admin = container_ports(rendered, component)["admin"]
    env = container_env(rendered, component, EXISTING_SECRET_DATA)
    assert str(admin) == env["DRIFT_ADMIN_PORT"]
    paths = {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    for probe, path in paths.items():
        assert spec[probe]["httpGet"] == {"path": path, "port": "admin"}, probe
        assert spec[probe]["periodSeconds"] >= 1
        assert spec[probe]["failureThreshold"] >= 1
    # A pod has two minutes to connect to Temporal and the store before liveness counts.
    startup = spec["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60
