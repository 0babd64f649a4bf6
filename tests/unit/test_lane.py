"""The record lane builder (tui.engine.lanes) on hand-written histories: live fates from the
consumption log, final fates from the verdict, markers, zoom, bounded cost, and the keeper thread."""

from __future__ import annotations

import threading
import time

from tui.engine import ConsumersView
from tui.engine.checker import check
from tui.engine.checker.builder import HistoryBuilder
from tui.engine.context import Connection, EngineContext
from tui.engine.history import TxnOutcome
from tui.engine.lanes import MAX_CELLS, LaneKeeper, LiveLane, WatchLane, final_lane, live_lane
from tui.vocab import RecordFate


def auto_commit_crash() -> HistoryBuilder:
    """commit-auto-crash.yaml by hand: 10 records in one batch, auto-commit at 10, crash after 3."""
    b = HistoryBuilder("work", partitions=1)
    b.producer("p1", acks="all")
    b.produce("p1", 10, partition=0)
    b.member("m1", group="workers", strategy="auto")
    b.assign("m1", [0], committed={0: 0})
    b.deliver("m1", 0, range(10))
    b.commit("m1", {0: 10}, mode="auto")
    b.process("m1", 0, range(3))
    b.crash("m1")
    b.final_commit("workers", {0: 10})
    return b


def test_auto_commit_crash_final_lane_shows_the_commit_past_unprocessed_cells() -> None:
    history = auto_commit_crash().build()
    lane = final_lane(history, check(history), "work", width=40)
    assert lane is not None
    assert lane.final
    assert lane.group == "workers"
    assert lane.per_cell == 1
    part = lane.partition(0)
    assert part is not None
    assert [part.fate(i) for i in range(10)] == [RecordFate.PROCESSED] * 3 + [RecordFate.SKIPPED] * 7
    (group, committed), = part.committed
    assert group == "workers"
    assert committed == 10
    # the committed marker stands past every skipped cell: offsets 3..9 will never be processed
    assert all(lane.cell_of(committed) > i for i in range(3, 10))
    assert (part.log_start, part.high_watermark) == (0, 10)
    assert dict(part.counts) == {"skipped": 7, "processed": 3}
    assert history.audit is not None
    assert part.msg_id(3) == history.audit.partitions[0].records[3][1]


def test_auto_commit_crash_live_lane_has_delivered_cells_behind_the_committed_marker() -> None:
    history = auto_commit_crash().build()
    live = LiveLane("work")
    live.feed(history.consumption)
    lane = live_lane(live, None, None, width=40)
    part = lane.partition(0)
    assert part is not None
    assert not lane.final
    assert part.cells[:10] == "ppp" + "d" * 7
    assert part.committed == (("workers", 10),)  # from the member's own commit, before the watcher


def test_live_lane_reads_only_new_events() -> None:
    b = auto_commit_crash()
    history = b.build()
    live = LiveLane("work")
    live.feed(history.consumption[:5])
    assert live.seen == 5
    live.feed(history.consumption)
    assert live.seen == len(history.consumption)
    assert live_lane(live, None, None).partition(0).cells[:3] == "ppp"  # type: ignore[union-attr]


def test_every_final_fate_from_one_history() -> None:
    b = HistoryBuilder("t", partitions=1)
    b.producer("p1", acks="all")
    b.produce("p1", 6, partition=0)
    b.produce("p1", 2, partition=0, txn_id="txn-1", txn_outcome=TxnOutcome.ABORTED)
    b.member("m1", group="g", strategy="sync-per-batch")
    b.assign("m1", [0], committed={0: 0})
    b.consume("m1", 0, range(3))
    b.process("m1", 0, [2])  # processed again
    b.dead_letter("m1", 0, 3)
    b.deliver("m1", 0, [4])
    b.final_commit("g", {0: 4})
    history = b.build()
    lane = final_lane(history, check(history), "t", width=20)
    assert lane is not None
    part = lane.partition(0)
    assert part is not None
    fates = [part.fate(i) for i in range(8)]
    assert fates[:5] == [RecordFate.PROCESSED, RecordFate.PROCESSED, RecordFate.PROCESSED_TWICE,
                         RecordFate.DEAD_LETTERED, RecordFate.DELIVERED]
    assert fates[5] == RecordFate.PENDING
    assert fates[6:] == [RecordFate.ABORTED, RecordFate.ABORTED]


def test_lost_records_win_a_zoomed_cell() -> None:
    b = HistoryBuilder("t", partitions=1)
    b.producer("p1", acks="1")
    b.produce("p1", 1000, partition=0)
    b.truncate(0, 995)  # a leader change truncated the acknowledged tail...
    b.produce("p1", 10, partition=0)  # ...and the new leader wrote other records at those offsets
    history = b.build()
    verdict = check(history)
    assert verdict.count("lost") == 5
    lane = final_lane(history, verdict, "t", per_cell=10)
    assert lane is not None
    part = lane.partition(0)
    assert part is not None
    assert part.high_watermark == 1005
    assert part.fate(lane.cell_of(997)) == RecordFate.LOST
    assert part.fate(lane.cell_of(990)) == RecordFate.LOST  # 990..999 holds lost records: lost shows
    assert part.fate(0) == RecordFate.PENDING
    assert part.msg_ids == ()  # a zoomed lane carries no record ids


def test_fit_zoom_and_window_stay_bounded_for_a_long_lane() -> None:
    b = HistoryBuilder("t", partitions=1)
    b.producer("p1")
    b.produce("p1", 50_000, partition=0)
    b.member("m1", group="g")
    b.assign("m1", [0])
    b.deliver("m1", 0, range(20_000))
    live = LiveLane("t")
    live.feed(b.build(audit=False).consumption)
    fit = live_lane(live, None, None, width=100)
    assert fit.per_cell == 201
    assert len(fit.partitions[0].cells) == 100
    zoomed = live_lane(live, None, None, per_cell=1, origin=19_990, width=100)
    cells = zoomed.partitions[0].cells
    assert len(cells) <= min(MAX_CELLS, 300)
    assert zoomed.origin == 19_990
    assert cells[:10] == "d" * 10
    assert len(zoomed.partitions[0].msg_ids) == len(cells)


def test_keeper_builds_the_watched_lane_on_its_own_thread() -> None:
    history = auto_commit_crash().build()
    ctx = EngineContext(Connection("127.0.0.1:1"))
    keeper = LaneKeeper(ctx, lambda: history.consumption, lambda: _no_members(), lambda: None,
                        lambda: (None, None))
    try:
        before = ctx.version
        keeper.watch(WatchLane("work", final=False, width=30))
        deadline = time.monotonic() + 5
        while keeper.view() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        view = keeper.view()
        assert view is not None
        assert view.topic == "work"
        assert ctx.version > before
        assert any(t.name == "engine-lanes" for t in threading.enumerate())
        keeper.watch(WatchLane(None))
        deadline = time.monotonic() + 5
        while keeper.view() is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert keeper.view() is None
    finally:
        keeper.close()
    assert not any(t.name == "engine-lanes" and t.is_alive() for t in threading.enumerate())


def _no_members() -> ConsumersView:
    return ConsumersView()
