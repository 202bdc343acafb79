"""``drift dev --temporal-address``: the local platform on an existing Temporal (here the
session's cluster) instead of a dev server of its own."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from drift_worker.devserver import free_port
from drift_worker.testing.temporal_cluster import TemporalCluster
from tests.cli.test_dev import Dev, _processes_mentioning, running


async def test_drift_dev_runs_on_an_existing_temporal(
    tmp_path: Path, temporal_cluster: TemporalCluster, cluster_client: Client
) -> None:
    ports = {
        flag: free_port()
        for flag in ("--api-port", "--api-admin-port", "--worker-admin-port", "--demo-port")
    }
    data = tmp_path / "data"
    dev = Dev(data, ports, "--temporal-address", temporal_cluster.address)
    with running(dev):
        banner = dev.banner()
        assert f"Temporal:     {temporal_cluster.address} (yours, namespace default" in banner
        assert "Temporal UI" not in banner
        # No dev server of its own: nothing runs "start-dev" on behalf of this data folder.
        assert _processes_mentioning(f"{data.resolve()}/temporal.db") == []

        started = dev.cli(
            "start", "refund", "--param", "orderId=A-100", "--param", "reason=x", "--run-id", "c-1"
        )
        assert started.returncode == 0, started.stderr
        assert started.stdout.splitlines()[0] == "run c-1: WAITING at confirmRefund"
        resumed = dev.cli("resume", "c-1", "--answer", "decision=approve", "--answer", "note=ok")
        assert resumed.returncode == 0, resumed.stderr
        assert "run c-1: COMPLETED at refunded" in resumed.stdout
        assert dev.interrupt() == 0

    # The run lives in the cluster, under drift dev's tenant.
    counted = await cluster_client.count_workflows("WorkflowId = 'demo/c-1'")
    assert counted.count == 1


def test_drift_dev_refuses_an_address_that_is_not_host_port(tmp_path: Path) -> None:
    ports = {
        flag: free_port()
        for flag in ("--api-port", "--api-admin-port", "--worker-admin-port", "--demo-port")
    }
    dev = Dev(tmp_path / "data", ports, "--temporal-address", "nowhere")
    args = ["dev", "--data-dir", str(dev.data), "--temporal-address", "nowhere"]
    for flag, port in ports.items():
        args += [flag, str(port)]
    answer = dev.cli(*args)
    assert answer.returncode == 2, answer.stderr
    assert "--temporal-address 'nowhere' is not HOST:PORT" in answer.stderr
