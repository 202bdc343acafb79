"""The chart renders valid Kubernetes objects that fit together, for every value set."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

import jsonschema
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from kubernetes_validate import utils as kubernetes_versions

from tests.helm.chart import (
    CHART,
    NAMESPACE,
    ROOT,
    Manifest,
    Rendered,
    container,
    container_env,
    container_ports,
    deployment_name,
    lint,
    merge,
    pod_spec,
    render,
)
from tests.helm.value_sets import (
    EVERYTHING,
    EXISTING_SECRET_DATA,
    EXISTING_SECRET_NAME,
    REDIS_PASSWORD,
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


@pytest.fixture(scope="module", params=SETS)
def value_set(request: pytest.FixtureRequest) -> tuple[str, Rendered]:
    name: str = request.param
    return name, render(VALUE_SETS[name])


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


# ---------------------------------------------------------------------------- pods


@pytest.mark.parametrize("component", COMPONENTS)
def test_pods_run_locked_down(value_set: tuple[str, Rendered], component: str) -> None:
    _, rendered = value_set
    pod = pod_spec(rendered, component)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    # Service links would inject DRIFT_API_PORT=tcp://… and the like into the settings.
    assert pod["enableServiceLinks"] is False
    security = container(rendered, component)["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    mounts = {m["mountPath"]: m["name"] for m in container(rendered, component)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    # The one writable place on a read-only root filesystem.
    assert "emptyDir" in volumes[mounts["/tmp"]]  # noqa: S108


@pytest.mark.parametrize("component", COMPONENTS)
def test_pods_have_resources(component: str) -> None:
    resources = container(render(), component)["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert "memory" in resources["limits"]


def test_the_worker_outlives_its_shutdown_grace() -> None:
    assert pod_spec(render(), "worker")["terminationGracePeriodSeconds"] == 30
    assert pod_spec(render(EVERYTHING), "worker")["terminationGracePeriodSeconds"] == 55


def test_images_follow_registry_tag_and_digest() -> None:
    assert container(render(), "api")["image"] == "drift-api:0.2.0"
    assert container(render(), "worker")["image"] == "drift-worker:0.2.0"
    rendered = render(EVERYTHING)
    assert container(rendered, "api")["image"] == (
        "registry.example.com/platform/drift-api@sha256:" + "0" * 64
    )
    assert (
        container(rendered, "worker")["image"] == "registry.example.com/platform/drift-worker:1.2.3"
    )
    assert pod_spec(rendered, "worker")["imagePullSecrets"] == [{"name": "registry-credentials"}]


def test_service_account() -> None:
    rendered = render()
    account = rendered.one("ServiceAccount", "drift")
    assert account["automountServiceAccountToken"] is False
    for component in COMPONENTS:
        assert pod_spec(rendered, component)["serviceAccountName"] == "drift"
    lean = render(VALUE_SETS["lean"])
    assert lean.of_kind("ServiceAccount") == []
    assert pod_spec(lean, "api")["serviceAccountName"] == "default"


# ---------------------------------------------------------------------------- scaling


def test_autoscaling_and_budgets_by_default() -> None:
    rendered = render()
    for component in COMPONENTS:
        name = deployment_name(component)
        assert "replicas" not in rendered.one("Deployment", name)["spec"]
        scaler = rendered.one("HorizontalPodAutoscaler", name)["spec"]
        assert scaler["minReplicas"] == 2
        assert scaler["metrics"][0]["resource"]["name"] == "cpu"
        assert rendered.one("PodDisruptionBudget", name)["spec"]["minAvailable"] == 1


def test_autoscaling_off_sets_replicas() -> None:
    rendered = render(VALUE_SETS["autoscaling-off"])
    assert rendered.of_kind("HorizontalPodAutoscaler") == []
    assert rendered.one("Deployment", "drift-api")["spec"]["replicas"] == 3
    assert rendered.one("Deployment", "drift-worker")["spec"]["replicas"] == 4
    assert len(rendered.of_kind("PodDisruptionBudget")) == 2


def test_budget_by_max_unavailable_and_memory_target() -> None:
    rendered = render(EVERYTHING)
    budget = rendered.one("PodDisruptionBudget", "drift-api")["spec"]
    assert budget["maxUnavailable"] == "25%"
    assert "minAvailable" not in budget
    metrics = rendered.one("HorizontalPodAutoscaler", "drift-api")["spec"]["metrics"]
    assert [m["resource"]["name"] for m in metrics] == ["cpu", "memory"]


def test_budgets_can_be_turned_off() -> None:
    assert render(VALUE_SETS["lean"]).of_kind("PodDisruptionBudget") == []


# ---------------------------------------------------------------------------- config objects


def test_a_changed_setting_rolls_the_pods() -> None:
    def checksums(values: Mapping[str, Any], component: str) -> dict[str, str]:
        deployment = render(values).one("Deployment", deployment_name(component))
        annotations: dict[str, str] = deployment["spec"]["template"]["metadata"]["annotations"]
        return {k: v for k, v in annotations.items() if k.startswith("checksum/")}

    base = checksums({}, "worker")
    changed = checksums({"worker": {"config": {"historyLimit": 2000}}}, "worker")
    assert changed["checksum/config"] != base["checksum/config"]
    assert changed["checksum/secret"] == base["checksum/secret"]
    secret = checksums({"secrets": {"values": {"callbackSecret": "new"}}}, "worker")
    assert secret["checksum/secret"] != base["checksum/secret"]
    assert checksums({}, "api") == checksums({}, "api")


def test_existing_secret_is_referenced_not_made() -> None:
    rendered = render(VALUE_SETS["existing-secret"])
    assert rendered.of_kind("Secret") == []
    for component in COMPONENTS:
        refs = {
            e["name"]: e["valueFrom"]["secretKeyRef"]
            for e in container(rendered, component)["env"]
            if "secretKeyRef" in e.get("valueFrom", {})
        }
        assert {ref["name"] for ref in refs.values()} == {EXISTING_SECRET_NAME}
        assert refs["DRIFT_STORE_URL"]["key"] == "store-url"
        assert "optional" not in refs["DRIFT_STORE_URL"]
        optional = {name for name, ref in refs.items() if ref.get("optional")}
        assert "DRIFT_REDIS_PASSWORD" in optional
    # A Secret that lacks the required key stops the pod; the optional ones may be absent.
    env = container_env(rendered, "api", {EXISTING_SECRET_NAME: {"store-url": "hbase://h:9090"}})
    assert env["DRIFT_STORE_URL"] == "hbase://h:9090"
    assert "DRIFT_REDIS_PASSWORD" not in env
    with pytest.raises(AssertionError, match="not optional"):
        container_env(rendered, "worker", {EXISTING_SECRET_NAME: {}})


def test_the_chart_secret_holds_only_what_was_given() -> None:
    assert render().one("Secret", "drift")["data"] == {}
    rendered = render(EVERYTHING)
    secret = rendered.one("Secret", "drift")
    assert set(secret["data"]) == {
        "redis-password",
        "bootstrap-api-key",
        "api-keys",
        "api-key-pepper",
        "callback-secret",
    }
    api_secret_env = {e["name"] for e in container(rendered, "api")["env"] if "valueFrom" in e}
    worker_secret_env = {
        e["name"] for e in container(rendered, "worker")["env"] if "valueFrom" in e
    }
    assert api_secret_env == {
        "DRIFT_REDIS_PASSWORD",
        "DRIFT_BOOTSTRAP_API_KEY",
        "DRIFT_API_KEYS",
        "DRIFT_API_KEY_PEPPER",
    }
    assert worker_secret_env == {"DRIFT_REDIS_PASSWORD", "DRIFT_CALLBACK_SECRET"}


def test_secrets_never_reach_config_maps_or_plain_env() -> None:
    rendered = render(EVERYTHING)
    secret_texts = [
        REDIS_PASSWORD,
        "bootstrap-key-value",
        "pepper-value",
        "callback-secret-value",
        "ab" * 32,
    ]
    for manifest in rendered.manifests:
        if manifest["kind"] == "Secret":
            continue
        text = repr(manifest)
        for secret in secret_texts:
            assert secret not in text, f"{manifest['kind']} {manifest['metadata']['name']}"


def test_enum_store_is_mounted_where_the_worker_looks() -> None:
    rendered = render(EVERYTHING)
    config = rendered.one("ConfigMap", "drift-worker-enum-store")
    env = container_env(rendered, "worker")
    path = env["DRIFT_ENUM_STORE_FILE"]
    mounts = {m["name"]: m for m in container(rendered, "worker")["volumeMounts"]}
    volume = next(v for v in pod_spec(rendered, "worker")["volumes"] if v["name"] == "enum-store")
    mount = mounts["enum-store"]
    assert mount["readOnly"] is True
    item = volume["configMap"]["items"][0]
    assert path == f"{mount['mountPath']}/{item['path']}"
    assert volume["configMap"]["name"] == "drift-worker-enum-store"
    assert item["key"] in config["data"]
    assert "DRIFT_ENUM_STORE_FILE" not in container_env(render(), "worker")
    existing = render({"worker": {"enumStore": {"existingConfigMap": "tenant-values"}}})
    assert existing.find("ConfigMap", "drift-worker-enum-store") is None
    volumes = {v["name"]: v for v in pod_spec(existing, "worker")["volumes"]}
    assert volumes["enum-store"]["configMap"]["name"] == "tenant-values"


def _names_fit(manifest: Manifest) -> bool:
    return len(manifest["metadata"]["name"]) <= 63


def test_long_release_names_still_make_valid_names() -> None:
    rendered = render(release="a-very-long-release-name-that-goes-on-and-on-and-on-forever")
    assert all(_names_fit(m) for m in rendered.manifests)
    names = [m["metadata"]["name"] for m in rendered.manifests if m["kind"] != "Secret"]
    kinds_names = [(m["kind"], m["metadata"]["name"]) for m in rendered.manifests]
    assert len(set(kinds_names)) == len(kinds_names), names


def test_release_names_prefix_every_object() -> None:
    rendered = render(release="prod")
    assert rendered.names("Deployment") == {"prod-drift-api", "prod-drift-worker"}
    assert render(merge({}, {"fullnameOverride": "wf"})).names("Deployment") == {
        "wf-api",
        "wf-worker",
    }


def test_notes_tell_how_to_reach_the_api() -> None:
    notes = render().notes
    assert "kubectl --namespace workflows rollout status deployment/drift-api" in notes
    assert "service drift-api" in notes
    assert "WARNING" not in notes
    assert "api.config.auth is false" in render(EVERYTHING).notes


def test_app_version_is_the_services_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    for service in ("api", "worker"):
        pyproject = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
        assert chart["appVersion"] == pyproject["project"]["version"], service
    # The oldest Kubernetes validated above is the oldest the chart accepts.
    assert chart["kubeVersion"] == f">={KUBERNETES[0]}-0"
