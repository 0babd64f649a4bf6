"""A share member's mutable state, kept across incarnations and frozen into a ShareMemberView on demand."""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from tui.engine.share.commands import ShareMemberSpec
from tui.engine.share.views import ShareMemberView, ShareRecordView

RECENT = 40
"""Recent acquisitions kept per member for the view."""

RecordKey = tuple[str, int, int]
"""(topic, partition, offset)."""


@dataclass
class ShareMemberState:
    name: str
    spec: ShareMemberSpec
    incarnation: int = 0
    state: str = "joining"
    acquired: int = 0
    processed: int = 0
    failed: int = 0
    acks: Counter[str] = field(default_factory=Counter)
    ack_commits_ok: int = 0
    ack_commits_failed: int = 0
    counts: Counter[int] = field(default_factory=Counter)
    """Delivery count -> acquisitions with it."""
    in_flight: set[RecordKey] = field(default_factory=set)
    last_error: str | None = None
    last_ack_commit: str | None = None
    recent: OrderedDict[tuple[RecordKey, int], list[object]] = field(default_factory=OrderedDict)
    """(record, delivery count) -> ShareRecordView's fields (outcome updated in place)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note_recent(self, ts: float, key: RecordKey, msg_id: str | None, count: int,
                    k: bytes | None, v: bytes | None) -> None:
        self.recent[(key, count)] = [ts, key[0], key[1], key[2], msg_id, count, "held", k, v]
        while len(self.recent) > RECENT:
            self.recent.popitem(last=False)

    def set_outcome(self, key: RecordKey, count: int | None, outcome: str) -> None:
        for (rk, c), fields in reversed(self.recent.items()):
            if rk == key and (count is None or c == count):
                fields[6] = outcome
                return

    def view(self) -> ShareMemberView:
        with self.lock:
            spec = self.spec
            return ShareMemberView(
                name=self.name, group=spec.group, incarnation=self.incarnation, state=self.state,
                topics=spec.topics, ack_mode=spec.ack_mode, policy=spec.policy_label,
                fail_ids=spec.fail_ids, fail_transient=spec.fail_transient,
                processing_ms=spec.processing_ms, acquired=self.acquired, processed=self.processed,
                failed=self.failed, accepted=self.acks["accept"], released=self.acks["release"],
                rejected=self.acks["reject"], ack_commits_ok=self.ack_commits_ok,
                ack_commits_failed=self.ack_commits_failed, in_flight=len(self.in_flight),
                delivery_counts=tuple(sorted(self.counts.items())), client_id=f"kx-{self.name}",
                last_error=self.last_error, last_ack_commit=self.last_ack_commit,
                recent=tuple(ShareRecordView(*f) for f in self.recent.values()))  # type: ignore[arg-type]
