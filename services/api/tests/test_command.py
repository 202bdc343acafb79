"""The drift-api command: making a key, and refusing bad settings."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from drift_api import ApiKeys

COMMAND = Path(sys.executable).parent / "drift-api"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_new_key_prints_a_key_and_the_entry_that_accepts_it() -> None:
    made = run("new-key", "acme", DRIFT_API_KEY_PEPPER="pepper")
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    key = lines[0].rsplit(" ", 1)[1]
    entry = lines[1].rsplit(" ", 1)[1]
    assert entry.startswith("acme:")
    assert asyncio.run(ApiKeys([entry], pepper="pepper").identify(key)) == "acme"


def test_a_key_needs_the_pepper_and_bad_settings_are_named() -> None:
    no_pepper = run("new-key", "acme", DRIFT_API_KEY_PEPPER="")
    assert no_pepper.returncode == 2
    assert "DRIFT_API_KEY_PEPPER" in no_pepper.stderr
    bad = run("serve", DRIFT_APP_PORT="eighty")
    assert bad.returncode == 2
    assert "DRIFT_APP_PORT" in bad.stderr
