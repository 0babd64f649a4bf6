"""The app's log follows --state-dir: what one run keeps stays together (and Help can say where)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_log_goes_to_the_state_dir_given(tmp_path: Path) -> None:
    state = tmp_path / "lab"
    proc = subprocess.run([sys.executable, "-m", "tui", "--state-dir", str(state), "lab", "status"],
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr
    log = state / "kafka-explorer.log"
    assert log.exists()
    assert log.stat().st_mode & 0o077 == 0  # private: it may hold redacted-but-revealing lines
