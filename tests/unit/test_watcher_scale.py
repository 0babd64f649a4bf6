"""Big clusters: reads follow what moves, views are rebuilt only where something changed (no Kafka)."""

from __future__ import annotations

import math
import time

from tests.unit.watcher_fakes import build, fetcher, read_offsets, with_group
from tui.engine.watcher.build import ViewBuilder
from tui.engine.watcher.diff import diff
from tui.engine.watcher.raw import Metadata, PartitionMeta, PartitionOffsets
from tui.engine.watcher.schedule import (
    COMMITS_PER_REFRESH,
    FULL_READ_PARTITIONS,
    Scheduler,
    cold_period,
)
from tui.engine.watcher.series import SeriesFamily


def _metadata(topics: int, per_topic: int) -> Metadata:
    return Metadata("c", {1: ("h", 1)}, {f"t{t}": {p: PartitionMeta(1, (1,), (1,), None)
                                                   for p in range(per_topic)} for t in range(topics)},
                    {}, 0.0)


def test_small_clusters_read_everything_every_refresh() -> None:
    md = _metadata(2, 100)
    wanted = {(t, p) for t, parts in md.topics.items() for p in parts}
    s = Scheduler()
    reads = s.offsets(wanted, ("k",), md, {}, (), 0.0, 1.0)
    assert set(reads[1].high) == wanted == set(reads[1].stable) == set(reads[1].start)


def test_big_clusters_rotate_idle_partitions_and_read_busy_ones_every_refresh() -> None:
    md = _metadata(30, 500)
    wanted = {(t, p) for t, parts in md.topics.items() for p in parts}
    assert len(wanted) > FULL_READ_PARTITIONS
    offsets = {tp: PartitionOffsets(0, 5, 5, 0.0, None, 0.0) for tp in wanted}
    s = Scheduler()
    busy = ("t3", 7)
    owned = {("t4", 1)}
    s.busy([busy], 0.0)
    seen: set[tuple[str, int]] = set()
    refreshes = math.ceil(cold_period(len(wanted)) / 1.0)
    for i in range(refreshes):
        reads = s.offsets(wanted, ("k",), md, offsets, owned, float(i), 1.0)
        high = set(reads[1].high)
        assert busy in high
        assert ("t4", 1) in high
        assert len(high) <= math.ceil(len(wanted) / cold_period(len(wanted))) + 2
        assert busy in reads[1].stable  # a busy partition may be in a transaction
        assert ("t0", 0) not in reads[1].stable  # an idle one with LSO = HW cannot move
        seen |= high
    assert seen == wanted  # every idle partition read within the cold period


def test_partitions_never_read_are_read_at_once() -> None:
    md = _metadata(30, 500)
    wanted = {(t, p) for t, parts in md.topics.items() for p in parts}
    offsets = {tp: PartitionOffsets(0, 5, 5, 0.0, None, 0.0) for tp in wanted if tp[0] != "t29"}
    s = Scheduler()
    t29 = {tp for tp in wanted if tp[0] == "t29"}
    reads = s.offsets(wanted, ("k",), md, offsets, (), 0.0, 1.0)
    assert t29 <= set(reads[1].high)
    assert t29 <= set(s.offsets(wanted, ("k",), md, offsets, (), 1.0, 1.0)[1].high)  # no answer yet
    offsets.update({tp: PartitionOffsets(0, 5, 5, 1.0, None, 1.0) for tp in t29})  # answered
    again = set(s.offsets(wanted, ("k",), md, offsets, (), 2.0, 1.0)[1].high)
    assert len(again & t29) < len(t29)  # only those the rotation reaches now
    new_topic = {("t30", p) for p in range(3)}  # a new topic: a new key
    reads = s.offsets(wanted | new_topic, ("k2",), _metadata(31, 500), offsets, (), 3.0, 1.0)
    assert new_topic <= set(reads[1].high)


def test_group_offsets_rotate_idle_groups_and_keep_busy_ones() -> None:
    groups = [f"g{i:04d}" for i in range(1000)]
    s = Scheduler()
    seen: set[str] = set()
    rounds = math.ceil((len(groups) - 1) / COMMITS_PER_REFRESH)
    for i in range(rounds):
        pick = s.commit_groups(groups, {"g0000"}, float(i))
        assert "g0000" in pick
        assert len(pick) <= COMMITS_PER_REFRESH + 1
        seen |= set(pick)
    assert seen == set(groups)
    assert Scheduler().commit_groups(groups[:10], set(), 0.0) == groups[:10]


def test_unchanged_topics_and_groups_are_the_same_objects_and_diff_nothing() -> None:
    t0 = time.time()
    f = fetcher(t0, partitions=50)
    read_offsets(f)
    with_group(f, "g", {("t", p): 3 for p in range(50)}, t0)
    b = ViewBuilder()
    v1 = build(b, f, t0, 1, groups=("g",))
    v2 = build(b, f, t0 + 1, 2, groups=("g",))
    assert v2.topics[0] is v1.topics[0]
    assert v2.groups[0] is v1.groups[0]
    assert diff(v1, v2) == []
    # one partition moves: only it is new, its 49 neighbours are reused
    e = f.offsets[("t", 7)]
    e.moved_from, e.high_watermark, e.at = (e.at, e.high_watermark), 40, t0 + 2
    f.changed_offsets.add(("t", 7))
    v3 = build(b, f, t0 + 2, 3, groups=("g",))
    assert v3.topics[0] is not v2.topics[0]
    fresh = [p for p, q in zip(v3.topics[0].partitions, v2.topics[0].partitions, strict=True)
             if p is not q]
    assert [p.partition for p in fresh] == [7]
    assert v3.partition("t", 7).high_watermark == 40  # type: ignore[union-attr]
    g3 = v3.group("g")
    assert g3 is not None
    assert g3 is not v2.groups[0]
    assert g3.partitions[7].lag == 37
    assert sum(p is q for p, q in zip(g3.partitions, v2.groups[0].partitions, strict=True)) == 49


def test_series_freeze_is_reused_until_a_point_is_added() -> None:
    fam: SeriesFamily[str] = SeriesFamily(length=3)
    fam.add("a", 1)
    first = fam.freeze()
    assert fam.freeze() is first
    fam.add("b", 2)
    second = fam.freeze()
    assert second is not first
    assert dict(second) == {"a": (1,), "b": (2,)}
    assert dict(first) == {"a": (1,)}  # an older snapshot never changes
    for _ in range(3):
        fam.add("a", 1)
    assert fam.flat("a")
    assert not fam.flat("b")
    fam.discard("a")
    assert set(fam.freeze()) == {"b"}


def test_on_a_crowded_cluster_new_and_busy_partitions_take_the_series_of_idle_ones() -> None:
    from tui.engine.watcher.build import PARTITION_SERIES

    t0 = time.time()
    f = fetcher(t0, partitions=PARTITION_SERIES + 50)
    read_offsets(f)
    b = ViewBuilder()
    v1 = build(b, f, t0, 1)
    assert len(v1.series.partition_high_watermark) == PARTITION_SERIES
    # a partition outside the series is produced to: it gets one, an idle partition gives its place
    tp = next(k for k in f.offsets if k not in v1.series.partition_high_watermark)
    e = f.offsets[tp]
    e.moved_from, e.high_watermark, e.at = (e.at, e.high_watermark), 99, t0 + 1
    f.changed_offsets.add(tp)
    v2 = build(b, f, t0 + 1, 2)
    assert v2.series.partition_high_watermark[tp] == (99,)
    assert len(v2.series.partition_high_watermark) == PARTITION_SERIES
