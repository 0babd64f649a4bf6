"""async-per-batch: process the batch, then commit(offsets=<last+1 per partition>,
asynchronous=True) -- the Python default. The call returns at once; the result arrives later through
the on_commit callback, served by a later consume(). A crash loses the commits still in flight, so
more records may be redelivered than with sync-per-batch (at-least-once). A late async commit sent
after a rebalance is rejected by the group coordinator (ILLEGAL_GENERATION, or STALE_MEMBER_EPOCH
with the consumer protocol), so it cannot overwrite the new owner's progress; within one generation a
retried older request can still land after a newer one and move the committed offset backwards. A
clean leave first makes one final synchronous commit of everything processed."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import Message, TopicPartition

from tui.engine.consumer.strategies.base import MemberIO, Strategy


class AsyncPerBatch(Strategy):
    name = "async-per-batch"
    title = "asynchronous commit after each batch"
    guarantee = "at-least-once"

    def batch_end(self, io: MemberIO, records: Sequence[Message]) -> None:
        io.commit_async(io.next_offsets(records))

    def close(self, io: MemberIO, processed: list[TopicPartition]) -> None:
        if processed:
            io.commit_sync(processed)
