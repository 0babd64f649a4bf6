"""The dead-letter sender of one member process: its own idempotent ``acks=all`` producer, and the
dead-letter topic created on first use.

Why the member creates the topic: the engine's admin door is not reachable from a member process, and
a real service creates (or finds) its DLT the same way when it first needs it. The topic gets the
source topic's partition count and the broker's default replication factor, so a record goes to the
same partition number it came from. A copy keeps the source's key, value and headers (``kx-dlt-*``
headers of an earlier dead-lettering excepted) and adds :func:`tui.engine.history.dlt_headers`.

:meth:`DeadLetters.send` waits for the delivery report, calling ``idle`` while it waits (the member
reads its controls meanwhile): only an acknowledged copy lets a commit cover the source record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message
from confluent_kafka.cimpl import NewTopic

from tui.kafka import clients

SEND_TIMEOUT_MS = 10_000
"""message.timeout.ms of the dead-letter producer: a send that cannot be acknowledged by then fails."""
METADATA_TIMEOUT = 10.0


@dataclass(frozen=True)
class Sent:
    """The delivery report of one dead-letter copy."""

    ok: bool
    partition: int | None = None
    offset: int | None = None
    error: str | None = None


class DeadLetters:
    def __init__(self, conf: dict[str, Any], log: logging.Logger,
                 error_cb: Callable[[KafkaError], None]) -> None:
        self._conf = conf
        self._log = log
        self._error_cb = error_cb
        self._producer: Any = None
        self._partitions: dict[str, int] = {}
        """Dead-letter topic -> its partition count, once it is known to exist."""

    def _ensure_producer(self) -> Any:
        if self._producer is None:
            conf = dict(self._conf)
            conf.update({"enable.idempotence": True, "acks": "all", "linger.ms": 0,
                         "message.timeout.ms": SEND_TIMEOUT_MS})
            self._producer = clients.producer(conf, error_cb=self._error_cb, logger=self._log)
        return self._producer

    def _ensure_topic(self, consumer: Any, source: str, dlt: str) -> int:
        """The DLT's partition count, creating the topic first when it does not exist."""
        known = self._partitions.get(dlt)
        if known:
            return known
        count = _partition_count(consumer, dlt)
        if count is None:
            wanted = _partition_count(consumer, source) or 1
            admin = clients.admin(dict(self._conf), logger=self._log)
            future = admin.create_topics([NewTopic(dlt, wanted, -1)],  # broker default RF
                                         operation_timeout=METADATA_TIMEOUT)[dlt]
            try:
                future.result(METADATA_TIMEOUT + 5)
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                if not isinstance(err, KafkaError) or err.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
            deadline = time.monotonic() + METADATA_TIMEOUT
            while count is None and time.monotonic() < deadline:
                count = _partition_count(consumer, dlt)
                if count is None:
                    time.sleep(0.2)
            count = count or wanted
        self._partitions[dlt] = count
        return count

    def send(self, consumer: Any, msg: Message, dlt: str, extra_headers: list[tuple[str, bytes]],
             idle: Callable[[], None]) -> Sent:
        """Write a copy of ``msg`` to ``dlt`` (same partition number) and wait for its report."""
        source, partition = msg.topic() or "", msg.partition() or 0
        try:
            count = self._ensure_topic(consumer, source, dlt)
            producer = self._ensure_producer()
        except KafkaException as exc:
            return Sent(False, error=_name(exc))
        found = msg.headers()
        own: list[tuple[str, Any]] = list(found) if isinstance(found, list) else []
        headers = [(k, v) for k, v in own if not k.startswith("kx-dlt-")]
        report: list[Sent] = []

        def on_delivery(err: KafkaError | None, out: Message) -> None:
            if err is not None:
                report.append(Sent(False, error=err.name()))
            else:
                report.append(Sent(True, out.partition(), out.offset()))

        try:
            producer.produce(dlt, value=msg.value(), key=msg.key(), headers=headers + extra_headers,
                             partition=partition % count, on_delivery=on_delivery)
        except (KafkaException, BufferError) as exc:
            return Sent(False, error=_name(exc))
        deadline = time.monotonic() + SEND_TIMEOUT_MS / 1000.0 + 5.0
        while not report and time.monotonic() < deadline:
            producer.poll(0.05)
            idle()
        return report[0] if report else Sent(False, error="_MSG_TIMED_OUT")

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(5.0)
            self._producer = None


def _partition_count(consumer: Any, topic: str) -> int | None:
    try:
        meta = consumer.list_topics(topic, timeout=METADATA_TIMEOUT)
    except KafkaException:
        return None
    info = meta.topics.get(topic)
    if info is None or info.error is not None or not info.partitions:
        return None
    return len(info.partitions)


def _name(exc: BaseException) -> str:
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return str(exc.args[0].name())
    return type(exc).__name__
