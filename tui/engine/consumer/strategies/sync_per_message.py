"""sync-per-message: after each record is processed, commit(offsets=[offset+1],
asynchronous=False), which blocks until the group coordinator answered. Nothing is skipped; a crash
between processing a record and its commit redelivers at most that one record (at-least-once). It is
the slowest strategy: one broker round trip per record."""

from __future__ import annotations

from confluent_kafka import Message

from tui.engine.consumer.strategies.base import MemberIO, Strategy


class SyncPerMessage(Strategy):
    name = "sync-per-message"
    title = "synchronous commit after every record"
    guarantee = "at-least-once"

    def record_done(self, io: MemberIO, record: Message) -> None:
        io.commit_sync(io.next_offsets([record]))

    record_skipped = record_done
