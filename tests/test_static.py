"""The static checks `make lint` runs, as part of the suite so CI enforces them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_is_clean() -> None:
    out = _run(str(BIN / "ruff"), "check", "tui", "tests", "bench")
    assert out.returncode == 0, out.stdout[-4000:]


def test_mypy_strict_is_clean() -> None:
    out = _run(str(BIN / "mypy"))
    assert out.returncode == 0, out.stdout[-4000:]
