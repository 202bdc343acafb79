"""Render the chart offline and read what the pods would see.

The chart is rendered by the helm-python-sdk wheel (Helm v4 embedded, no cluster), the
manifests are parsed, and :func:`container_env` resolves a container's environment the way
the kubelet does (``envFrom`` first, then ``env``, which wins), reading the rendered
ConfigMaps and Secrets, so tests compare what a process would actually get.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "drift"
RELEASE = "drift"
NAMESPACE = "workflows"

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """The manifests of one render, and its NOTES.txt."""

    manifests: list[Manifest]
    notes: str

    def of_kind(self, kind: str) -> list[Manifest]:
        """Every manifest of ``kind``."""
        return [m for m in self.manifests if m["kind"] == kind]

    def names(self, kind: str) -> set[str]:
        """The names of the manifests of ``kind``."""
        return {m["metadata"]["name"] for m in self.of_kind(kind)}

    def one(self, kind: str, name: str) -> Manifest:
        """The manifest of ``kind`` named ``name`` (the test fails if there is none)."""
        found = [m for m in self.of_kind(kind) if m["metadata"]["name"] == name]
        assert len(found) == 1, (
            f"expected one {kind} {name}, found {len(found)}: {self.names(kind)}"
        )
        return found[0]

    def find(self, kind: str, name: str) -> Manifest | None:
        """The manifest of ``kind`` named ``name``, if rendered."""
        found = [m for m in self.of_kind(kind) if m["metadata"]["name"] == name]
        return found[0] if found else None


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` merged in, maps recursively (as Helm merges values)."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def render(values: Mapping[str, Any] | None = None, *, release: str = RELEASE) -> Rendered:
    """Render the chart with ``values`` over its defaults, as ``helm install`` would."""
    with helm_python.Chart.load(CHART) as chart:
        files = chart.render(dict(values or {}), name=release, namespace=NAMESPACE)
    manifests: list[Manifest] = []
    notes = ""
    for path, text in sorted(files.items()):
        if path.endswith("NOTES.txt"):
            notes = text
            continue
        manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return Rendered(manifests, notes)


def chart_values() -> dict[str, Any]:
    """The chart's values.yaml."""
    values: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return values


def deployment_name(component: str, release: str = RELEASE) -> str:
    """The Deployment of ``component`` ("api" or "worker") in a release of that name."""
    return f"{release}-{component}" if "drift" in release else f"{release}-drift-{component}"


def pod_spec(rendered: Rendered, component: str) -> dict[str, Any]:
    """The pod template spec of a component's Deployment."""
    spec: dict[str, Any] = rendered.one("Deployment", deployment_name(component))["spec"]
    return spec["template"]["spec"]  # type: ignore[no-any-return]


def container(rendered: Rendered, component: str) -> dict[str, Any]:
    """The one container of a component's pods."""
    containers = pod_spec(rendered, component)["containers"]
    assert len(containers) == 1
    return containers[0]  # type: ignore[no-any-return]


def container_ports(rendered: Rendered, component: str) -> dict[str, int]:
    """Container port name → number."""
    return {p["name"]: p["containerPort"] for p in container(rendered, component)["ports"]}


def _config_map(rendered: Rendered, name: str) -> Mapping[str, str] | None:
    found = rendered.find("ConfigMap", name)
    return None if found is None else found.get("data", {})


def _secret(
    rendered: Rendered, name: str, external: Mapping[str, Mapping[str, str]]
) -> Mapping[str, str] | None:
    if name in external:
        return external[name]
    found = rendered.find("Secret", name)
    if found is None:
        return None
    data = found.get("data") or {}
    return {key: base64.b64decode(value).decode() for key, value in data.items()}


def _from_source(
    kind: str,
    source: Mapping[str, Any] | None,
    rendered: Rendered,
    external: Mapping[str, Mapping[str, str]],
) -> Mapping[str, str] | None:
    assert source is not None
    if kind == "configMap":
        return _config_map(rendered, source["name"])
    return _secret(rendered, source["name"], external)


def _env_entries(
    entry: Mapping[str, Any], rendered: Rendered, external: Mapping[str, Mapping[str, str]]
) -> Iterator[tuple[str, str]]:
    if "value" in entry:
        yield entry["name"], entry["value"]
        return
    source = entry["valueFrom"]
    for kind, ref_key in (("configMap", "configMapKeyRef"), ("secret", "secretKeyRef")):
        if ref_key in source:
            ref = source[ref_key]
            data = _from_source(kind, ref, rendered, external)
            if data is not None and ref["key"] in data:
                yield entry["name"], data[ref["key"]]
            else:
                assert ref.get("optional", False), (
                    f"{entry['name']}: the {kind} {ref['name']} has no key {ref['key']} and the "
                    "reference is not optional: the pod would not start"
                )
            return
    msg = f"{entry['name']}: unsupported valueFrom {source}"
    raise AssertionError(msg)


def container_env(
    rendered: Rendered,
    component: str,
    external_secrets: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, str]:
    """The environment the component's process gets from the rendered objects.

    ``external_secrets`` stands for Secrets the chart does not render (an existing secret):
    name → decoded data. A required reference to a missing key fails the test.
    """
    external = external_secrets or {}
    spec = container(rendered, component)
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        kind = "configMap" if "configMapRef" in source else "secret"
        ref = source.get("configMapRef") or source.get("secretRef")
        data = _from_source(kind, ref, rendered, external)
        if data is None:
            assert ref is not None
            assert ref.get("optional", False), f"envFrom names a missing {kind} {ref}"
            continue
        prefix = source.get("prefix", "")
        env.update({prefix + key: value for key, value in data.items()})
    for entry in spec.get("env", []):
        env.update(_env_entries(entry, rendered, external))
    return env


def lint(values: Mapping[str, Any] | None = None) -> list[str]:
    """Helm's strict lint findings (warnings and errors) of the chart with ``values``."""
    report = helm_python.lint(CHART, dict(values or {}), strict=True)
    findings = [f"{m['path']}: {m['error']}" for m in report["messages"] if m["severity"] >= 2]
    return findings + [str(error) for error in report["errors"]]
