"""The replay engine on a recording of the fake engine: a clock that plays, pauses, changes speed and
seeks; snapshots numbered for the explorer; events once; read-only commands."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.recording.test_recorder import record
from tests.ui import fakes
from tui.engine import Explain, Judge, LabAction, StartProducer
from tui.recording.reader import Recording, load
from tui.recording.replay import RECORDING, ReplayClock, ReplayedRun, ReplayEngine
from tui.ui.scenarios_screen import RunHandle


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_clock_plays_pauses_changes_speed_seeks_and_stops_at_the_end() -> None:
    wall = FakeTime()
    clock = ReplayClock(1000.0, 1060.0, speed=1.0, playing=True, now=wall)
    wall.now += 10
    assert clock.position() == 1010.0
    clock.set_speed(2.0)
    wall.now += 5
    assert clock.position() == 1020.0
    clock.pause()
    wall.now += 30
    assert clock.position() == 1020.0
    assert not clock.playing
    clock.step(-100)
    assert clock.position() == 1000.0  # never before the start
    clock.seek_fraction(0.5)
    assert clock.position() == 1030.0
    assert clock.toggle()
    wall.now += 100
    assert clock.position() == 1060.0  # stops at the end, and pauses there
    assert not clock.playing
    clock.play()  # at the end: plays again from the start
    assert clock.position() == 1000.0
    assert clock.faster() == 4.0
    assert clock.faster(up=False) == 2.0
    with pytest.raises(ValueError, match="above 0"):
        clock.set_speed(0)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    snaps = [fakes.snapshot(i, with_verdict=i >= 5) for i in range(1, 9)]
    events = [fakes.event(i, "member.assigned", "member:m1", f"event {i}") for i in range(1, 4)]
    path = tmp_path_factory.mktemp("replay") / "r.kxr"
    engine = fakes.FakeEngine(snaps, events=events)
    record(engine, path, steps=7)
    return load(path)


def test_snapshots_follow_the_clock_and_are_numbered_upwards(recording: Recording) -> None:
    engine = ReplayEngine(recording, playing=False)
    first = engine.snapshot()
    assert engine.snapshot() is first  # the same frame: the same object (nothing to redraw)
    assert first.connection.label == "replay of lab (3 nodes)"
    engine.clock.seek_fraction(1.0)
    last = engine.snapshot()
    assert last.verdict is not None
    assert last.seq > first.seq
    engine.clock.seek_fraction(0.0)
    again = engine.snapshot()
    assert again.seq > last.seq  # seeking back still moves the explorer forward
    assert again.cluster == first.cluster


def test_events_arrive_once_as_the_clock_passes_them(recording: Recording) -> None:
    engine = ReplayEngine(recording, playing=False)
    engine.clock.seek(recording.start - 1)  # the clock starts at the first thing recorded
    sub = engine.subscribe(replay=True)
    assert [e.text for e in sub.drain()] == ["event 1"]
    engine.clock.seek_fraction(1.0)
    assert [e.text for e in sub.drain()] == ["event 2", "event 3"]
    engine.clock.seek_fraction(0.0)
    engine.clock.seek_fraction(1.0)
    assert sub.drain() == []
    filtered = engine.subscribe(replay=True, kinds=("broker.",))
    assert filtered.drain() == []


def test_commands_are_read_only(recording: Recording) -> None:
    engine = ReplayEngine(recording, playing=False)
    for cmd in (LabAction(1, "kill"), StartProducer.__new__(StartProducer)):
        error = engine.submit(cmd).exception()
        assert isinstance(error, ValueError)
        assert str(error).startswith(f"{RECORDING}: the ")
        assert "needs a live cluster" in str(error)
    engine.clock.seek_fraction(0.0)
    verdict = engine.submit(Judge()).result()  # before any verdict: the one recorded later
    assert verdict == fakes.verdict()
    lines = engine.submit(Explain("run1/p1/0/40")).result()
    assert lines == fakes.explanation("run1/p1/0/40")
    missing = engine.submit(Explain("nobody")).result()
    assert missing[0].startswith(f"{RECORDING}: no timeline was recorded for nobody")


def test_it_plays_in_real_time(recording: Recording) -> None:
    engine = ReplayEngine(recording, speed=50.0, playing=True)
    first = engine.snapshot()
    deadline = time.monotonic() + 10
    while engine.clock.playing and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.snapshot().seq > first.seq
    assert engine.clock.fraction() == 1.0


def test_a_recording_without_snapshots_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "empty.kxr"
    record(fakes.FakeEngine([fakes.snapshot(1)]), path, steps=0)
    data = load(path)
    data.frame_ts.clear()  # as if the cap had been reached before the first snapshot
    engine = ReplayEngine(data, playing=False)
    snap = engine.snapshot()
    assert snap.cluster is None
    assert snap.connection.label.startswith("replay of")
    assert engine.snapshot() is snap


def _a_replayed_run_is_a_run_handle(run: ReplayedRun) -> RunHandle:
    return run  # mypy checks that the Scenarios screen can drive a replayed run
