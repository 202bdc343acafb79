"""The drift-api servers for real: granian on loopback ports, probes, metrics, fuzzing."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import httpx

from drift_api import ApiSettings
from drift_worker.devserver import DevServer
from tests.api.harness import Api, publish_examples, tenant_key

FUZZ_EXAMPLES = int(os.environ.get("DRIFT_FUZZ_EXAMPLES", "15"))


async def test_probes_metrics_and_a_run_over_real_http(
    served: ApiSettings, temporal_server: DevServer, tenant: str
) -> None:
    base = f"http://127.0.0.1:{served.app_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        live = await http.get(f"http://127.0.0.1:{served.admin_port}/healthz")
        assert live.json() == {"status": "ok", "checks": {}}
        ready = await http.get(f"http://127.0.0.1:{served.admin_port}/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"temporal": "ok", "store": "ok"}

        api = Api(http=http, tenant=tenant, key=tenant_key(tenant)[0])
        await publish_examples(api)
        started = await api.start("refund", {"orderId": "A-100", "reason": "x"})
        assert started.status_code == 200, started.text
        assert started.json()["workflowStatus"] == "WAITING"
        assert started.headers["x-drift-state-source"] == "engine"

        metrics = await http.get(f"http://127.0.0.1:{served.metrics_port}/metrics")
        assert metrics.status_code == 200
        assert "drift_api_requests_total" in metrics.text
        assert 'path="/v3/workflow/start"' in metrics.text
    del temporal_server


async def test_schemathesis_finds_no_server_error(
    served: ApiSettings, tenant: str, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{served.app_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        await publish_examples(Api(http=http, tenant=tenant, key=tenant_key(tenant)[0]))
    schemathesis = Path(sys.executable).parent / "schemathesis"
    config = tmp_path / "schemathesis.toml"
    # A schema-valid request may still be refused for what it means (an unknown
    # workflow, a definition with errors, a run that is not waiting, a callback the
    # guard refuses): 404, 409 and 422 are such answers; 400 never is.
    config.write_text(
        "[checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "401", "403", "404", "409", "422"]\n'
    )
    process = await asyncio.create_subprocess_exec(
        str(schemathesis),
        "--config-file",
        str(config),
        "run",
        f"{base}/schema/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(FUZZ_EXAMPLES),
        "--workers",
        "1",
        "--seed",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "-H",
        f"X-Tenant-Id: {tenant}",
        "-H",
        "X-Client-Id: fuzz",
        "-H",
        f"X-Api-Key: {tenant_key(tenant)[0]}",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""},
        cwd=tmp_path,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-6000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", text)
    assert counts is not None, text[-3000:]
    assert counts.group(1) == counts.group(2)
    assert int(counts.group(1)) > 100
