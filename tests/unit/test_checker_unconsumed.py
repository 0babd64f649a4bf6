"""Never consumed (issue 17): records in the log that no member of the group received before the run
ended, the group's lag, and a headline that is never plain "ok" while records are unconsumed or unseen."""

from __future__ import annotations

import json

from tui.engine.checker import KINDS, check
from tui.engine.checker.builder import HistoryBuilder


def stopped_early() -> HistoryBuilder:
    """3 partitions of 10; the group read orders/0 fully, orders/1 up to 3 (and received 3-5 without
    processing them), and never got orders/2."""
    b = HistoryBuilder("orders", partitions=3)
    b.producer("p1", acks="all", idempotent=True)
    for p in range(3):
        b.produce("p1", 10, partition=p)
    b.member("m1")
    b.assign("m1", [0, 1], committed={})
    b.consume("m1", 0, range(10))
    b.consume("m1", 1, range(3))
    b.deliver("m1", 1, range(3, 6))
    b.final_commit("g", {0: 10, 1: 3})
    return b


def test_unconsumed_is_counted_per_partition_with_the_lag() -> None:
    verdict = check(stopped_early().build())
    assert {k: n for k, n in verdict.counts.items() if n} == {"unconsumed": 14}
    one, two = verdict.of_kind("unconsumed")
    assert (one.partition, one.offsets, one.judgement, one.group) == (1, (6, 7, 8, 9), "liveness", "g")
    assert (two.partition, two.count) == (2, 10)
    assert "lag at the end was 7 (committed offset 3, high watermark 10)" in one.explanation
    assert "member m1 still owned it" in one.explanation
    assert "no member of the group was ever assigned it in this run" in two.explanation
    assert verdict.summary.lag == {"g": {"orders/0": 0, "orders/1": 7, "orders/2": 10}}
    assert verdict.ok                      # liveness, not a broken promise...
    assert verdict.headline == "ok so far: 14 records not yet consumed by g"    # ...but never plain "ok"


def test_to_json_carries_the_headline_and_the_unconsumed_count() -> None:
    data = check(stopped_early().build()).to_json()
    assert data["unconsumed"] == 14
    assert data["headline"] == "ok so far: 14 records not yet consumed by g"
    assert data["counts"]["unconsumed"] == 14
    assert data["summary"]["lag"]["g"]["orders/2"] == 10
    assert json.loads(json.dumps(data)) == data


def test_unconsumed_is_the_first_kind() -> None:
    assert KINDS[0] == "unconsumed"
    verdict = check(stopped_early().build())
    assert verdict.anomalies[0].kind == "unconsumed"


def test_a_group_that_read_everything_is_plain_ok() -> None:
    b = stopped_early()
    b.process("m1", 1, range(3, 6))
    b.consume("m1", 1, range(6, 10))
    b.assign("m1", [2], committed={})
    b.consume("m1", 2, range(10))
    b.final_commit("g", {0: 10, 1: 10, 2: 10})
    verdict = check(b.build())
    assert verdict.count("unconsumed") == 0
    assert verdict.headline == "ok"
    assert verdict.to_json()["unconsumed"] == 0


def test_records_below_the_groups_starting_commit_and_in_flight_ones_are_not_unconsumed() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 10)
    b.member("m1")
    b.assign("m1", [0], committed={0: 4})          # 0-3: an earlier run
    b.consume("m1", 0, range(4, 7))
    b.deliver("m1", 0, range(7, 10))             # received, not processed yet: in flight
    verdict = check(b.build())
    assert verdict.count("unconsumed") == 0
    assert verdict.summary.lag == {"g": {"orders/0": 3}}
    assert verdict.headline == "ok"


def test_each_group_is_counted_on_its_own() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 5)
    b.member("a", group="ga")
    b.member("b", group="gb")
    b.assign("a", [0], committed={})
    b.assign("b", [0], committed={})
    b.consume("a", 0, range(5))
    b.consume("b", 0, range(2))
    verdict = check(b.build())
    (a,) = verdict.of_kind("unconsumed")
    assert (a.group, a.count) == ("gb", 3)
    assert verdict.headline == "ok so far: 3 records not yet consumed by gb"


def test_a_partition_never_assigned_after_a_crash_says_no_member_owned_it() -> None:
    """Issue 17's run: a member crashed and its partition was never reassigned before the end."""
    b = HistoryBuilder("orders", partitions=2)
    b.producer("p1")
    for p in (0, 1):
        b.produce("p1", 6, partition=p)
    b.member("m1")
    b.member("m2")
    b.assign("m1", [0], committed={}, generation=1)
    b.assign("m2", [1], committed={}, generation=1)
    b.consume("m1", 0, range(6))
    b.consume("m2", 1, range(2))
    b.crash("m2")
    verdict = check(b.build())
    (a,) = verdict.of_kind("unconsumed")
    assert (a.partition, a.count) == (1, 4)
    assert "no member owned it when the log ended" in a.explanation


def test_unseen_records_also_keep_the_headline_from_plain_ok() -> None:
    b = HistoryBuilder("orders")
    b.producer("p1")
    b.produce("p1", 3)
    b.produce("p1", 2, stored=False)
    b.incomplete.add(("orders", 0))
    verdict = check(b.build())
    assert verdict.ok
    assert verdict.headline == "ok so far: 2 acknowledged records not (yet) readable"


def test_a_verdict_with_violations_says_not_ok_and_still_counts_the_unconsumed() -> None:
    b = stopped_early()
    b.produce("p1", 1, partition=0, stored=False)
    b.produce("p1", 1, partition=0)
    verdict = check(b.build())
    assert not verdict.ok
    assert verdict.headline.startswith("not ok: 1 lost (violations); ")
    assert "records not yet consumed by g" in verdict.headline
