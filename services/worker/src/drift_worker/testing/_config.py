"""The configuration files of a four-service Temporal cluster on loopback ports.

Each process gets its own file, identical but for its Prometheus port: the metrics
listener is per process, not per service, so one shared file would leave the second to
fourth process without metrics. Rendering the files here (instead of with the server's
own template syntax) keeps every port in one place and the files free of templates.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from drift_worker.devserver import free_port, port_is_free

__all__ = ["SERVICES", "ServicePorts", "render_config", "render_dynamic_config"]

SERVICES: Final = ("history", "matching", "frontend", "worker")
"""The services in their start order: history first (it writes the cluster's metadata)."""

HISTORY_SHARDS: Final = 4
_SMALLINT_PORTS: Final = range(20000, 32768)


def free_low_port() -> int:
    """A free loopback port below 32768.

    Temporal stores each host's membership port in a PostgreSQL ``smallint``
    (``cluster_membership.rpc_port``): a port from the kernel's ephemeral range (32768 and
    up) is refused (``value "36229" is out of range for type smallint``) and the service exits.
    """
    chooser = random.SystemRandom()
    for _ in range(1000):
        port = chooser.choice(_SMALLINT_PORTS)
        if port_is_free(port):
            return port
    msg = "no free loopback port between 20000 and 32767 for Temporal's membership ports"
    raise RuntimeError(msg)


@dataclass(frozen=True)
class ServicePorts:
    """The loopback ports of one service process."""

    grpc: int = field(default_factory=free_port)
    membership: int = field(default_factory=free_low_port)
    metrics: int = field(default_factory=free_port)
    http: int = field(default_factory=free_port)


def _store(database: str, pg_port: int, connections: int) -> str:
    return f"""
      sql:
        pluginName: "postgres12"
        databaseName: "{database}"
        connectAddr: "127.0.0.1:{pg_port}"
        connectProtocol: "tcp"
        user: "temporal"
        password: "temporal"
        maxConns: {connections}
        maxIdleConns: {connections}
        maxConnLifetime: "1h\""""


def render_config(
    ports: dict[str, ServicePorts], process: str, pg_port: int, dynamic_config: Path
) -> str:
    """The YAML of the process running ``process``, knowing every service's ports."""
    services = ""
    for name in SERVICES:
        own = ports[name]
        http = f"\n      httpPort: {own.http}" if name == "frontend" else ""
        services += (
            f"  {name}:\n    rpc:\n      grpcPort: {own.grpc}\n"
            f'      membershipPort: {own.membership}\n      bindOnIP: "127.0.0.1"{http}\n'
        )
    frontend = ports["frontend"]
    return f"""log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: {HISTORY_SHARDS}
  datastores:
    postgres-default:{_store("temporal", pg_port, 20)}
    postgres-visibility:{_store("temporal_visibility", pg_port, 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:{ports[process].metrics}"
services:
{services}clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:{frontend.grpc}"
      httpAddress: "127.0.0.1:{frontend.http}"
dcRedirectionPolicy:
  policy: "noop"
publicClient:
  hostPort: "127.0.0.1:{frontend.grpc}"
archival:
  history:
    state: "disabled"
  visibility:
    state: "disabled"
namespaceDefaults:
  archival:
    history:
      state: "disabled"
    visibility:
      state: "disabled"
dynamicConfigClient:
  filepath: "{dynamic_config}"
  pollInterval: "10s"
"""


def render_dynamic_config() -> str:
    """Dynamic config: Drift's long workflow ids, and dispatch unthrottled like the dev server."""
    return (
        "limit.maxIDLength:\n  - value: 255\n    constraints: {}\n"
        "history.transferProcessorMaxPollRPS:\n  - value: 1000\n    constraints: {}\n"
        "system.namespaceCacheRefreshInterval:\n  - value: 1s\n    constraints: {}\n"
    )
