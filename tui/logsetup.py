"""Where the app's own log lines go: one redacted file, never the terminal.

librdkafka's log lines reach Python logging through ``logger=`` (see ``tui/kafka/clients.py``). With
no handler anywhere, Python's last-resort handler would print every WARNING+ line (a refused
connection, once per retry) on stderr, over the TUI or the one-sentence error of a headless command.
"""

from __future__ import annotations

import logging

APP_LOGGER = "kafka_explorer"


def route_logs() -> None:
    """Attach the redacting app log file handler to the ``kafka_explorer`` logger (idempotent).

    Does nothing when something (pytest's capture, an embedding program) already configured the root
    logger or this logger.
    """
    logger = logging.getLogger(APP_LOGGER)
    if logger.handlers or logging.getLogger().handlers:
        return
    from tui.redact import app_log_handler  # 0600 file; secrets are redacted from every line

    logger.addHandler(app_log_handler())
    logger.setLevel(logging.INFO)
    logger.propagate = False
