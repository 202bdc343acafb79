"""The optional hook Job that registers Drift's search attributes (off by default)."""

from __future__ import annotations

from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]

from drift_worker.main import main as worker_main
from tests.helm.chart import RELEASE, container, container_env, render
from tests.helm.value_sets import EVERYTHING

JOB = f"{RELEASE}-search-attributes"


def test_no_job_unless_asked() -> None:
    assert render().find("Job", JOB) is None


def test_the_job_runs_the_setup_command_with_the_workers_settings() -> None:
    rendered = render({"searchAttributes": {"job": {"enabled": True}}})
    job = rendered.one("Job", JOB)
    kubernetes_validate.validate(job, "1.25.0", strict=True)
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "post-install,post-upgrade"
    assert "hook-succeeded" in annotations["helm.sh/hook-delete-policy"]
    pod: dict[str, Any] = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (setup,) = pod["containers"]
    worker = container(rendered, "worker")
    assert setup["image"] == worker["image"]
    assert setup["args"] == ["setup-search-attributes"]
    # The same settings as the worker: the same Temporal, namespace and credentials.
    assert setup["envFrom"] == [e for e in worker["envFrom"] if "configMapRef" in e]
    # Its pods are not the worker's: no Service, PDB or NetworkPolicy selects them.
    assert pod_labels(job)["app.kubernetes.io/component"] == "search-attributes"


def test_the_job_sees_the_namespace_the_worker_polls() -> None:
    rendered = render(EVERYTHING)
    job = rendered.one("Job", JOB)
    assert job["spec"]["backoffLimit"] == 5
    env = container_env(rendered, "worker")
    assert env["DRIFT_TEMPORAL_NAMESPACE"] == "drift-prod"


def test_the_image_knows_the_command() -> None:
    # The chart's args are a command the worker's entry point accepts (--check: no server).
    assert worker_main(["setup-search-attributes", "--check"]) == 0


def pod_labels(job: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = job["spec"]["template"]["metadata"]["labels"]
    return labels
