"""auto: librdkafka's default. Every record consume() returns has its offset stored at once
(offset+1, exactly what enable.auto.offset.store=true does inside librdkafka when a message is
handed to the application), and the background timer commits the stored offsets every
auto.commit.interval.ms (on_commit reports each auto-commit). Processing happens afterwards, so a
crash in the middle of a batch loses the unprocessed rest of that batch if the timer fired in
between: the committed offset is already past them. The Java client differs: it commits only what
earlier polls returned. A clean leave commits the stored offsets in Consumer.close().
Result: at-least-once only when processing is finished before the next commit; otherwise records
are skipped (at-most-once)."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import Message

from tui.engine.consumer.strategies.base import MemberIO, Strategy


class Auto(Strategy):
    name = "auto"
    title = "auto-commit (librdkafka default)"
    guarantee = "at-most-once on crash"

    def batch_start(self, io: MemberIO, records: Sequence[Message]) -> None:
        io.store(io.next_offsets(records))
