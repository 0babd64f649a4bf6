"""UI test fixtures: a private config dir (no user keymap/theme leaks in) and a fixed time zone."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    config = tmp_path / "config"
    monkeypatch.setenv("KX_CONFIG_DIR", str(config))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield config
    monkeypatch.delenv("TZ", raising=False)
    if "TZ" in os.environ:
        del os.environ["TZ"]
    time.tzset()
