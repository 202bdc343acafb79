"""Every variable the services read can be set from values and arrives as meant.

The names come from the services themselves: ``environment_names`` of ``ApiSettings`` and
``WorkerSettings``, and the variables ``NodeSettings.from_env`` looks up (recorded by
handing it an environment that notes every name it is asked for). Each test reads the
environment a pod would get from the rendered ConfigMaps and Secrets and parses it with
the services' own loaders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec
import pytest

from drift_api.settings import ApiSettings
from drift_models.settings import CONFIG_FILE_VARIABLE, environment_names, load_settings
from drift_nodes import NodeSettings
from drift_nodes.settings import HttpSettings, ScriptSettings
from drift_store.urls import HBaseUrl, parse_store_url
from drift_worker.enum_store import EnumStore
from drift_worker.settings import WorkerSettings
from tests.helm.chart import container_env, render
from tests.helm.value_sets import (
    API_KEY_ENTRY,
    CALLBACK_SECRET,
    EVERYTHING,
    EXISTING_SECRET_DATA,
    PLAIN_REDIS,
    REDIS_PASSWORD,
    VALUE_SETS,
)

# Read by the OpenTelemetry SDK of the processes (drift_worker.tracing), not by Drift.
OTEL_VARIABLES = frozenset({"OTEL_EXPORTER_OTLP_ENDPOINT"})
SETTINGS: dict[str, type[msgspec.Struct]] = {"api": ApiSettings, "worker": WorkerSettings}
_MIB = 1024 * 1024


class _RecordingEnvironment(Mapping[str, str]):
    """An empty environment that remembers every name it was asked about."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def node_runtime_variables() -> frozenset[str]:
    """The variables ``NodeSettings.from_env`` reads (drift-nodes exposes no list)."""
    environment = _RecordingEnvironment()
    NodeSettings.from_env(environment)
    return frozenset(environment.asked)


def service_variables(component: str) -> frozenset[str]:
    """Every variable a service process reads: its settings, the node runtime's, OTel's."""
    names = set(environment_names(SETTINGS[component]).values())
    return frozenset(names | node_runtime_variables() | {CONFIG_FILE_VARIABLE} | OTEL_VARIABLES)


def _settings_env(env: Mapping[str, str]) -> dict[str, str]:
    # The chart test sets DRIFT_CONFIG_FILE through extraEnv to prove it can; no such file
    # exists here, so the settings are read from the variables alone.
    return {k: v for k, v in env.items() if k != CONFIG_FILE_VARIABLE}


# ---------------------------------------------------------------------------- the names


def test_the_node_runtime_variables_are_found() -> None:
    found = node_runtime_variables()
    documented = set(re.findall(r"DRIFT_[A-Z_]+", NodeSettings.from_env.__doc__ or ""))
    assert found == documented
    assert {"DRIFT_SCRIPT_TIMEOUT_SECONDS", "DRIFT_HTTP_ALLOW_HOSTS", "DRIFT_NODES_ALLOW"} <= found


def test_the_recorder_sees_every_lookup() -> None:
    environment = _RecordingEnvironment()
    assert environment.get("DRIFT_X") is None
    assert "DRIFT_Y" not in environment
    assert environment.asked == {"DRIFT_X", "DRIFT_Y"}


@pytest.mark.parametrize("component", sorted(SETTINGS))
def test_every_variable_the_service_reads_is_set_from_values(component: str) -> None:
    env = container_env(render(EVERYTHING), component)
    plain = container_env(render(PLAIN_REDIS), component)
    missing = sorted(service_variables(component) - env.keys() - plain.keys())
    assert not missing, f"{component}: no value of the chart sets {missing}"


@pytest.mark.parametrize("component", sorted(SETTINGS))
def test_the_chart_sets_nothing_the_service_ignores(component: str) -> None:
    env = container_env(render(EVERYTHING), component)
    unknown = sorted(set(env) - service_variables(component))
    assert not unknown, f"{component}: the chart sets variables nothing reads: {unknown}"


# ---------------------------------------------------------------------------- the values


def _expected_api() -> ApiSettings:
    return ApiSettings(
        temporal_address="temporal-frontend.temporal.svc:7233",
        temporal_namespace="drift-prod",
        task_queue="drift-runs",
        store_url="hbase://hbase-thrift.data.svc:9095?prefix=prod_&pool=16&timeout=7.5",
        redis_sentinels=["redis-sentinel-0.redis:26379", "redis-sentinel-1.redis:26379"],
        redis_master="drift-master",
        redis_password=REDIS_PASSWORD,
        host="::",
        app_port=8080,
        admin_port=8081,
        metrics_port=9100,
        sync_timeout_seconds=25,
        query_timeout_seconds=2.5,
        max_sync_waits=40,
        overload_retry_after_seconds=2,
        late_answer_seconds=1.5,
        max_body_bytes=8388608,
        max_redrives=3,
        auth=False,
        bootstrap_api_key="bootstrap-key-value",
        api_keys=[API_KEY_ENTRY, "globex:k2:" + "cd" * 32],
        api_key_pepper="pepper-value",
        api_key_cache_seconds=30,
        cors_origins=["https://console.example.com", "https://admin.example.com"],
        tracing=False,
        request_metrics=False,
        default_page_size=200,
        log_level="DEBUG",
    )


def _expected_worker() -> WorkerSettings:
    return WorkerSettings(
        temporal_address="temporal-frontend.temporal.svc:7233",
        temporal_namespace="drift-prod",
        task_queue="drift-runs",
        store_url="hbase://hbase-thrift.data.svc:9095?prefix=prod_&pool=16&timeout=7.5",
        redis_sentinels=["redis-sentinel-0.redis:26379", "redis-sentinel-1.redis:26379"],
        redis_master="drift-master",
        redis_password=REDIS_PASSWORD,
        host="::",
        app_port=7300,
        admin_port=7301,
        metrics_port=9200,
        callback_secret=CALLBACK_SECRET,
        history_limit=5000,
        max_concurrent_activities=50,
        max_concurrent_local_activities=400,
        max_cached_runs=3000,
        pollers=12,
        enum_store_file="/etc/drift/enum-store/enum-store.yaml",
        shutdown_grace_seconds=45,
        tracing=False,
        log_level="WARNING",
    )


EXPECTED_NODES = NodeSettings(
    scripts=ScriptSettings(
        timeout_seconds=3.5,
        memory_bytes=768 * _MIB,
        sandbox_processes=4,
        in_process_fast_path=False,
    ),
    http=HttpSettings(
        allow_hosts=("orders.internal", "10.1.0.0/16"),
        default_timeout_seconds=12,
        max_response_bytes=20 * _MIB,
    ),
    allow={"SCRIPT": "drift-nodes", "LDAP": "acme-drift-ldap"},
)


@pytest.mark.parametrize("component", sorted(SETTINGS))
def test_values_arrive_as_the_services_read_them(component: str) -> None:
    env = container_env(render(EVERYTHING), component)
    settings = load_settings(SETTINGS[component], _settings_env(env))
    expected = _expected_api() if component == "api" else _expected_worker()
    assert settings == expected
    assert NodeSettings.from_env(env) == EXPECTED_NODES
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability:4318"
    assert env[CONFIG_FILE_VARIABLE] == "/etc/drift/extra.yaml"


@pytest.mark.parametrize("component", sorted(SETTINGS))
def test_every_setting_was_changed_by_a_value(component: str) -> None:
    # Each field differs from the service's default in one of the two renders: the chart
    # did set it (a field the chart forgot would keep its default everywhere).
    settings_type = SETTINGS[component]
    default = settings_type()
    renders: list[Any] = [
        load_settings(settings_type, _settings_env(container_env(render(values), component)))
        for values in (EVERYTHING, PLAIN_REDIS)
    ]
    unchanged = [
        field
        for field in (f.name for f in msgspec.structs.fields(settings_type))
        if all(getattr(r, field) == getattr(default, field) for r in renders)
    ]
    assert not unchanged, f"{component}: no value changes {unchanged}"
    node_default = NodeSettings()
    node = NodeSettings.from_env(container_env(render(EVERYTHING), component))
    assert node.allow != node_default.allow
    for part in ("scripts", "http"):
        mine, theirs = getattr(node, part), getattr(node_default, part)
        changed = {
            f.name
            for f in msgspec.structs.fields(type(mine))
            if getattr(mine, f.name) != getattr(theirs, f.name)
        }
        settable = {
            "scripts": {
                "timeout_seconds",
                "memory_bytes",
                "sandbox_processes",
                "in_process_fast_path",
            },
            "http": {"allow_hosts", "default_timeout_seconds", "max_response_bytes"},
        }[part]
        assert changed == settable


@pytest.mark.parametrize("component", sorted(SETTINGS))
def test_plain_redis(component: str) -> None:
    env = container_env(render(PLAIN_REDIS), component)
    settings: Any = load_settings(SETTINGS[component], env)
    assert settings.redis_url == "redis://redis-master.cache:6379/2"
    assert settings.redis_password == REDIS_PASSWORD
    assert settings.redis_sentinels == []
    assert "DRIFT_REDIS_SENTINELS" not in env


@pytest.mark.parametrize("component", sorted(SETTINGS))
def test_the_chart_defaults_are_the_services_defaults(component: str) -> None:
    env = container_env(render(), component)
    settings = load_settings(SETTINGS[component], env)
    # Only where to connect differs: a service alone defaults to a local dev setup.
    expected = msgspec.structs.replace(
        SETTINGS[component](),
        temporal_address="temporal-frontend:7233",
        store_url="hbase://hbase-thrift:9090?pool=8&timeout=10",
    )
    assert settings == expected
    assert NodeSettings.from_env(env) == NodeSettings()
    assert not {"DRIFT_REDIS_URL", "DRIFT_REDIS_SENTINELS", "DRIFT_REDIS_PASSWORD"} & env.keys()


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
@pytest.mark.parametrize("component", sorted(SETTINGS))
def test_every_value_set_gives_valid_settings(name: str, component: str) -> None:
    env = container_env(render(VALUE_SETS[name]), component, EXISTING_SECRET_DATA)
    settings: Any = load_settings(SETTINGS[component], _settings_env(env))
    NodeSettings.from_env(env)
    assert isinstance(parse_store_url(settings.store_url), HBaseUrl)


def test_the_store_url_is_built_from_the_hbase_values() -> None:
    env = container_env(render(EVERYTHING), "worker")
    url = parse_store_url(env["DRIFT_STORE_URL"])
    assert url == HBaseUrl(
        host="hbase-thrift.data.svc", port=9095, prefix="prod_", pool=16, timeout=7.5
    )
    given = "hbase://hbase.example:9090?prefix=x_"
    assert container_env(render({"store": {"url": given}}), "api")["DRIFT_STORE_URL"] == given


def test_the_store_url_can_come_from_the_secret() -> None:
    rendered = render({"store": {"fromSecret": True}, "hbase": {"tablePrefix": "s_"}})
    assert "DRIFT_STORE_URL" not in rendered.one("ConfigMap", "drift-api")["data"]
    env = container_env(rendered, "api")
    assert parse_store_url(env["DRIFT_STORE_URL"]) == HBaseUrl(
        host="hbase-thrift", port=9090, prefix="s_"
    )


def test_extra_env_wins_over_the_config_map() -> None:
    values = {"api": {"extraEnv": [{"name": "DRIFT_LOG_LEVEL", "value": "ERROR"}]}}
    env = container_env(render(values), "api")
    assert env["DRIFT_LOG_LEVEL"] == "ERROR"
    assert load_settings(ApiSettings, env).log_level == "ERROR"


def test_the_enum_store_file_reads_as_the_values(tmp_path: Path) -> None:
    rendered = render(EVERYTHING)
    env = container_env(rendered, "worker")
    name = Path(env["DRIFT_ENUM_STORE_FILE"]).name
    path = tmp_path / name
    path.write_text(rendered.one("ConfigMap", "drift-worker-enum-store")["data"][name])
    store = EnumStore.from_file(path)
    assert store.for_tenant("acme") == {"crmUrl": "http://crm.internal", "tier": 2}
    assert store.for_tenant("globex") == {"crmUrl": "http://crm.internal"}
