"""Lag in time and the Burrow-style status per group partition (scripted inputs, no Kafka)."""

from __future__ import annotations

import time
from typing import Any, cast

from tests.unit.watcher_fakes import build, fetcher, read_offsets, with_group
from tui.engine.watcher.build import Plan, ViewBuilder
from tui.engine.watcher.diff import STALL_EVENTS_PER_GROUP, diff
from tui.engine.watcher.lagstatus import STALL_AFTER, STALL_READS, LagStatusTracker
from tui.engine.watcher.lagtime import LagClock
from tui.engine.watcher.views import GroupPartitionView, WatchFilter


def test_stalled_needs_time_and_reads_with_lag() -> None:
    tr = LagStatusTracker()
    key = ("g", "t", 0)
    assert tr.observe(key, 5, 10, 0.0) == ("ok", 0.0)
    assert tr.observe(key, 5, 10, STALL_AFTER - 1)[0] == "ok"  # not long enough
    status, since = tr.observe(key, 5, 10, STALL_AFTER + 0.5)
    assert status == "stalled"
    assert since == STALL_AFTER + 0.5
    assert tr.observe(key, 5, 10, STALL_AFTER + 0.5) == ("stalled", since)  # same read again
    assert tr.observe(key, 6, 9, STALL_AFTER + 1)[0] == "ok"  # it moved: recovered


def test_few_reads_are_not_enough_to_call_it_stalled() -> None:
    tr = LagStatusTracker()
    key = ("g", "t", 0)
    for i in range(STALL_READS - 1):
        tr.observe(key, 5, 10, float(i) * 20)
    assert tr.status(key)[0] == "ok"
    assert tr.observe(key, 5, 10, 100.0)[0] == "stalled"


def test_caught_up_is_ok_and_unknown_lag_is_unknown() -> None:
    tr = LagStatusTracker()
    for t in range(30):
        status, _ = tr.observe(("g", "t", 0), 5, 0, float(t))  # committed still, nothing to read
        assert status == "ok"
    assert tr.observe(("g", "t", 1), None, None, 1.0)[0] == "unknown"


def test_consuming_but_falling_behind_is_lagging() -> None:
    tr = LagStatusTracker()
    status = ""
    for t in range(12):
        status, _ = tr.observe(("g", "t", 0), 100 + 10 * t, 50 + 20 * t, float(t))
    assert status == "lagging"
    for t in range(12, 16):  # catching up: the lag shrinks
        status, _ = tr.observe(("g", "t", 0), 400 + 100 * t, 10, float(t))
    assert status == "ok"


def test_lag_age_from_the_record_at_the_committed_offset() -> None:
    p = GroupPartitionView("t", 0, 5, 10, 5, oldest_unconsumed_at=100.0)
    assert p.lag_age(112.5) == 12.5
    assert p.lag_age(90.0) == 0.0  # a producer clock ahead of ours: never negative
    assert GroupPartitionView("t", 0, 10, 10, 0).lag_age(5.0) == 0.0
    assert GroupPartitionView("t", 0, 5, 10, 5).lag_age(5.0) is None


def test_clock_answers_for_the_offset_or_the_nearest_earlier_one() -> None:
    clock = LagClock({"bootstrap.servers": "127.0.0.1:1"})
    clock._remember(("t", 0), 10, 1000.0)
    clock._remember(("t", 0), 20, 2000.0)
    assert clock.timestamp(("t", 0), 20) == 2000.0
    assert clock.timestamp(("t", 0), 25) == 2000.0  # an upper bound on the age until read again
    assert clock.timestamp(("t", 0), 5) is None
    assert clock.timestamp(("t", 1), 5) is None
    assert clock.arrived == {("t", 0)}


def _group_view(b: ViewBuilder, f: Any, now: float, seq: int, gid: str = "g") -> Any:
    v = build(b, f, now, seq, groups=(gid,))
    return v, v.group(gid)


def test_builder_marks_a_stuck_group_stalled_once_and_recovered_once() -> None:
    t0 = time.time()
    f = fetcher(t0, partitions=2)
    read_offsets(f)  # high watermark 10 on both
    b = ViewBuilder()
    with_group(f, "g", {("t", 0): 4, ("t", 1): 10}, t0)
    prev, g = _group_view(b, f, t0, 1)
    assert [p.status for p in g.partitions] == ["ok", "ok"]
    events: list[str] = []
    for step in range(1, 14):  # the member crash-loops: nothing is committed
        f.commits_at["g"] = t0 + step
        v, g = _group_view(b, f, t0 + step, step + 1)
        events += [c.kind for c in diff(prev, v) if c.kind.startswith("group.partition")]
        prev = v
    assert [p.status for p in g.partitions] == ["stalled", "ok"]
    assert g.stalled_count == 1
    assert g.partitions[0].status_since is not None
    assert events == ["group.partition-stalled"]
    f.commits["g"] = {("t", 0): 10, ("t", 1): 10}
    f.changed_groups.add("g")
    f.commits_at["g"] = t0 + 15
    v, g = _group_view(b, f, t0 + 15, 20)
    changes = [c for c in diff(prev, v) if c.kind.startswith("group.partition")]
    assert [c.kind for c in changes] == ["group.partition-recovered"]
    assert changes[0].data["partition"] == 0
    assert changes[0].data["group"] == "g"


def test_many_partitions_stalling_together_make_one_event() -> None:
    t0 = time.time()
    n = STALL_EVENTS_PER_GROUP + 5
    f = fetcher(t0, partitions=n)
    read_offsets(f)
    b = ViewBuilder()
    with_group(f, "g", {("t", p): 1 for p in range(n)}, t0)
    prev, _ = _group_view(b, f, t0, 1)
    changes = []
    for step in range(1, 14):
        f.commits_at["g"] = t0 + step
        v, _ = _group_view(b, f, t0 + step, step + 1)
        changes += [c for c in diff(prev, v) if c.kind.startswith("group.partition")]
        prev = v
    assert [c.kind for c in changes] == ["group.partition-stalled"]
    assert changes[0].data["count"] == n
    assert len(changes[0].data["partitions"]) == n


def test_oldest_unconsumed_comes_from_the_clock_and_is_fetched_only_where_a_group_lags() -> None:
    t0 = time.time()
    f = fetcher(t0, partitions=3)
    read_offsets(f)
    b = ViewBuilder()
    with_group(f, "g", {("t", 0): 4, ("t", 1): 10, ("t", 2): 7}, t0)
    with_group(f, "h", {("t", 0): 2}, t0)
    clock = LagClock({"bootstrap.servers": "127.0.0.1:1"})
    plan_groups = ("g", "h")

    def view(seq: int) -> Any:
        plan = Plan(t0, offsets_keys=[("offsets", 1)], describe_keys=[("describe", 1)],
                    commit_keys=[("commits", g) for g in plan_groups], groups=list(plan_groups))
        return b.build(f, plan, WatchFilter(), seq=seq, interval=1.0, known_brokers={},
                       controller=None, lag_threshold=10, requests=0, lag_clock=clock, now=t0 + seq)
    view(1)
    assert b.lag_wanted() == {("t", 0): 2, ("t", 2): 7}  # the lowest committed offset; no t-1
    clock._remember(("t", 0), 4, t0 - 30)
    v = view(2)
    g = v.group("g")
    assert g is not None
    p0 = g.partitions[0]
    assert p0.oldest_unconsumed_at == t0 - 30
    assert p0.lag_age(v.refreshed_at) == 30.0
    assert g.partitions[1].lag_age(v.refreshed_at) == 0.0
    assert g.oldest_unconsumed_at == t0 - 30
    assert cast(Any, v.group("h")).partitions[0].oldest_unconsumed_at is None  # offset 2 not read
