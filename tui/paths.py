"""Where kafka-explorer keeps its files. Functions, not constants: nothing is created at import."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "kafka-explorer"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def cache_dir() -> Path:
    """Downloaded Kafka jars live here (``$KX_CACHE_DIR`` overrides)."""
    override = os.environ.get("KX_CACHE_DIR")
    return Path(override) if override else _xdg("XDG_CACHE_HOME", ".cache") / APP_NAME


def state_dir() -> Path:
    """Lab cluster data, logs and PID files (``$KX_STATE_DIR`` overrides)."""
    override = os.environ.get("KX_STATE_DIR")
    return Path(override) if override else _xdg("XDG_STATE_HOME", ".local/state") / APP_NAME


def lab_dir() -> Path:
    """The default lab cluster's state directory."""
    return state_dir() / "lab"


def config_dir() -> Path:
    """User configuration: profiles, keymap, remembered theme (``$KX_CONFIG_DIR`` overrides)."""
    override = os.environ.get("KX_CONFIG_DIR")
    return Path(override) if override else _xdg("XDG_CONFIG_HOME", ".config") / APP_NAME


def log_file() -> Path:
    """The app's own log (librdkafka logs are routed here, redacted)."""
    return state_dir() / "kafka-explorer.log"


def ensure(path: Path) -> Path:
    """Create a directory on first use and return it."""
    path.mkdir(parents=True, exist_ok=True)
    return path
