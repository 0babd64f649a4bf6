"""Where the app's own log lines go: one redacted file, never the terminal.

librdkafka's log lines reach Python logging through ``logger=`` (see ``tui/kafka/clients.py``). With
no handler anywhere, Python's last-resort handler would print every WARNING+ line (a refused
connection, once per retry) on stderr, over the TUI or the one-sentence error of a headless command.
"""

from __future__ import annotations

import logging
from pathlib import Path

APP_LOGGER = "kafka_explorer"
LOG_NAME = "kafka-explorer.log"
_active: Path | None = None


def route_logs(state_dir: Path | None = None) -> None:
    """Attach the redacting app log file handler to the ``kafka_explorer`` logger (idempotent). The
    file is ``<state_dir>/kafka-explorer.log`` when a state directory was given (``--state-dir``: what a
    run keeps stays together), else the user state directory's.

    Does nothing when something (pytest's capture, an embedding program) already configured the root
    logger or this logger.
    """
    global _active
    logger = logging.getLogger(APP_LOGGER)
    if logger.handlers or logging.getLogger().handlers:
        return
    from tui import paths
    from tui.redact import app_log_handler  # 0600 file; secrets are redacted from every line

    target = state_dir / LOG_NAME if state_dir is not None else paths.log_file()
    handler = app_log_handler(target)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if isinstance(handler, logging.FileHandler):
        _active = target


def active_log_file() -> Path | None:
    """The file this process logs to (None when it does not write one, e.g. under pytest)."""
    return _active
