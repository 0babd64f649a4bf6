"""commit-before: as soon as consume() returns a batch, commit(offsets=<last+1 per partition>,
asynchronous=False), then process. This is at-most-once ("save the position, then process"): a crash
in the middle of the batch skips its unprocessed rest for good, because the group's committed offset
is already past it; nothing is ever delivered twice after a crash."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import Message

from tui.engine.consumer.strategies.base import MemberIO, Strategy


class CommitBefore(Strategy):
    name = "commit-before"
    title = "commit, then process (at-most-once)"
    guarantee = "at-most-once"

    def batch_start(self, io: MemberIO, records: Sequence[Message]) -> None:
        io.commit_sync(io.next_offsets(records))
