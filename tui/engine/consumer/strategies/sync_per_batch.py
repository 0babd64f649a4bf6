"""sync-per-batch: process the whole batch returned by consume(num_messages), then one
commit(offsets=<last+1 per partition>, asynchronous=False). Nothing is skipped; a crash in the middle
of a batch redelivers the whole batch up to the crash point (at-least-once)."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import Message

from tui.engine.consumer.strategies.base import MemberIO, Strategy


class SyncPerBatch(Strategy):
    name = "sync-per-batch"
    title = "synchronous commit after each batch"
    guarantee = "at-least-once"

    def batch_end(self, io: MemberIO, records: Sequence[Message]) -> None:
        io.commit_sync(io.next_offsets(records))
