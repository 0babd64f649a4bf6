"""Writing a session: :class:`Recorder` (one thread owns the file) and :class:`RecordingPort`.

The recorder samples the engine's snapshot at :data:`SAMPLE_HZ` (the explorer itself pulls at the
rate its visible screen needs, 2-8 Hz; a recording should not depend on which screen was open),
drains its own event subscription (from the engine's history on, so nothing before the recorder
started is missed), and writes both through :mod:`tui.recording.format`. A sample costs what
``to_json()`` of the parts that *changed* costs: a part that is the same object as in the last sample
(the watcher's view between two refreshes) is reused, and when a sample still takes long (a cluster
with tens of thousands of partitions) the recorder samples less often, so it never takes more than
about a tenth of a core.

When a verdict appears in a snapshot, the recorder asks the engine to explain the records in its
findings (``Explain``, at most :data:`MAX_EXPLAINED` per verdict, a few per tick so sampling goes
on), so a replay can answer ``Explain`` for them. :class:`RecordingPort` is the port the explorer gets
when recording: it forwards everything and also keeps the explanations the user asks for.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tui.engine import Command, Event, Explain, Judge, Snapshot, Verdict
from tui.recording.format import (
    DEFAULT_MAX_BYTES,
    FORMAT,
    KEYFRAME_EVERY,
    STREAM_SHARE,
    VERSION,
    LineWriter,
    app_version,
    iso,
    redact_json,
    safe_address,
)
from tui.recording.patch import diff
from tui.redact import redact_text, register_config_secrets

if TYPE_CHECKING:
    from tui.engine import Connection, WatchFilter
    from tui.scenario.model import Scenario
    from tui.scenario.results import Progress, RunOutcome

LOG = logging.getLogger("kafka_explorer.recording")
SAMPLE_HZ = 4.0
MAX_EXPLAINED = 300
"""Records explained per verdict (every finding gets its first records before any gets more)."""
EXPLAIN_PER_TICK = 10
EXPLAIN_TIMEOUT_S = 10.0
FINISH_TIMEOUT_S = 60.0
"""How long closing may spend on explanations still pending."""
FLUSH_S = 5.0
"""A crash loses at most this much of the session."""
MAX_CPU_SHARE = 0.1


class EventQueue(Protocol):
    dropped: int

    def drain(self, limit: int | None = None) -> list[Event]: ...

    def close(self) -> None: ...


class EngineLike(Protocol):
    """The three methods of the UI's port (``tui.ui.port.EnginePort``; a headless ``run`` passes the
    engine itself, and this package sits below the UI, so it names them again)."""

    def submit(self, cmd: Command) -> Future[Any]: ...

    def snapshot(self) -> Snapshot: ...

    def subscribe(self, maxlen: int = 10_000, kinds: tuple[str, ...] | None = None,
                  replay: bool = False) -> EventQueue: ...


@dataclass(frozen=True)
class RecordingSummary:
    path: Path
    bytes: int
    snapshots: int
    events: int
    explained: int
    seconds: float
    stopped: str | None

    def sentence(self) -> str:
        text = (f"recording written to {self.path} ({_size(self.bytes)}, {self.seconds:.0f} s, "
                f"{self.snapshots:,} snapshots, {self.events:,} events, {self.explained:,} records "
                "explained)")
        return text + (f"; {self.stopped}" if self.stopped else "")


def _size(n: int) -> str:
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"


class SnapshotEncoder:
    """A snapshot as recorded JSON (without seq and ts), reusing the JSON of unchanged parts."""

    def __init__(self) -> None:
        self._parts: dict[str, tuple[object, Any]] = {}

    def encode(self, snapshot: Snapshot) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for f in dataclasses.fields(snapshot):
            if f.name in ("seq", "ts"):
                continue
            value = getattr(snapshot, f.name)
            hit = self._parts.get(f.name)
            if hit is not None and hit[0] is value:
                state[f.name] = hit[1]
                continue
            encoded = redact_json(_to_json(value))
            if f.name == "connection" and isinstance(encoded, dict):
                for key in ("label", "bootstrap"):
                    if isinstance(encoded.get(key), str):
                        encoded[key] = safe_address(encoded[key])
            self._parts[f.name] = (value, encoded)
            state[f.name] = encoded
        return state


def _to_json(value: object) -> Any:
    """A snapshot part through its own ``to_json()`` (views, the verdict), item by item in tuples."""
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    own = getattr(value, "to_json", None)
    return own() if callable(own) else value


def _scenario_text(scenario: Scenario, path: Path | None) -> str | None:
    """The scenario file's text: from ``path``, else its source name as a path or in the bundled
    set (what the Scenarios screen lists); None when none can be read."""
    from tui.scenario.load import bundled_dir

    candidates = [path] if path is not None else []
    if scenario.source:
        candidates += [Path(scenario.source), bundled_dir() / scenario.source]
    for candidate in candidates:
        try:
            if candidate.is_file():
                return candidate.read_text(encoding="utf-8")
        except OSError:
            continue
    return None


def explain_targets(verdict: Verdict, limit: int = MAX_EXPLAINED) -> list[str]:
    """The msg_ids of a verdict's findings, round-robin over its anomalies, at most ``limit``."""
    out: list[str] = []
    seen: set[str] = set()
    columns = [a.msg_ids for a in verdict.anomalies if a.msg_ids]
    for row in itertools.zip_longest(*columns):
        for msg_id in row:
            if msg_id is not None and msg_id not in seen:
                seen.add(msg_id)
                out.append(msg_id)
                if len(out) >= limit:
                    return out
    return out


class Recorder:
    """Records ``engine`` into ``path`` from :meth:`start` to :meth:`close` (its own thread)."""

    def __init__(self, engine: EngineLike, path: Path, *, kind: str, label: str = "",
                 properties: Mapping[str, str] | None = None, hz: float = SAMPLE_HZ,
                 max_bytes: int = DEFAULT_MAX_BYTES, keyframe_every: int = KEYFRAME_EVERY) -> None:
        if properties:
            register_config_secrets(properties)  # their values never reach the file
        self.path = path
        self._engine = engine
        self._kind = kind
        self._label = label
        self._period = 1.0 / hz
        self._max_bytes = max_bytes
        self._keyframe_every = max(1, keyframe_every)
        self._writer: LineWriter | None = None
        self._encoder = SnapshotEncoder()
        self._inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._events: EventQueue | None = None
        self._last_state: dict[str, Any] | None = None
        self._last_verdict: Verdict | None = None
        self._pending: list[str] = []
        self._runs = itertools.count()
        self._notice_seq = itertools.count(1_000_000_000)
        self.notices: list[Event] = []
        """Events for the explorer's subscriptions (the cap was reached)."""
        self.samples = 0
        """Snapshots looked at (written or not)."""
        self.snapshots = 0
        self.events = 0
        self.explained = 0
        self.stopped: str | None = None
        self.summary: RecordingSummary | None = None
        self._started = time.time()
        self._since_key = 0

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Recorder:
        """Open the file (RecordingError with one sentence when it cannot be written) and record."""
        self._writer = LineWriter(self.path, self._max_bytes)
        self._started = time.time()
        self._writer.write({"t": "header", "format": FORMAT, "version": VERSION, "app": app_version(),
                            "created": iso(self._started), "ts": self._started, "kind": self._kind,
                            "connection": safe_address(self._label),
                            "keyframe_every": self._keyframe_every, "max_bytes": self._max_bytes})
        self._events = self._engine.subscribe(maxlen=50_000, replay=True)
        self._thread.start()
        return self

    def poke(self) -> None:
        """Sample now (a verdict just arrived, say)."""
        self._wake.set()

    def close(self) -> RecordingSummary:
        """Take a last sample, finish pending explanations (bounded), close the file. Idempotent."""
        if self.summary is not None:
            return self.summary
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(FINISH_TIMEOUT_S + 10.0)
        if self._events is not None:
            self._events.close()
        size = 0
        if self._writer is not None:
            self._writer.write({"t": "end", "ts": time.time(), "snapshots": self.snapshots,
                                "events": self.events, "explained": self.explained,
                                "stopped": self.stopped}, force=True)
            size = self._writer.close()
        self.summary = RecordingSummary(self.path, size, self.snapshots, self.events, self.explained,
                                        time.time() - self._started, self.stopped)
        return self.summary

    # ---- what other threads hand in ------------------------------------------------------------

    def explained_record(self, msg_id: str, lines: tuple[str, ...]) -> None:
        self._inbox.put({"t": "explain", "ts": time.time(), "msg_id": msg_id, "lines": list(lines)})

    def scenario_started(self, scenario: Scenario, path: Path | None = None) -> int:
        """A scenario run begins (from file ``path``, when known); returns its number in this file."""
        run = next(self._runs)
        text = _scenario_text(scenario, path)
        self._inbox.put({"t": "scenario", "run": run, "ts": time.time(), "slug": scenario.slug,
                         "title": scenario.title, "source": scenario.source, "yaml": text})
        return run

    def progress(self, run: int, progress: Progress) -> None:
        self._inbox.put({"t": "progress", "run": run, "ts": time.time(), "kind": progress.kind,
                         "step": progress.step, "text": progress.text})

    def scenario_finished(self, run: int, outcome: RunOutcome) -> None:
        from tui.scenario import report

        self._inbox.put({"t": "outcome", "run": run, "ts": time.time(), "report": report.to_json(outcome)})
        self.poke()

    def record_progress(self, scenario: Scenario, on_progress: Callable[[Progress], None] | None,
                        outcome: Callable[[], RunOutcome], path: Path | None = None
                        ) -> Callable[[Progress], None]:
        """A progress callback for a run of ``scenario`` (read from ``path``, when known) that also
        records it (and its outcome when it reports ``finished``); ``outcome`` returns the run's
        outcome."""
        run = self.scenario_started(scenario, path)

        def progress(p: Progress) -> None:
            if on_progress is not None:
                on_progress(p)
            self.progress(run, p)
            if p.kind == "finished":
                self.scenario_finished(run, outcome())

        return progress

    # ---- the recorder thread -------------------------------------------------------------------

    def _run(self) -> None:
        next_flush = time.monotonic() + FLUSH_S
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                self._tick(explain=EXPLAIN_PER_TICK)
            except Exception:  # recording must never take the session down with it
                LOG.exception("recording a sample failed")
            cost = time.monotonic() - began
            if time.monotonic() >= next_flush and self._writer is not None:
                self._writer.flush()
                next_flush = time.monotonic() + FLUSH_S
            self._wake.wait(max(self._period, cost / MAX_CPU_SHARE))
            self._wake.clear()
        try:
            self._tick(explain=MAX_EXPLAINED, deadline=time.monotonic() + FINISH_TIMEOUT_S)
        except Exception:
            LOG.exception("recording the last sample failed")

    def _tick(self, explain: int, deadline: float | None = None) -> None:
        self._drain_events()
        self._sample()
        self._drain_inbox()
        self._explain(explain, deadline)
        self._drain_inbox()

    def _stream(self, line: dict[str, Any]) -> bool:
        """Write a snapshot or event line while the stream share of the cap lasts."""
        assert self._writer is not None
        if self.stopped is not None:
            return False
        if self._writer.write(line, limit=int(self._max_bytes * STREAM_SHARE)):
            return True
        self.stopped = (f"the recording reached {_size(int(self._max_bytes * STREAM_SHARE))} and stopped "
                        "recording snapshots and events")
        self._writer.write({"t": "stopped", "ts": time.time(), "reason": self.stopped})
        LOG.warning("%s: %s", self.path, self.stopped)
        self.notices.append(Event(next(self._notice_seq), time.time(), "recording.stopped", "recorder",
                                  f"Recording: {self.stopped} ({self.path.name}).", "error", {}))
        return False

    def _drain_events(self) -> None:
        if self._events is None:
            return
        for event in self._events.drain():
            if self._stream({"t": "event", "e": redact_json(event.to_json())}):
                self.events += 1

    def _sample(self) -> None:
        snapshot = self._engine.snapshot()
        self.samples += 1
        if snapshot.verdict is not None and snapshot.verdict is not self._last_verdict:
            self._last_verdict = snapshot.verdict
            self._pending = explain_targets(snapshot.verdict)
        if self.stopped is not None:
            return
        state = self._encoder.encode(snapshot)
        line: dict[str, Any] = {"t": "snap", "i": self.snapshots, "ts": snapshot.ts, "seq": snapshot.seq}
        if self._last_state is None or self._since_key + 1 >= self._keyframe_every:
            if self._last_state is not None and diff(self._last_state, state) is None:
                return  # unchanged: a keyframe can wait for a change
            line["key"] = state
            since = 0
        else:
            patch = diff(self._last_state, state)
            if patch is None:
                return  # deduplicated: nothing but seq and ts moved
            line["patch"] = patch
            since = self._since_key + 1
        if self._stream(line):
            self.snapshots += 1
            self._last_state = state
            self._since_key = since

    def _drain_inbox(self) -> None:
        assert self._writer is not None
        while True:
            try:
                line = self._inbox.get_nowait()
            except queue.Empty:
                return
            if line["t"] == "explain":
                line = redact_json(line)
                if self._writer.write(line):
                    self.explained += 1
                continue
            self._writer.write(redact_json(line))

    def _explain(self, budget: int, deadline: float | None) -> None:
        while self._pending and budget > 0:
            if deadline is not None and time.monotonic() > deadline:
                LOG.warning("recording: %d explanations left out (time is up)", len(self._pending))
                self._pending = []
                return
            msg_id = self._pending.pop(0)
            budget -= 1
            try:
                lines = self._engine.submit(Explain(msg_id)).result(EXPLAIN_TIMEOUT_S)
            except Exception as exc:  # the engine is closing, or the record is unknown
                LOG.info("recording: explaining %s failed: %s", redact_text(msg_id), exc)
                continue
            self.explained_record(msg_id, tuple(str(line) for line in lines or ()))


def new_recording(engine: EngineLike, path: Path, kind: str, connection: Connection) -> Recorder:
    """A recorder (call :meth:`Recorder.start`) of ``engine`` into ``path`` for a session on
    ``connection``: its label goes into the header, and its properties' secret values are scrubbed
    from everything written."""
    return Recorder(engine, path, kind=kind, label=connection.label or connection.bootstrap,
                    properties=connection.properties)


def scenario_watch_filter(scenario: Scenario, suffix: str) -> WatchFilter:
    """The watcher narrowed to a run's own topics and groups (a shared cluster holds many others,
    and a recording of them would mostly be noise). The runner names each ``<logical>-<run suffix>``
    (``ScenarioRun``); tests/scenarios check this prediction against the run's names."""
    from tui.engine import WatchFilter
    from tui.scenario.model import StartMembers

    topics = tuple(f"{t.name}-{suffix}" for t in scenario.topics)
    groups = tuple(dict.fromkeys(f"{s.action.group}-{suffix}" for s in scenario.steps
                                 if isinstance(s.action, StartMembers)))
    # an empty filter shows everything: a run without topics or groups names one that cannot exist
    return WatchFilter(groups=groups or (f"kx-none-{suffix}",), topics=topics or (f"kx-none-{suffix}",))


RunT = TypeVar("RunT", bound="HasOutcome")


class HasOutcome(Protocol):
    def outcome(self) -> RunOutcome: ...


def recorded_start_run(recorder: Recorder,
                       start_run: Callable[[Scenario, Callable[[Progress], None]], RunT],
                       directory: Path | None = None
                       ) -> Callable[[Scenario, Callable[[Progress], None]], RunT]:
    """The explorer's ``start_run`` whose runs are recorded too (steps, progress, outcome);
    ``directory``: where the Scenarios screen found the files (default: the bundled set)."""

    def start(scenario: Scenario, on_progress: Callable[[Progress], None]) -> RunT:
        runs: list[RunT] = []
        path = directory / scenario.source if directory is not None and scenario.source else None
        progress = recorder.record_progress(scenario, on_progress, lambda: runs[0].outcome(), path)
        runs.append(start_run(scenario, progress))
        return runs[0]

    return start


class _WithNotices:
    """An event source that also hands out the recorder's notices (once each)."""

    def __init__(self, inner: EventQueue, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder
        self._given = 0
        self.dropped = inner.dropped

    def drain(self, limit: int | None = None) -> list[Event]:
        events = self._inner.drain(limit)
        self.dropped = self._inner.dropped
        notices = self._recorder.notices
        if len(notices) > self._given:
            events = [*events, *notices[self._given:]]
            self._given = len(notices)
        return events

    def close(self) -> None:
        self._inner.close()


class RecordingPort:
    """The port the explorer gets while recording: the engine's, plus what the recorder keeps."""

    def __init__(self, engine: EngineLike, recorder: Recorder) -> None:
        self._engine = engine
        self.recorder = recorder

    def submit(self, cmd: Command) -> Future[Any]:
        future = self._engine.submit(cmd)
        if isinstance(cmd, Judge):
            future.add_done_callback(lambda _done: self.recorder.poke())
        elif isinstance(cmd, Explain):
            msg_id = cmd.msg_id

            def explained(done: Future[Any]) -> None:
                if not done.cancelled() and done.exception() is None:
                    self.recorder.explained_record(msg_id, tuple(str(x) for x in done.result() or ()))

            future.add_done_callback(explained)
        return future

    def snapshot(self) -> Snapshot:
        return self._engine.snapshot()

    def subscribe(self, maxlen: int = 10_000, kinds: tuple[str, ...] | None = None,
                  replay: bool = False) -> _WithNotices:
        return _WithNotices(self._engine.subscribe(maxlen, kinds, replay), self.recorder)
