"""The checker on a large history: linear algorithms, and needles found in a haystack.

No timing assertion (performance is reported by benchmarks, not timed tests); a quadratic step would
blow the suite's timeout long before this finishes.
"""

from __future__ import annotations

from tui.engine.checker import check, explain_record
from tui.engine.history import (
    AuditLog,
    AuditPartition,
    ConsumerEvent,
    ConsumerEventKind,
    GroupCommit,
    History,
    Outcome,
    ProducedRecord,
    ProducerSettings,
)

K = ConsumerEventKind
N = 60_000
PARTS = 4


def test_large_history_with_three_needles() -> None:
    produced: list[ProducedRecord] = []
    logs: dict[int, list[tuple[int, str | None]]] = {p: [] for p in range(PARTS)}
    for i in range(N):
        p = i % PARTS
        mid = f"bigrun01/p1/0/{i}"
        off = len(logs[p])
        logs[p].append((off, mid))
        produced.append(ProducedRecord(msg_id=mid, producer="p1", incarnation=0, seq=i, topic="big",
                                       partition=p, key=None, t_send=float(i), outcome=Outcome.OK, offset=off,
                                       t_ack=i + 0.5))
    lost_mid = logs[1][100][1]
    del logs[1][100]                                   # needle 1: an acked record vanished
    dup_mid = logs[2][200][1]
    logs[2].append((len(logs[2]) + 1, dup_mid))        # needle 2: stored twice (offset gap = marker)
    events: list[ConsumerEvent] = []

    def ev(kind: ConsumerEventKind, **fields: object) -> None:
        events.append(ConsumerEvent(seq=len(events), ts=float(len(events)), member="m1", incarnation=0,
                                    group="g", topic="big", kind=kind, strategy="sync-per-batch",
                                    **fields))  # type: ignore[arg-type]

    ev(K.ASSIGN, partitions=tuple(range(PARTS)), offsets=tuple((p, 0) for p in range(PARTS)), generation=1)
    for p in range(PARTS):
        for off, stored in logs[p]:
            if p == 3 and off == 300:
                continue                               # needle 3: a poll skip
            ev(K.DELIVER, partition=p, offset=off, msg_id=stored)
            ev(K.PROCESSED, partition=p, offset=off, msg_id=stored)
            if off % 500 == 499:
                ev(K.COMMIT_RESULT, offsets=((p, off + 1),), mode="sync", ok=True)
    finals = []
    for p in range(PARTS):
        last = logs[p][-1][0] if p != 2 else logs[p][-2][0]    # the duplicate sits past the commit
        ev(K.COMMIT_RESULT, offsets=((p, last + 1),), mode="sync", ok=True)
        finals.append(GroupCommit("g", "big", p, last + 1))
    history = History(
        produced=tuple(produced),
        producers=(ProducerSettings("p1", "all", True, 10, 5),),
        consumption=tuple(events),
        audit=AuditLog(tuple(AuditPartition("big", p, 0, logs[p][-1][0] + 1, None, tuple(logs[p]))
                             for p in range(PARTS))),
        final_commits=tuple(finals),
    )
    verdict = check(history)
    nonzero = {k: n for k, n in verdict.counts.items() if n}
    assert nonzero == {"lost": 1, "log-duplicate": 1, "poll-skip": 1, "skipped": 1}, [
        a.explanation for a in verdict.anomalies]
    assert verdict.of_kind("lost")[0].msg_ids == (lost_mid,)
    assert verdict.of_kind("log-duplicate")[0].msg_ids == (dup_mid,)
    assert verdict.of_kind("poll-skip")[0].offsets == (300,)
    assert verdict.of_kind("skipped")[0].offsets == (300,)          # committed past, never processed
    assert verdict.summary.produced == N
    assert verdict.summary.delivered == N - 1 - 1 + 1                # minus lost, minus skip, plus dup
    assert lost_mid is not None
    assert dup_mid is not None
    story = explain_record(history, lost_mid)
    assert story[0].startswith("+0.000s sent by producer p1")
    assert not any("delivered" in line for line in story)
    assert story[-1] == "final re-read: not stored in any partition it read"
    twice = explain_record(history, dup_mid)
    assert sum("delivered to member m1" in line for line in twice) == 2
    assert twice[-1] == "stored 2 times in big: a log duplicate"
