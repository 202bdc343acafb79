"""The README's example runs and prints what it says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert blocks
    result = subprocess.run(
        [sys.executable, "-c", blocks[0]], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["422", "$.config.script"]
