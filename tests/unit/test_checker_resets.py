"""An admin offset reset (group reset, the reset-offsets scenario step) is evidence: the rewind it
causes is expected, not a stale commit or a member's fault."""

from __future__ import annotations

from tui.engine.checker import check
from tui.engine.checker.builder import HistoryBuilder


def _rewind(with_reset: bool) -> HistoryBuilder:
    b = HistoryBuilder("t", partitions=1)
    b.producer("p", acks="all")
    b.produce("p", 10, partition=0)
    b.member("m1", group="g", strategy="sync-per-message")
    b.assign("m1", [0], committed={})
    b.consume("m1", 0, range(10))
    b.leave("m1")
    if with_reset:
        b.reset_offsets("g", {0: 0})
    b.member("m2", group="g", strategy="sync-per-message")
    b.assign("m2", [0], committed={0: 0})
    b.consume("m2", 0, range(10))
    b.leave("m2")
    b.final_commit("g", {0: 10})
    return b


def test_a_rewind_after_a_reset_is_expected_and_says_why() -> None:
    verdict = check(_rewind(with_reset=True).build())
    assert verdict.ok, [a.explanation for a in verdict.anomalies if a.judgement == "violation"]
    assert verdict.count("redelivered") == 10
    assert verdict.count("processed-twice", "expected") == 10
    assert verdict.count("commit-anomaly") == 0
    (twice,) = verdict.of_kind("processed-twice")
    assert "reset to 0" in twice.explanation
    assert "rewound on purpose" in twice.explanation


def test_the_same_rewind_without_a_reset_is_the_members_fault() -> None:
    verdict = check(_rewind(with_reset=False).build())
    assert verdict.count("processed-twice", "violation") == 10
    assert not verdict.ok


def test_a_reset_forward_skips_on_purpose() -> None:
    b = HistoryBuilder("t", partitions=1)
    b.producer("p", acks="all")
    b.produce("p", 10, partition=0)
    b.member("m1", group="g", strategy="sync-per-message")
    b.assign("m1", [0], committed={})
    b.consume("m1", 0, range(4))
    b.leave("m1")
    b.reset_offsets("g", {0: 10}, detail="to latest")
    b.final_commit("g", {0: 10})
    verdict = check(b.build())
    assert verdict.count("skipped", "expected") == 6
    assert verdict.count("skipped", "violation") == 0
    (skip,) = verdict.of_kind("skipped")
    assert "reset to 10 (to latest) on purpose" in skip.explanation
