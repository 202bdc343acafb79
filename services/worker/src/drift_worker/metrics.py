"""The worker's Prometheus metrics: runs, nodes, errors and latencies."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics"]

_NODE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """Counters and histograms in one registry (a fresh one per worker, or the default).

    Args:
        registry: where the metrics are registered; a new one when not given.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.runs_started = Counter(
            "drift_runs_started_total", "Runs started.", ["workflow"], registry=self.registry
        )
        self.runs_ended = Counter(
            "drift_runs_ended_total",
            "Runs that reached an end, by final status.",
            ["workflow", "status"],
            registry=self.registry,
        )
        self.nodes = Counter(
            "drift_nodes_total",
            "Node executions, by node type and outcome.",
            ["type", "status"],
            registry=self.registry,
        )
        self.node_seconds = Histogram(
            "drift_node_duration_seconds",
            "Time one node execution took, by node type.",
            ["type"],
            buckets=_NODE_BUCKETS,
            registry=self.registry,
        )
        self.store_unavailable = Counter(
            "drift_worker_store_unavailable_total",
            "Engine store calls (definition reads, context reads and writes) that found the "
            "store unavailable; the run waits and tries again, without using node retries.",
            ["operation"],
            registry=self.registry,
        )
        self.runs_waiting_for_store = Gauge(
            "drift_worker_runs_waiting_for_store",
            "Runs whose last engine store call on this worker failed (within the last "
            "150 s) and that wait for the store to answer again.",
            registry=self.registry,
        )
        self.heartbeats = Counter(
            "drift_worker_activity_heartbeats_total",
            "Heartbeats sent by long-running (non-local) step activities.",
            registry=self.registry,
        )

    def run_started(self, workflow: str) -> None:
        """Count a run that was pinned and got its context."""
        self.runs_started.labels(workflow=workflow).inc()

    def run_ended(self, workflow: str, status: str) -> None:
        """Count a run that ended."""
        self.runs_ended.labels(workflow=workflow, status=status).inc()

    def node_ran(self, node_type: str, status: str, seconds: float) -> None:
        """Count one node execution and observe how long it took."""
        self.nodes.labels(type=node_type, status=status).inc()
        self.node_seconds.labels(type=node_type).observe(seconds)
