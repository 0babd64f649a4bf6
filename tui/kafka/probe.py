"""Trying a connection: one metadata request, and one sentence saying why it failed.

Used by ``config check --connect`` and before the explorer opens, so a wrong password, CA or
mechanism gets its own sentence instead of a generic timeout.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from tui.kafka.explain import explain_client_error
from tui.kafka.properties import invalid_property_sentence
from tui.redact import is_secret_key, redact_text

# error codes that do not heal by retrying: the probe ends at once
_DECISIVE = ("_AUTHENTICATION", "_SSL", "SASL_AUTHENTICATION_FAILED", "_INVALID_ARG")


class _FailureLog(logging.Handler):
    """Collects librdkafka's FAIL log lines of one probe client (kept off the app log)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []
        self.logger = logging.Logger("kafka_explorer.kafka.probe", level=logging.DEBUG)
        self.logger.addHandler(self)
        self.logger.propagate = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:
            return
        if " FAIL " in f" {text} " and len(self.messages) < 20:
            self.messages.append(re.sub(r"^.*?\[thrd:[^\]]*\]:\s*", "", text))


def probe_connection(bootstrap: str, properties: Mapping[str, str], timeout: float = 10.0,
                     secrets: Iterable[str] = ()) -> str | None:
    """Ask the cluster for metadata; None when it answers, else one sentence saying why not.

    Authentication and TLS failures end the probe at once (they do not heal by retrying). The one
    client is created, polled and closed by the calling thread, with short poll timeouts.
    """
    from confluent_kafka import KafkaError, KafkaException

    from tui.kafka import clients
    from tui.kafka.errors import error_text

    errors: list[KafkaError] = []
    failures = _FailureLog()
    hidden = [*secrets, *(v for k, v in properties.items() if is_secret_key(k))]
    conf: dict[str, Any] = {**properties, "bootstrap.servers": bootstrap,
                            "socket.connection.setup.timeout.ms": max(1000, int(timeout * 1000))}
    try:
        client = clients.producer(conf, error_cb=errors.append, logger=failures.logger)
    except KafkaException as exc:
        return redact_text(f"{invalid_property_sentence(error_text(exc), hidden)}.", hidden)
    except (TypeError, ValueError) as exc:
        return redact_text(f"librdkafka rejects the configuration ({exc}).", hidden)
    deadline = time.monotonic() + timeout
    last: Any = None
    try:
        while time.monotonic() < deadline:
            client.poll(0.1)  # serves error_cb
            decisive = [e for e in errors if e.name() in _DECISIVE or "SSL handshake failed" in e.str()]
            if decisive:
                return explain_client_error(decisive[0], hidden)
            try:
                client.list_topics(timeout=min(0.5, max(0.05, deadline - time.monotonic())))
                return None
            except KafkaException as exc:
                last = exc
        client.poll(0.1)
        specific: list[Any] = [e for e in errors if e.name() != "_ALL_BROKERS_DOWN"]
        # librdkafka reports a peer that hangs up only in its log, not through error_cb
        specific += failures.messages
        return explain_client_error(specific[0] if specific else (errors[0] if errors else last), hidden)
    finally:
        client.purge()
        client.flush(0)
        close = getattr(client, "close", None)  # Producer.close() is missing in older confluent-kafka
        if callable(close):
            close()
