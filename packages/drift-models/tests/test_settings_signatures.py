"""Settings from the environment and a file; callback signatures."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from drift_models import SignatureError, sign_callback, verify_callback
from drift_models.settings import SettingsError, environment_names, load_settings


class ExampleSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    store_url: str = "sqlite:///x.db"
    port: int = 8000
    debug: bool = False
    allow_hosts: list[str] = []
    redis_url: str | None = None


def test_defaults_file_and_environment_in_that_order(tmp_path: Path) -> None:
    file = tmp_path / "drift.yaml"
    file.write_text("port: 9000\nallow-hosts: [a.example]\nstore_url: sqlite:///file.db\n")
    settings = load_settings(
        ExampleSettings,
        {
            "DRIFT_CONFIG_FILE": str(file),
            "DRIFT_STORE_URL": "hbase://h:9090",
            "DRIFT_DEBUG": "true",
        },
    )
    assert settings == ExampleSettings(
        store_url="hbase://h:9090", port=9000, debug=True, allow_hosts=["a.example"]
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"DRIFT_ALLOW_HOSTS": "a.example, b.example"}, ["a.example", "b.example"]),
        ({"DRIFT_ALLOW_HOSTS": "only.example"}, ["only.example"]),
        ({"DRIFT_ALLOW_HOSTS": '["x", "y"]'}, ["x", "y"]),
        ({"DRIFT_ALLOW_HOSTS": ""}, []),
    ],
)
def test_lists_from_the_environment(environ: dict[str, str], expected: list[str]) -> None:
    assert load_settings(ExampleSettings, environ).allow_hosts == expected


def test_strings_that_look_like_numbers_stay_strings() -> None:
    assert load_settings(ExampleSettings, {"DRIFT_REDIS_URL": "123"}).redis_url == "123"


def test_a_wrong_value_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="DRIFT_PORT"):
        load_settings(ExampleSettings, {"DRIFT_PORT": "eighty"})


def test_a_wrong_file_is_named(tmp_path: Path) -> None:
    file = tmp_path / "bad.json"
    file.write_text('{"port": "eighty"}')
    with pytest.raises(SettingsError, match=r"bad\.json: port"):
        load_settings(ExampleSettings, {}, file)
    with pytest.raises(SettingsError, match="cannot read the settings file"):
        load_settings(ExampleSettings, {}, tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(SettingsError, match="must hold a mapping"):
        load_settings(ExampleSettings, {}, tmp_path / "list.yaml")


def test_environment_names() -> None:
    assert environment_names(ExampleSettings)["store_url"] == "DRIFT_STORE_URL"


def test_signatures_verify_and_refuse_tampering() -> None:
    body = b'{"workflowId":"r1"}'
    header = sign_callback("s3cret", body)
    assert verify_callback("s3cret", body, header) > 0
    with pytest.raises(SignatureError, match="does not match"):
        verify_callback("s3cret", body + b" ", header)
    with pytest.raises(SignatureError, match="does not match"):
        verify_callback("other", body, header)
    with pytest.raises(SignatureError, match="missing"):
        verify_callback("s3cret", body, None)
    with pytest.raises(SignatureError, match="not t="):
        verify_callback("s3cret", body, "v1=abc")
    old = sign_callback("s3cret", body, timestamp=1_000)
    with pytest.raises(SignatureError, match="older than"):
        verify_callback("s3cret", body, old)
