"""Share groups (issue 14, KIP-932) judged from both sides: redelivery by delivery count, processing
twice, REJECT and the delivery-count limit, records never acquired; and no ordering findings, which the
summary says."""

from __future__ import annotations

import json

from tui.engine.checker import Verdict, check, explain_record
from tui.engine.checker.builder import HistoryBuilder
from tui.vocab import AckType


def nonzero(verdict: Verdict) -> dict[str, int]:
    return {k: n for k, n in verdict.counts.items() if n}


def share(n: int = 6, partitions: int = 1, limit: int = 5, reset: str = "earliest") -> HistoryBuilder:
    b = HistoryBuilder("jobs", partitions=partitions)
    b.producer("p1", acks="all", idempotent=True)
    for p in range(partitions):
        b.produce("p1", n, partition=p)
    b.share_member("s1", limit=limit, lock_ms=15_000, reset=reset)
    b.share_member("s2")
    return b


def test_a_clean_share_run_has_no_findings_and_says_it_judges_no_order() -> None:
    b = share(6, partitions=2)
    b.share_consume("s1", 0, [0, 2, 4])
    b.share_consume("s2", 0, [1, 3, 5])
    b.share_consume("s1", 1, [5, 0, 3])          # any order: share groups promise none
    b.share_consume("s2", 1, [4, 1, 2])
    verdict = check(b.build())
    assert nonzero(verdict) == {}
    s = verdict.summary
    assert (s.acquired, s.processed, s.delivered) == (12, 12, 0)
    assert s.acknowledged == {"accept": 12}
    assert s.share_groups == ("sg",)
    assert s.members == ("s1", "s2")
    assert s.groups == ()                           # no consumer group, no lag, no commits
    (remark,) = s.remarks
    assert "share group sg promises no ordering: poll-skip, nonmonotonic-poll" in remark
    data = verdict.to_json()
    assert data["summary"]["acknowledged"] == {"accept": 12}
    assert json.loads(json.dumps(data)) == data


def test_a_group_member_reading_the_same_offsets_out_of_order_is_judged() -> None:
    """The twin of the clean share run: the same order in a consumer group is a nonmonotonic poll."""
    b = HistoryBuilder("jobs")
    b.producer("p1")
    b.produce("p1", 3)
    b.member("m1")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, [0, 2, 1], commit=None)
    assert check(b.build()).count("nonmonotonic-poll") == 1


def test_released_records_come_back_with_a_higher_delivery_count_expected() -> None:
    b = share(3)
    b.share_consume("s1", 0, [0, 1])
    b.acquire("s1", 0, [2])
    b.fail("s1", 0, 2, error="transient", detail="database busy")
    b.ack("s1", 0, [2], AckType.RELEASE)
    b.ack_commit("s1", 0, [2])
    b.share_consume("s2", 0, [2])
    verdict = check(b.build())
    assert nonzero(verdict) == {"delivered-again": 1}
    (a,) = verdict.of_kind("delivered-again")
    assert (a.offsets, a.judgement, a.group) == ((2,), "expected", "sg")
    assert "(delivery counts up to 2)" in a.explanation
    assert "member s1 (incarnation 0) released it after failing on it (transient: database busy)" \
        in a.explanation


def test_a_member_that_crashed_holding_records_expected() -> None:
    b = share(3)
    b.acquire("s1", 0, [0, 1, 2])
    b.crash("s1", "killed with SIGKILL by the engine")
    b.share_consume("s2", 0, [0, 1, 2])
    verdict = check(b.build())
    assert nonzero(verdict) == {"delivered-again": 3}
    (a,) = verdict.of_kind("delivered-again")
    assert "member s1 (incarnation 0) crashed holding them without acknowledging" in a.explanation


def test_a_lock_that_expired_expected() -> None:
    b = share(1)
    b.acquire("s1", 0, [0])
    b.share_consume("s2", 0, [0])
    (a,) = check(b.build()).of_kind("delivered-again")
    assert "longer than the acquisition lock (share.record.lock.duration.ms = 15000)" in a.explanation


def test_a_confirmed_accept_acquired_again_is_a_violation() -> None:
    b = share(2)
    b.share_consume("s1", 0, [0, 1])
    b.share_consume("s2", 0, [1])
    verdict = check(b.build())
    assert nonzero(verdict) == {"delivered-again": 1, "processed-twice": 1}
    assert verdict.count("delivered-again", "violation") == 1
    assert verdict.count("processed-twice", "violation") == 1
    assert "the broker confirmed the acknowledgement, yet it was acquired again" in \
        verdict.of_kind("delivered-again")[0].explanation


def test_a_delivery_count_that_does_not_grow_is_a_violation() -> None:
    b = share(1)
    b.acquire("s1", 0, [0])
    b.ack("s1", 0, [0], AckType.RELEASE)
    b.acquire("s2", 0, [0], delivery_count=1)
    b.ack("s2", 0, [0], AckType.ACCEPT)
    (a,) = check(b.build()).of_kind("delivered-again")
    assert a.judgement == "violation"
    assert "its delivery count did not grow (1 then 1)" in a.explanation


def test_processing_again_after_an_unconfirmed_accept_is_expected() -> None:
    """s1 processed and accepted, then crashed before the acknowledgement reached the broker."""
    b = share(2)
    b.acquire("s1", 0, [0, 1])
    b.process("s1", 0, [0, 1])
    b.ack("s1", 0, [0, 1], AckType.ACCEPT)
    b.crash("s1")
    b.share_consume("s2", 0, [0, 1])
    verdict = check(b.build())
    assert nonzero(verdict) == {"delivered-again": 2, "processed-twice": 2}
    assert verdict.ok
    (a,) = verdict.of_kind("processed-twice")
    assert "accepted them, then crashed before the broker confirmed the acknowledgement" in a.explanation
    assert "at-least-once" in a.explanation


def test_processing_twice_within_one_acquisition_is_a_violation() -> None:
    b = share(1)
    b.acquire("s1", 0, [0])
    b.process("s1", 0, [0])
    b.process("s1", 0, [0])
    b.ack("s1", 0, [0])
    (a,) = check(b.build()).of_kind("processed-twice")
    assert a.judgement == "violation"
    assert "within one acquisition" in a.explanation


def test_rejecting_a_failed_record_is_expected_and_rejecting_a_good_one_is_not() -> None:
    b = share(3)
    b.share_consume("s1", 0, [0])
    b.acquire("s1", 0, [1, 2])
    b.fail("s1", 0, 1, error="invalid-json")
    b.ack("s1", 0, [1], AckType.REJECT)
    b.process("s1", 0, [2])
    b.ack("s1", 0, [2], AckType.REJECT)
    b.ack_commit("s1", 0, [1, 2])
    verdict = check(b.build())
    assert nonzero(verdict) == {"rejected": 2}
    by = {a.offsets: a for a in verdict.of_kind("rejected")}
    assert by[(1,)].judgement == "expected"
    assert "after failing on it (invalid-json" in by[(1,)].explanation
    assert by[(2,)].judgement == "violation"
    assert "although it recorded no failure" in by[(2,)].explanation


def test_released_up_to_the_limit_is_archived() -> None:
    b = share(2, limit=3)
    b.share_consume("s1", 0, [0])
    for member in ("s1", "s2", "s1"):
        b.acquire(member, 0, [1])
        b.fail(member, 0, 1, error="transient")
        b.ack(member, 0, [1], AckType.RELEASE)
    verdict = check(b.build())
    assert nonzero(verdict) == {"delivered-again": 1, "archived": 1}
    (a,) = verdict.of_kind("archived")
    assert (a.offsets, a.judgement) == ((1,), "expected")
    assert "at delivery count 3 = share.delivery.count.limit" in a.explanation
    assert verdict.of_kind("delivered-again")[0].judgement == "expected"


def test_a_crash_at_the_limit_archives_and_an_accept_at_the_limit_does_not() -> None:
    b = share(2, limit=2)
    for _ in range(2):
        b.acquire("s1", 0, [0])
        b.crash("s1")
        b.restart("s1")
    b.acquire("s2", 0, [1, 1])                      # the second acquisition of 1 is at the limit...
    b.process("s2", 0, [1])
    b.ack("s2", 0, [1])                             # ...and accepted
    verdict = check(b.build())
    (a,) = verdict.of_kind("archived")
    assert a.offsets == (0,)
    assert "crashed holding it at delivery count 2" in a.explanation


def test_acquired_beyond_the_limit_is_a_violation() -> None:
    b = share(1, limit=2)
    for _ in range(3):
        b.acquire("s1", 0, [0])
        b.ack("s1", 0, [0], AckType.RELEASE)
    (a,) = check(b.build()).of_kind("delivered-again")
    assert a.judgement == "violation"
    assert "beyond share.delivery.count.limit = 2" in a.explanation


def test_never_acquired_records_are_unconsumed_and_older_ones_skipped_under_latest() -> None:
    b = HistoryBuilder("jobs")
    b.producer("p1")
    b.produce("p1", 2)                              # before the share group started
    b.share_member("s1", reset="latest")
    b.produce("p1", 4)
    b.share_consume("s1", 0, [2, 3])
    verdict = check(b.build())
    assert nonzero(verdict) == {"skipped": 2, "unconsumed": 2}
    (skip,) = verdict.of_kind("skipped")
    assert (skip.offsets, skip.judgement) == ((0, 1), "expected")
    assert "share.auto.offset.reset=latest" in skip.explanation
    (left,) = verdict.of_kind("unconsumed")
    assert (left.offsets, left.judgement, left.group) == ((4, 5), "liveness", "sg")
    assert "no member of share group sg acquired them" in left.explanation
    assert verdict.headline == "ok so far: 2 records not yet consumed by sg"


def test_records_of_earlier_runs_below_what_the_group_reached_are_not_judged() -> None:
    b = HistoryBuilder("jobs")
    b.store(0, None)                                # foreign records of an earlier run
    b.store(0, None)
    b.producer("p1")
    b.produce("p1", 2)
    b.share_member("s1")
    b.share_consume("s1", 0, [2, 3])
    assert nonzero(check(b.build())) == {}


def test_share_events_never_reach_the_consumer_group_rules() -> None:
    """Acquisitions out of order, with a crash and no commit at all: no poll-skip, nonmonotonic-poll,
    commit-anomaly or commit-based skip, and the share group has no lag."""
    b = share(5)
    b.acquire("s1", 0, [4, 0])
    b.crash("s1")
    b.share_consume("s2", 0, [3, 2, 1, 0, 4])
    verdict = check(b.build())
    assert nonzero(verdict) == {"delivered-again": 2}
    assert verdict.summary.lag == {}


def test_explain_record_shows_acquisitions_and_acknowledgements() -> None:
    b = share(1)
    b.acquire("s1", 0, [0])
    b.ack("s1", 0, [0], AckType.RELEASE)
    b.share_consume("s2", 0, [0])
    text = "\n".join(explain_record(b.build(), "run00001/p1/0/0"))
    assert "acquired by share member s1 (incarnation 0, group sg) from jobs/0@0, delivery count 1" in text
    assert "acknowledged it: release (explicit)" in text
    assert "delivery count 2" in text
