"""The pods, their scaling, their configuration objects and the names, per value set."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from tests.helm.chart import (
    CHART,
    ROOT,
    Manifest,
    Rendered,
    container,
    container_env,
    deployment_name,
    merge,
    pod_spec,
    render,
)
from tests.helm.test_chart import COMPONENTS, KUBERNETES
from tests.helm.value_sets import EVERYTHING, EXISTING_SECRET_NAME, REDIS_PASSWORD, VALUE_SETS

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
    keyed = render({"secrets": {"values": {"bootstrapApiKey": "operator-key"}}}).notes
    assert "WARNING" not in keyed
    assert "api.config.auth is false" in render(EVERYTHING).notes


def test_app_version_is_the_services_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    for service in ("api", "worker"):
        pyproject = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
        assert chart["appVersion"] == pyproject["project"]["version"], service
    # The oldest Kubernetes validated above is the oldest the chart accepts.
    assert chart["kubeVersion"] == f">={KUBERNETES[0]}-0"
