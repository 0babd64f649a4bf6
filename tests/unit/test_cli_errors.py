"""Bad input at the command line: one sentence on stderr, a non-zero exit, no library noise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "KX_STATE_DIR": str(home / "state"),
           "KX_CONFIG_DIR": str(home / "config")}
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          timeout=120, env=env, check=False)


def test_unreachable_cluster_is_one_sentence_without_librdkafka_lines(tmp_path: Path) -> None:
    out = _run("-b", "127.0.0.1:1", "produce", "t", "--count", "1", home=tmp_path)
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr[:2000]
    assert lines[0].startswith("kafka-explorer: Cannot reach")
    assert "FAIL" not in out.stderr


def test_no_lab_and_no_cluster_is_one_sentence(tmp_path: Path) -> None:
    out = _run("watch", "--duration", "1", home=tmp_path)
    assert out.returncode == 1
    assert "no lab cluster exists" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_option_value_exits_2(tmp_path: Path) -> None:
    out = _run("lab", "up", "--nodes", "2", home=tmp_path)
    assert out.returncode == 2
    assert "invalid choice" in out.stderr
