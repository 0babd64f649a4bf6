"""The wheel carries what the installed app needs beside the code: the Maven pom, themes, scenarios,
the UI's stylesheets."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_pom_themes_and_scenarios(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                   check=True, timeout=300, capture_output=True)
    wheel = next(tmp_path.glob("kafka_explorer-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tui/lab/kafka_runtime/pom.xml" in names
    for theme in ("dark", "light", "high-contrast"):
        assert f"tui/themes_data/{theme}.yaml" in names
    scenarios = {n for n in names if n.startswith("tui/sample_configs_data/scenarios/") and n.endswith(".yaml")}
    assert len(scenarios) >= 20
    assert any(n.startswith("tui/sample_configs_data/profiles/") for n in names)
    # the UI's stylesheets sit beside its modules and are read at run time
    stylesheets = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tui" / "ui").rglob("*.tcss")}
    assert "tui/ui/app.tcss" in stylesheets
    assert stylesheets <= names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "kafka-explorer = tui.cli:main" in text
    assert "kx = tui.cli:main" in text
