"""The layering rules, checked at run time (fresh interpreters) and statically (import-linter).

* importing every module of ``tui.engine`` and ``tui.lab`` loads neither Textual nor Rich;
* importing every module of ``tui.ui`` does not load confluent_kafka (the UI talks to the engine
  only through commands and snapshots).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import importlib, pkgutil, sys
import {package} as root
names = [root.__name__]
names += [m.name for m in pkgutil.walk_packages(root.__path__, root.__name__ + ".")]
for name in names:
    importlib.import_module(name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})
print(len(names), ",".join(bad))
"""


def _probe(package: str, forbidden: set[str]) -> tuple[int, list[str]]:
    out = subprocess.run([sys.executable, "-c", _PROBE.format(package=package, forbidden=forbidden)],
                         cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    count, _, bad = out.stdout.strip().rpartition("\n")[-1].partition(" ")
    return int(count), [b for b in bad.split(",") if b]


def test_engine_and_lab_import_no_textual_or_rich() -> None:
    for package in ("tui.engine", "tui.lab"):
        count, bad = _probe(package, {"textual", "rich"})
        assert count > 3, f"{package}: found too few modules to be meaningful"
        assert bad == [], f"{package} loaded {bad}"


def test_ui_imports_no_confluent_kafka() -> None:
    count, bad = _probe("tui.ui", {"confluent_kafka"})
    assert count > 10
    assert bad == [], f"tui.ui loaded {bad}"


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "import-linter is not installed in this environment"
    result = subprocess.run([exe], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "BROKEN" not in result.stdout
