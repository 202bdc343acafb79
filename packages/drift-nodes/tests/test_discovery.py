"""Discovery through entry points: built-ins, clashes naming both packages, the allow setting."""

from __future__ import annotations

import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from drift_nodes import (
    AuthDiscoveryError,
    NodeDiscoveryError,
    NodeSettings,
    discover_auth_providers,
    discover_nodes,
)
from drift_nodes.builtins import HttpNodeType

BUILTINS = {
    "HTTP",
    "SCRIPT",
    "BRANCH",
    "PROCESSOR",
    "INSTRUCTION",
    "WAIT",
    "CHILD",
    "SUCCESS",
    "FAILURE",
}

RIVAL_MODULE = '''
from typing import ClassVar
from drift_models import HttpNode, NodeDefinition
from drift_nodes import NodeCall, NodeResult, NodeType


class RivalHttp(NodeType[HttpNode]):
    """Another HTTP node."""

    definition: ClassVar[type[NodeDefinition]] = HttpNode

    async def execute(self, definition: HttpNode, call: NodeCall) -> NodeResult:
        """Answer without calling anything."""
        return NodeResult(output="rival")


class Token:
    async def get_token(self, request):
        return "t"
'''


def _package(root: Path, name: str, entry_points: str, module: str = RIVAL_MODULE) -> None:
    """Install a tiny distribution under ``root``: a module and its dist-info."""
    package = name.replace("-", "_")
    (root / f"{package}.py").write_text(module)
    info = root / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


def _entry_points(root: Path, group: str) -> list[metadata.EntryPoint]:
    installed = list(metadata.entry_points(group=group))
    for dist in metadata.distributions(path=[str(root)]):
        installed.extend(ep for ep in dist.entry_points if ep.group == group)
    return installed


def test_builtins_register_through_the_entry_point_group() -> None:
    registry = discover_nodes()
    assert set(registry) >= BUILTINS
    assert {registry.source(name) for name in BUILTINS} == {"drift-nodes"}
    assert isinstance(registry["HTTP"], HttpNodeType)
    assert set(registry.node_types.names()) == set(registry)
    assert (
        registry.for_definition(
            registry.node_types.decode_node(
                b'{"type":"SCRIPT","id":"s","name":"S","config":{"script":"1"}}'
            )
        )
        is registry["SCRIPT"]
    )
    with pytest.raises(KeyError, match=r"no node type 'acme\.NOPE' is installed"):
        registry["acme.NOPE"]


def test_two_packages_offering_one_type_are_refused_naming_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    _package(tmp_path, "acme-rival", "[drift.nodes]\nHTTP = acme_rival:RivalHttp\n")
    found = _entry_points(tmp_path, "drift.nodes")
    with pytest.raises(NodeDiscoveryError) as caught:
        discover_nodes(entry_points=found)
    message = str(caught.value)
    assert "node type 'HTTP' is offered by two packages" in message
    assert "'drift-nodes'" in message
    assert "'acme-rival'" in message
    assert "DRIFT_NODES_ALLOW=HTTP=<distribution>" in message


def test_the_allow_setting_picks_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    _package(tmp_path, "acme-rival", "[drift.nodes]\nHTTP = acme_rival:RivalHttp\n")
    found = _entry_points(tmp_path, "drift.nodes")
    registry = discover_nodes(allow={"HTTP": "acme-rival"}, entry_points=found)
    assert type(registry["HTTP"]).__name__ == "RivalHttp"
    assert registry.source("HTTP") == "acme-rival"
    kept = discover_nodes(allow={"HTTP": "drift-nodes"}, entry_points=found)
    assert isinstance(kept["HTTP"], HttpNodeType)
    with pytest.raises(NodeDiscoveryError, match="allow names 'other' for node type 'HTTP'"):
        discover_nodes(allow={"HTTP": "other"}, entry_points=found)


def test_broken_entry_points_name_their_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    _package(tmp_path, "acme-broken", "[drift.nodes]\nacme.X = acme_broken:Missing\n")
    with pytest.raises(NodeDiscoveryError, match="of 'acme-broken' cannot be loaded"):
        discover_nodes(entry_points=_entry_points(tmp_path, "drift.nodes"))


def test_entry_point_names_must_be_the_type_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    _package(tmp_path, "acme-misnamed", "[drift.nodes]\nacme.HTTP = acme_misnamed:RivalHttp\n")
    with pytest.raises(NodeDiscoveryError, match="provides type 'HTTP': name the entry point"):
        discover_nodes(entry_points=_entry_points(tmp_path, "drift.nodes"))


def test_auth_providers_are_discovered_and_clashes_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    _package(tmp_path, "acme-one", "[drift.auth]\nvault = acme_one:Token\n")
    _package(tmp_path, "acme-two", "[drift.auth]\nvault = acme_two:Token\n")
    one = [ep for ep in _entry_points(tmp_path, "drift.auth") if ep.value.startswith("acme_one")]
    providers = discover_auth_providers(one)
    assert set(providers) == {"vault"}
    with pytest.raises(AuthDiscoveryError, match=r"'acme-one' .* and by 'acme-two'"):
        discover_auth_providers(_entry_points(tmp_path, "drift.auth"))


def test_settings_from_the_environment() -> None:
    settings = NodeSettings.from_env(
        {
            "DRIFT_SCRIPT_TIMEOUT_SECONDS": "0.5",
            "DRIFT_SCRIPT_MEMORY_MB": "300",
            "DRIFT_SCRIPT_FAST_PATH": "0",
            "DRIFT_HTTP_ALLOW_HOSTS": "127.0.0.1, orders.internal",
            "DRIFT_NODES_ALLOW": "HTTP=acme-rival",
        }
    )
    assert settings.scripts.timeout_seconds == 0.5
    assert settings.scripts.memory_bytes == 300 * 1024 * 1024
    assert settings.scripts.in_process_fast_path is False
    assert settings.http.allow_hosts == ("127.0.0.1", "orders.internal")
    assert settings.allow == {"HTTP": "acme-rival"}
    with pytest.raises(ValueError, match="DRIFT_SCRIPT_PROCESSES='many' is not a number"):
        NodeSettings.from_env({"DRIFT_SCRIPT_PROCESSES": "many"})
    with pytest.raises(ValueError, match="DRIFT_NODES_ALLOW: 'HTTP' is not TYPE=distribution"):
        NodeSettings.from_env({"DRIFT_NODES_ALLOW": "HTTP"})
    with pytest.raises(ValueError, match="bad DRIFT_"):
        NodeSettings.from_env({"DRIFT_SCRIPT_MEMORY_MB": "1"})
