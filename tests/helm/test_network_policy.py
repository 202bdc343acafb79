"""The chart's NetworkPolicies: on by default, selecting each component's pods, admitting
the ports they serve and the egress they need; and the install notes' warnings."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helm.chart import Manifest, Rendered, container_ports, deployment_name, render
from tests.helm.value_sets import API_KEY_ENTRY, EVERYTHING, EXISTING_SECRET, VALUE_SETS

NAMESPACE_PODS: list[dict[str, Any]] = [{"podSelector": {}}]
PROMETHEUS: list[dict[str, Any]] = [
    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
]


def policy(rendered: Rendered, component: str) -> Manifest:
    return rendered.one("NetworkPolicy", deployment_name(component))


def ingress(rendered: Rendered, component: str) -> dict[str, Any]:
    """Port name -> the peers admitted to it (``None``: anyone)."""
    admitted: dict[str, Any] = {}
    for rule in policy(rendered, component)["spec"]["ingress"]:
        for port in rule["ports"]:
            assert port["protocol"] == "TCP"
            admitted[port["port"]] = rule.get("from")
    return admitted


def egress(rendered: Rendered, component: str) -> list[tuple[frozenset[tuple[int, str]], Any]]:
    """Each egress rule as (its ports and protocols, its peers or ``None`` for any)."""
    rules = []
    for rule in policy(rendered, component)["spec"]["egress"]:
        ports = frozenset((p["port"], p.get("protocol", "TCP")) for p in rule.get("ports", []))
        rules.append((ports, rule.get("to")))
    return rules


def egress_ports(rendered: Rendered, component: str) -> set[tuple[int, str]]:
    return {port for ports, _ in egress(rendered, component) for port in ports}


def allows_everything(rendered: Rendered, component: str) -> bool:
    return (frozenset(), None) in egress(rendered, component)


def test_on_by_default_and_off_when_asked() -> None:
    assert render().names("NetworkPolicy") == {"drift-api", "drift-worker"}
    assert render({"networkPolicy": {"enabled": False}}).names("NetworkPolicy") == set()


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
@pytest.mark.parametrize("component", ["api", "worker"])
def test_each_policy_selects_its_components_pods_and_names_their_ports(
    name: str, component: str
) -> None:
    rendered = render(VALUE_SETS[name])
    spec = policy(rendered, component)["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    deployment = rendered.one("Deployment", deployment_name(component))
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = spec["podSelector"]["matchLabels"]
    assert selector.items() <= labels.items()
    assert selector["app.kubernetes.io/component"] == component
    # Every port a rule names is a port of the container, by name.
    assert set(ingress(rendered, component)) <= set(container_ports(rendered, component))


def test_default_ingress_opens_the_api_to_all_and_the_admin_ports_to_the_namespace() -> None:
    rendered = render()
    assert ingress(rendered, "api") == {
        "app": None,
        "admin": NAMESPACE_PODS,
        "metrics": NAMESPACE_PODS,
    }
    # The worker serves nothing but its probes and metrics: its app port is not admitted.
    assert ingress(rendered, "worker") == {"admin": NAMESPACE_PODS, "metrics": NAMESPACE_PODS}


def test_ingress_peers_are_configurable() -> None:
    clients = [{"ipBlock": {"cidr": "10.20.0.0/16"}}]
    rendered = render(
        {
            "networkPolicy": {
                "api": {"appFrom": clients, "adminFrom": PROMETHEUS},
                "worker": {"adminFrom": PROMETHEUS},
            }
        }
    )
    assert ingress(rendered, "api") == {
        "app": clients,
        "admin": PROMETHEUS,
        "metrics": PROMETHEUS,
    }
    assert ingress(rendered, "worker") == {"admin": PROMETHEUS, "metrics": PROMETHEUS}


def test_public_admin_ports_follow_the_app_port_and_metrics_off_closes_metrics() -> None:
    public = render({"api": {"adminService": {"exposePublicly": True}}})
    assert ingress(public, "api") == {"app": None, "admin": None, "metrics": None}
    quiet = render({"metrics": {"enabled": False}})
    assert set(ingress(quiet, "api")) == {"app", "admin"}
    assert set(ingress(quiet, "worker")) == {"admin"}


@pytest.mark.parametrize("component", ["api", "worker"])
def test_default_egress_reaches_dns_temporal_and_hbase(component: str) -> None:
    rendered = render()
    assert {(53, "UDP"), (53, "TCP"), (7233, "TCP"), (9090, "TCP")} <= egress_ports(
        rendered, component
    )


def test_only_the_worker_may_go_anywhere_by_default() -> None:
    rendered = render()
    assert allows_everything(rendered, "worker")  # its HTTP nodes call what workflows name
    assert not allows_everything(rendered, "api")
    assert egress_ports(rendered, "api") == {(53, "UDP"), (53, "TCP"), (7233, "TCP"), (9090, "TCP")}


def test_dependency_ports_come_from_their_addresses() -> None:
    rendered = render(
        {
            "temporal": {"address": "temporal.temporal.svc:7444"},
            "store": {"url": "hbase://thrift.data:9191?prefix=drift_"},
            "redis": {"mode": "plain", "url": "redis://cache.data:6390/1"},
            "otel": {"endpoint": "http://collector.observability:4319/v1/traces"},
        }
    )
    assert egress_ports(rendered, "api") == {
        (53, "UDP"),
        (53, "TCP"),
        (7444, "TCP"),
        (9191, "TCP"),
        (6390, "TCP"),
        (4319, "TCP"),
    }
    sentinel = render(VALUE_SETS["sentinel"])
    assert {(6379, "TCP"), (26379, "TCP")} <= egress_ports(sentinel, "worker")
    everything = render(EVERYTHING)
    assert {(9095, "TCP"), (4318, "TCP")} <= egress_ports(everything, "api")
    no_port = render({"redis": {"mode": "plain", "url": "redis://cache"}})
    assert (6379, "TCP") in egress_ports(no_port, "api")


def test_a_sqlite_store_needs_no_hbase_rule_and_overrides_win() -> None:
    sqlite = render({"store": {"url": "sqlite:///data/drift.db"}})
    assert (9090, "TCP") not in egress_ports(sqlite, "api")
    temporal = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "temporal"}}}]
    overridden = render(
        {
            "networkPolicy": {
                "temporal": {"port": 7300, "to": temporal},
                "hbase": {"port": 9999},
                "redis": {"ports": [7000, 7001]},
                "dns": {"to": [{"ipBlock": {"cidr": "10.96.0.10/32"}}]},
            },
            "redis": {"mode": "plain", "url": "redis://cache:6379"},
        }
    )
    rules = egress(overridden, "api")
    assert (frozenset({(7300, "TCP")}), temporal) in rules
    assert (frozenset({(9999, "TCP")}), None) in rules
    assert (frozenset({(7000, "TCP"), (7001, "TCP")}), None) in rules
    assert (
        frozenset({(53, "TCP"), (53, "UDP")}),
        [{"ipBlock": {"cidr": "10.96.0.10/32"}}],
    ) in rules


def test_the_workers_http_egress_can_be_narrowed_and_more_rules_added() -> None:
    internet = [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]
    extra = {"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}], "ports": [{"port": 8200}]}
    rendered = render(
        {
            "networkPolicy": {
                "worker": {"httpTo": internet, "httpPorts": [{"port": 443, "protocol": "TCP"}]},
                "extraEgress": [extra],
            }
        }
    )
    assert not allows_everything(rendered, "worker")
    assert (frozenset({(443, "TCP")}), internet) in egress(rendered, "worker")
    for component in ("api", "worker"):
        raw = policy(rendered, component)["spec"]["egress"]
        assert extra in raw


# ---------------------------------------------------------------------------- notes


def test_notes_warn_when_auth_is_on_and_the_secret_holds_no_key() -> None:
    empty = render().notes
    assert "WARNING: api.config.auth is on, but the Secret drift holds no API key" in empty
    assert "refuses\nevery request with 401" in empty
    assert "--set-string secrets.values.bootstrapApiKey=" in empty
    for values in (
        {"secrets": {"values": {"bootstrapApiKey": "operator-key"}}},
        {"secrets": {"values": {"apiKeys": [API_KEY_ENTRY]}}},
        {"api": {"config": {"auth": False}}},
    ):
        assert "holds no API key" not in render(values).notes, values
    # Only the bootstrap key is missing: tenant keys work, /admin/apiKeys does not.
    keys_only = render({"secrets": {"values": {"apiKeys": [API_KEY_ENTRY]}}}).notes
    assert "NOTE: no bootstrap API key" in keys_only
    # An operator's Secret cannot be read while rendering: the notes say what it must hold.
    existing = render(EXISTING_SECRET).notes
    assert 'must hold "bootstrap-api-key" or "api-keys"' in existing
    assert "holds no API key" not in existing


def test_notes_describe_the_network_policies() -> None:
    notes = render().notes
    assert "NetworkPolicies drift-api and drift-worker (networkPolicy.enabled) admit:" in notes
    assert "the API's admin and metrics ports from pods of namespace workflows" in notes
    assert "may go anywhere (narrow it with networkPolicy.worker.httpTo / httpPorts)" in notes
    assert "cannot scrape" not in notes
    monitored = render({"metrics": {"serviceMonitor": {"enabled": True}}}).notes
    assert "A Prometheus outside namespace workflows cannot scrape" in monitored
    assert "NetworkPolicies" not in render({"networkPolicy": {"enabled": False}}).notes
