"""The explorer's port on a recording: :class:`ReplayEngine` (``submit``, ``snapshot``, ``subscribe``).

A :class:`ReplayClock` maps wall time to recorded time (play, pause, speed, seek); ``snapshot()``
returns the frame recorded at the clock's position, as the engine's real views. Replayed snapshots are
numbered by the replay (1, 2, ... whenever the frame shown changes, seeking back included), because
the explorer ignores a snapshot whose ``seq`` is lower than the one it shows. Event subscriptions
receive each recorded event once, when the clock passes it (seeking back shows no event twice).

Read-only: ``Judge`` answers with the verdict recorded at (or, before any, after) the clock's
position, ``Explain`` with the recorded timeline, and every other command fails with one sentence
("This is a recording: ..."). :meth:`ReplayEngine.start_run` replays a recorded scenario run step by
step for the Scenarios screen.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tui.engine import (
    Command,
    ConnectionView,
    ConsumersView,
    Event,
    Explain,
    Judge,
    ProducersView,
    Snapshot,
    WatchLane,
)
from tui.recording.reader import RecordedRun, Recording

if TYPE_CHECKING:
    from tui.scenario.model import Scenario, Step
    from tui.scenario.results import ExpectationResult, Progress, StepResult

SPEED_RANGE = (1 / 16, 1024.0)
RECORDING = "This is a recording"


def refusal(cmd: Command) -> str:
    """The one sentence a command that needs a cluster gets in a replay."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(cmd).__name__).lower()
    return (f"{RECORDING}: the {words} command needs a live cluster; a replay only shows what was "
            "recorded.")


class ReplayClock:
    """Recorded time as a function of wall time. Thread-safe."""

    def __init__(self, start: float, end: float, speed: float = 1.0, playing: bool = True,
                 now: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("The replay speed must be above 0.")
        self.start = start
        self.end = max(start, end)
        self._now = now
        self._lock = threading.Lock()
        self._speed = speed
        self._playing = playing
        self._base = start
        self._since = now()

    def _position(self) -> float:
        if not self._playing:
            return self._base
        return min(self.end, self._base + (self._now() - self._since) * self._speed)

    def position(self) -> float:
        """The recorded time shown now (it stops at the end and pauses there)."""
        with self._lock:
            pos = self._position()
            if self._playing and pos >= self.end:
                self._base, self._playing = self.end, False
            return pos

    @property
    def playing(self) -> bool:
        with self._lock:
            return self._playing and self._position() < self.end

    @property
    def speed(self) -> float:
        return self._speed

    def _rebase(self, position: float) -> None:
        self._base = min(self.end, max(self.start, position))
        self._since = self._now()

    def play(self) -> None:
        with self._lock:
            position = self._position()
            self._rebase(self.start if position >= self.end else position)  # at the end: again
            self._playing = True

    def pause(self) -> None:
        with self._lock:
            self._rebase(self._position())
            self._playing = False

    def toggle(self) -> bool:
        """Play or pause; returns whether it plays now."""
        if self.playing:
            self.pause()
            return False
        self.play()
        return True

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("The replay speed must be above 0.")
        with self._lock:
            self._rebase(self._position())
            self._speed = speed

    def faster(self, up: bool = True) -> float:
        """Twice (or half) the speed, within :data:`SPEED_RANGE`; returns it."""
        low, high = SPEED_RANGE
        chosen = min(high, self._speed * 2) if up else max(low, self._speed / 2)
        self.set_speed(chosen)
        return chosen

    def seek(self, position: float) -> None:
        with self._lock:
            self._rebase(position)

    def step(self, seconds: float) -> None:
        with self._lock:
            self._rebase(self._position() + seconds)

    def fraction(self) -> float:
        span = self.end - self.start
        return 0.0 if span <= 0 else (self.position() - self.start) / span

    def seek_fraction(self, fraction: float) -> None:
        self.seek(self.start + max(0.0, min(1.0, fraction)) * (self.end - self.start))


class ReplaySubscription:
    """Recorded events as the clock passes them; each one once."""

    def __init__(self, engine: ReplayEngine, maxlen: int, kinds: tuple[str, ...] | None,
                 replay: bool) -> None:
        self._engine = engine
        self._kinds = kinds
        self._maxlen = maxlen
        self._lock = threading.Lock()
        self._next = 0 if replay else engine.recording.events_until(engine.clock.position())
        self.dropped = 0

    def drain(self, limit: int | None = None) -> list[Event]:
        recording = self._engine.recording
        with self._lock:
            upto = recording.events_until(self._engine.clock.position())
            if upto - self._next > self._maxlen:  # fell behind (a long seek): the oldest are dropped
                self.dropped += upto - self._next - self._maxlen
                self._next = upto - self._maxlen
            if limit is not None:
                upto = min(upto, self._next + limit)
            chosen = recording.events[self._next:upto] if upto > self._next else []
            self._next = max(self._next, upto)
        kinds = self._kinds
        return [e for e in chosen if kinds is None or e.kind.startswith(kinds)]

    def close(self) -> None:
        return None


class ReplayEngine:
    """Implements the explorer's port (``tui.ui.port.EnginePort``) from a :class:`Recording`."""

    def __init__(self, recording: Recording, speed: float = 1.0, playing: bool = True,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.recording = recording
        self.clock = ReplayClock(recording.start, recording.end, speed, playing, now)
        self._lock = threading.Lock()
        self._seq = 0
        self._shown: tuple[int, Snapshot] | None = None

    # ---- the port ----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        position = self.clock.position()
        with self._lock:
            if not self.recording.frames:
                return self._empty(position)
            index = self.recording.frame_at(position)
            if self._shown is not None and self._shown[0] == index:
                return self._shown[1]
            self._seq += 1
            snapshot = self.recording.snapshot(index, self._seq)
            snapshot = replace(snapshot, connection=replace(
                snapshot.connection, label=f"replay of {snapshot.connection.label}"))
            self._shown = (index, snapshot)
            return snapshot

    def _empty(self, position: float) -> Snapshot:
        if self._shown is None:
            self._seq += 1
            label = f"replay of {self.recording.label}"
            self._shown = (-1, Snapshot(self._seq, position, ConnectionView(label, "", False, ""),
                                        ProducersView(), ConsumersView(), None, (), None))
        return self._shown[1]

    def submit(self, cmd: Command) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(self._answer(cmd))
        except ValueError as exc:
            future.set_exception(exc)
        return future

    def _answer(self, cmd: Command) -> Any:
        if isinstance(cmd, Judge):
            with self._lock:
                verdict = (self.recording.verdict_at(self.clock.position())
                           or self.recording.last_verdict())
            if verdict is None:
                raise ValueError(f"{RECORDING}: it holds no verdict (the session never judged).")
            return verdict
        if isinstance(cmd, Explain):
            lines = self.recording.explanation(cmd.msg_id, self.clock.position())
            if lines is None:
                return (f"{RECORDING}: no timeline was recorded for {cmd.msg_id} (a recording keeps "
                        "the timelines of the verdict's first findings and of the records explained "
                        "while recording).",)
            return lines
        if isinstance(cmd, WatchLane):
            return None  # the recorded snapshots carry the lanes the recording session watched
        raise ValueError(refusal(cmd))

    def subscribe(self, maxlen: int = 10_000, kinds: tuple[str, ...] | None = None,
                  replay: bool = False) -> ReplaySubscription:
        return ReplaySubscription(self, maxlen, kinds, replay)

    # ---- scenarios ---------------------------------------------------------------------------

    def start_run(self, scenario: Scenario, on_progress: Callable[[Progress], None]) -> ReplayedRun:
        """The Scenarios screen's ``start_run``: the recorded run of ``scenario``, replayed."""
        runs = [r for r in self.recording.runs if r.slug == scenario.slug]
        if not runs:
            recorded = ", ".join(sorted({r.slug for r in self.recording.runs})) or "none"
            raise ValueError(f"{RECORDING}: it holds no run of {scenario.slug} (recorded runs: "
                             f"{recorded}).")
        return ReplayedRun(self, runs[-1], scenario, on_progress)


class ReplayedRun:
    """A recorded scenario run for the Scenarios screen (its ``RunHandle``): each step plays the
    recording from the step's start to its end, then shows the recorded result."""

    def __init__(self, engine: ReplayEngine, record: RecordedRun, scenario: Scenario,
                 on_progress: Callable[[Progress], None]) -> None:
        from tui.recording.outcome import recorded_steps

        self._engine = engine
        self._record = record
        self._on_progress = on_progress
        self.scenario = scenario
        self.steps: tuple[Step, ...]
        self._results: tuple[StepResult, ...]
        self.steps, self._results = recorded_steps(scenario, record)
        self.results: list[StepResult] = []
        self.expectation_results: tuple[ExpectationResult, ...] = ()
        self.error: str | None = None
        self._cancel = threading.Event()

    @property
    def done(self) -> bool:
        return len(self.results) >= len(self._results)

    @property
    def passed(self) -> bool:
        report = self._record.report
        return self.done and bool(report and report.get("passed"))

    @property
    def next(self) -> Step | None:
        if self.done:
            return None
        number = self._results[len(self.results)].number
        return next((s for s in self.steps if s.number == number), None)

    def names(self) -> dict[str, str]:
        """Logical name -> real name of the recorded run (as its report has them)."""
        report = self._record.report or {}
        return {str(k): str(v) for k, v in (report.get("names") or {}).items()}

    def next_step(self) -> StepResult | None:
        from tui.recording.outcome import expectation_results
        from tui.scenario.results import Progress

        if self.done:
            return None
        result = self._results[len(self.results)]
        start, end = self._record.step_times(result.number)
        clock = self._engine.clock
        if start is not None and end is not None:
            clock.seek(start)
            clock.play()
            for ts, kind, step, text in self._record.progress:
                if step == result.number or (start <= ts <= end and step is None):
                    while not self._cancel.is_set() and clock.position() < min(ts, clock.end):
                        self._cancel.wait(0.05)  # the room watches the step happen
                    if self._cancel.is_set():
                        return None
                    self._on_progress(Progress(kind, step, text))
        self.results.append(result)
        if self.done:
            report = self._record.report or {}
            self.expectation_results = expectation_results(report)
            error = report.get("error")
            self.error = str(error) if error else None
        return result

    def cancel(self) -> None:
        self._cancel.set()

    def close(self) -> None:
        self._cancel.set()
