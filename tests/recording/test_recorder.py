"""The recorder on the UI tests' fake engine (real view objects): what goes in comes out, only once,
redacted, within the cap; damaged and foreign files get one sentence."""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.ui import fakes
from tui.engine import Command, Connection, Event, Explain, Snapshot
from tui.recording.format import RecordingError
from tui.recording.reader import load
from tui.recording.recorder import Recorder, RecordingPort, new_recording
from tui.redact import clear_secrets


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def record(engine: fakes.FakeEngine, path: Path, steps: int, **kwargs: object) -> Recorder:
    """Record ``engine`` while it moves through ``steps`` snapshots (each one seen by a sample)."""
    recorder = Recorder(engine, path, kind="explorer", label="lab (3 nodes)", hz=200,
                        **kwargs).start()  # type: ignore[arg-type]
    for _ in range(steps):
        seen = recorder.samples
        wait_until(lambda: recorder.samples > seen + 1)  # noqa: B023 (a whole sample after the move)
        engine.advance()
    recorder.close()
    return recorder


def test_every_recorded_snapshot_comes_back_as_the_same_views(tmp_path: Path) -> None:
    snaps = [fakes.snapshot(i, with_verdict=i > 3) for i in range(1, 8)]
    engine = fakes.FakeEngine(snaps, events=[fakes.event(1, "member.assigned", "member:m1", "m1 got 2")])
    path = tmp_path / "s.kxr"
    recorder = record(engine, path, steps=6)
    assert recorder.summary is not None
    assert recorder.summary.bytes == path.stat().st_size
    recording = load(path)
    assert recording.frames == 7
    for index in range(recording.frames):
        original = next(s for s in snaps if s.seq == recording.frame_seq[index])
        assert recording.snapshot(index, 99) == replace(original, seq=99, ts=recording.frame_ts[index])
    assert [e.text for e in recording.events] == ["m1 got 2"]
    assert recording.header["connection"] == "lab (3 nodes)"
    # the verdict's findings were explained (the fake engine answers Explain)
    verdict = snaps[-1].verdict
    assert verdict is not None
    for anomaly in verdict.anomalies:
        assert recording.explanation(anomaly.msg_ids[0], recording.end) == fakes.explanation(
            anomaly.msg_ids[0])


def test_unchanged_snapshots_are_written_once_and_keyframes_come_every_n(tmp_path: Path) -> None:
    same = fakes.snapshot(1)
    snaps = [same, replace(same, seq=2, ts=same.ts + 1)]  # only seq and ts moved
    snaps += [fakes.snapshot(i) for i in range(3, 10)]
    path = tmp_path / "k.kxr"
    record(fakes.FakeEngine(snaps), path, steps=8, keyframe_every=3)
    frames = [line for line in lines(path) if line["t"] == "snap"]
    assert [line["seq"] for line in frames] == [1, *range(3, 10)]
    assert [("key" in line) for line in frames] == [True, False, False] * 2 + [True, False]
    recording = load(path)
    assert recording.snapshot(7, 1).cluster == snaps[-1].cluster
    assert recording.snapshot(4, 1).cluster == snaps[5].cluster  # from the keyframe before it
    assert recording.snapshot(2, 1).cluster == snaps[3].cluster  # and back


def test_the_cap_stops_the_stream_with_a_notice_and_the_file_stays_readable(tmp_path: Path) -> None:
    snaps = [fakes.snapshot(i, with_verdict=i == 60) for i in range(1, 61)]
    engine = fakes.FakeEngine(snaps)
    path = tmp_path / "cap.kxr"
    recorder = Recorder(engine, path, kind="explorer", hz=200, max_bytes=6_000, keyframe_every=1).start()
    port = RecordingPort(engine, recorder)
    events = port.subscribe()
    while recorder.stopped is None and engine.index < len(snaps) - 1:
        seen = recorder.samples
        wait_until(lambda: recorder.samples > seen + 1)  # noqa: B023
        engine.advance()
    assert recorder.stopped is not None
    assert "stopped recording snapshots and events" in recorder.stopped
    notices = [e for e in events.drain() if e.kind == "recording.stopped"]
    assert len(notices) == 1
    assert notices[0].severity == "error"
    assert events.drain() == []  # once
    summary = recorder.close()
    assert summary.bytes < 6_000 + 2_000  # the cap, plus the line that closes the file
    assert summary.stopped == recorder.stopped
    recording = load(path)
    assert recording.stopped == recorder.stopped
    assert 0 < recording.frames < len(snaps)
    assert lines(path)[-1]["t"] == "end"


def test_a_file_cut_short_reads_up_to_the_cut(tmp_path: Path) -> None:
    path = tmp_path / "cut.kxr"
    record(fakes.FakeEngine([fakes.snapshot(i) for i in range(1, 30)]), path, steps=28)
    data = path.read_bytes()
    cut = tmp_path / "cut-short.kxr"
    cut.write_bytes(data[: len(data) * 2 // 3])
    recording = load(cut)
    assert recording.truncated
    assert 0 < recording.frames < 29


@pytest.mark.parametrize("content", [b"", b"not gzip at all", gzip.compress(b'{"t": "header"}\n'),
                                     gzip.compress(b"[1, 2]\n")])
def test_a_foreign_file_gets_one_sentence(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.kxr"
    path.write_bytes(content)
    with pytest.raises(RecordingError, match=r"is not a kafka-explorer recording( \(not a gzip file\))?\.$"):
        load(path)
    with pytest.raises(RecordingError, match="Cannot read the recording"):
        load(tmp_path / "missing.kxr")


def test_a_newer_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.kxr"
    path.write_bytes(gzip.compress(b'{"t":"header","format":"kafka-explorer-recording","version":99}\n'))
    with pytest.raises(RecordingError, match="written by a newer kafka-explorer"):
        load(path)


def test_an_unwritable_path_gets_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RecordingError, match="Cannot write the recording"):
        Recorder(fakes.FakeEngine([fakes.snapshot(1)]), blocker / "r.kxr", kind="run").start()


class LeakyEngine(fakes.FakeEngine):
    """Its record timelines quote a secret (as an error text echoing a config might)."""

    secret = ""

    def submit(self, cmd: Command) -> Future[Any]:
        if isinstance(cmd, Explain):
            future: Future[Any] = Future()
            future.set_result((f"{cmd.msg_id}: sent with password {self.secret}",))
            return future
        return super().submit(cmd)


def test_a_secret_in_a_connection_property_never_reaches_the_file(tmp_path: Path) -> None:
    secret = "Tr0ub4dor&3-s3cr3t"
    clear_secrets()
    connection = Connection(bootstrap=f"alice:{secret}@broker:9092",
                            properties={"sasl.password": secret, "security.protocol": "SASL_SSL"},
                            label=f"SASL_SSL://alice:{secret}@broker:9092")
    base = fakes.snapshot(1)
    member = replace(base.consumers.members[0], last_error=f"SASL authentication failed ({secret})")
    snaps = [replace(base, connection=replace(base.connection, label=connection.label,
                                              bootstrap=connection.bootstrap),
                     consumers=replace(base.consumers, members=(member,)), verdict=fakes.verdict())]
    events = [Event(1, fakes.T0, "command.failed", "engine", f"login with {secret} refused", "error",
                    {"conf": {"sasl.password": secret}, "why": [f"'{secret}'"]})]
    engine = LeakyEngine(snaps, events=events)
    engine.secret = secret
    path = tmp_path / "secret.kxr"
    try:
        recorder = new_recording(engine, path, "explorer", connection).start()
        port = RecordingPort(engine, recorder)
        assert secret in port.submit(Explain("run1/p9/0/9")).result(5)[0]  # the user asks for one
        wait_until(lambda: recorder.events >= 1 and recorder.snapshots >= 1)
        recorder.close()
    finally:
        clear_secrets()
    raw = gzip.decompress(path.read_bytes())
    for form in (secret, json.dumps(secret)[1:-1], secret.replace("&", "\\u0026"),
                 base64.b64encode(secret.encode()).decode()):
        assert form.encode() not in raw
    assert b"[redacted]" in raw
    assert b"broker:9092" in raw  # the address stays, without its credentials
    recording = load(path)
    assert recording.header["connection"] == "SASL_SSL://broker:9092"
    assert recording.explanation("run1/p9/0/9", recording.end) is not None  # the user's one
    assert recording.explanation("run1/p1/0/0", recording.end) is not None  # a finding


def test_recorded_snapshot_json_is_the_views_own(tmp_path: Path) -> None:
    """The recorder writes each part's ``to_json()`` (so the decoder is its only inverse)."""
    snap: Snapshot = fakes.snapshot(1, with_verdict=True)
    path = tmp_path / "own.kxr"
    record(fakes.FakeEngine([snap]), path, steps=0)
    key = next(line for line in lines(path) if line["t"] == "snap")["key"]
    expected = snap.to_json()
    del expected["seq"], expected["ts"]
    assert key == json.loads(json.dumps(expected))


def test_a_scenario_run_in_the_explorer_is_recorded_and_comes_back(tmp_path: Path) -> None:
    from tests.scenarios.fake_driver import FakeDriver
    from tests.unit.test_scenario_runner import FAILOVER
    from tui.recording.outcome import outcome_of
    from tui.recording.recorder import recorded_start_run
    from tui.recording.replay import ReplayEngine
    from tui.scenario import report
    from tui.scenario.load import load_file
    from tui.scenario.results import Progress
    from tui.scenario.runner import ScenarioRun

    source = tmp_path / "leader-kill.yaml"
    source.write_text(FAILOVER)
    scenario = load_file(source)
    engine = fakes.FakeEngine([fakes.snapshot(1)])
    path = tmp_path / "run.kxr"
    recorder = Recorder(engine, path, kind="explorer", hz=50).start()
    seen: list[Progress] = []

    def start_run(sc: object, on_progress: Callable[[Progress], None]) -> ScenarioRun:
        return ScenarioRun(scenario, driver=FakeDriver(nodes=3, counts={"lost": 12}),
                           on_progress=on_progress, run_suffix="r1")

    run = recorded_start_run(recorder, start_run, tmp_path)(scenario, seen.append)
    live = run.run_all()
    recorder.close()
    assert seen  # the screen still gets its progress
    recording = load(path)
    (recorded,) = recording.runs
    assert recorded.slug == "leader-kill"
    assert recorded.yaml == FAILOVER
    assert recorded.report == json.loads(json.dumps(report.to_json(live), default=str))
    again = outcome_of(recording)  # what replay --report writes from
    assert json.loads(json.dumps(report.to_json(again), default=str)) == recorded.report
    assert report.to_markdown(again).splitlines()[:3] == report.to_markdown(live).splitlines()[:3]
    # the Scenarios screen's handle replays it step by step
    replayed = ReplayEngine(recording, speed=1000.0).start_run(scenario, lambda p: None)
    while not replayed.done:
        replayed.next_step()
    assert [r.detail for r in replayed.results] == [r.detail for r in live.steps]
    assert replayed.passed
    assert replayed.names() == live.names
    with pytest.raises(ValueError, match="This is a recording: it holds no run of other"):
        ReplayEngine(recording).start_run(replace(scenario, slug="other"), print)
