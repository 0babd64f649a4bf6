"""Reading a recording back: :func:`load` -> :class:`Recording` (frames, events, explanations, runs).

Loading walks the snapshot deltas once, keeping the reconstructed JSON state at every keyframe; a
keyframe is re-based on the state before it, so unchanged parts stay the same objects across it (and
the decoder hands out the same views for them). :meth:`Recording.snapshot` rebuilds any frame from the
keyframe before it; playing forward applies one delta per frame.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.engine import Event, Snapshot, Verdict
from tui.recording.decode import DecodeError, Decoder, decode_snapshot
from tui.recording.format import RecordingError, read_lines
from tui.recording.patch import PatchError, apply, diff


@dataclass
class RecordedRun:
    """One scenario run as the recording saw it."""

    run: int
    slug: str
    title: str
    source: str
    yaml: str | None
    started: float
    progress: list[tuple[float, str, int | None, str]] = field(default_factory=list)
    """(ts, kind, step, text), in order."""
    report: Mapping[str, Any] | None = None
    """The run's JSON report (``tui.scenario.report.to_json``), when it finished."""
    finished: float | None = None

    def step_times(self, number: int) -> tuple[float | None, float | None]:
        """When step ``number`` started and ended (None when the recording does not say)."""
        start = next((ts for ts, kind, step, _ in self.progress
                      if kind == "step-started" and step == number), None)
        end = next((ts for ts, kind, step, _ in self.progress
                    if kind in ("step-done", "step-failed") and step == number), None)
        return start, end


class Recording:
    """A loaded recording. Snapshot access is not thread-safe: the replay engine serialises it."""

    def __init__(self, path: Path, lines: list[dict[str, Any]], truncated: bool) -> None:
        self.path = path
        self.header: dict[str, Any] = lines[0]
        self.truncated = truncated
        self.stopped: str | None = None
        self.decoder = Decoder(strict=False)
        self.frame_ts: list[float] = []
        self.frame_seq: list[int] = []
        self._patches: list[Any] = []
        """Per frame: the delta from the frame before (None for the first)."""
        self._keyframes: dict[int, dict[str, Any]] = {}
        self._verdict_frames: list[int] = []
        """Frames where a new verdict appears."""
        self.events: list[Event] = []
        self.event_ts: list[float] = []
        self.explanations: dict[str, list[tuple[float, tuple[str, ...]]]] = {}
        self.runs: list[RecordedRun] = []
        self._cached: tuple[int, dict[str, Any]] | None = None
        self._read(lines)

    # ---- loading -----------------------------------------------------------------------------

    def _read(self, lines: list[dict[str, Any]]) -> None:
        state: dict[str, Any] | None = None
        for number, line in enumerate(lines[1:], start=2):
            kind = line.get("t")
            try:
                if kind == "snap":
                    state = self._frame(line, state)
                elif kind == "event":
                    self._event(line)
                elif kind == "explain":
                    self.explanations.setdefault(str(line["msg_id"]), []).append(
                        (float(line["ts"]), tuple(str(x) for x in line["lines"])))
                elif kind in ("scenario", "progress", "outcome"):
                    self._run_line(kind, line)
                elif kind == "stopped":
                    self.stopped = str(line.get("reason") or "the recording stopped early")
            except (KeyError, TypeError, ValueError, PatchError, DecodeError) as exc:
                raise RecordingError(f"{self.path} is damaged at line {number} ({kind}): "
                                     f"{exc if isinstance(exc, ValueError) else type(exc).__name__}.") \
                    from exc

    def _frame(self, line: dict[str, Any], state: dict[str, Any] | None) -> dict[str, Any]:
        index = len(self.frame_ts)
        if "key" in line:
            key = line["key"]
            if not isinstance(key, dict):
                raise PatchError("a keyframe that is no object")
            # re-based on the state before: unchanged parts stay the objects they were
            new = key if state is None else apply(state, diff(state, key) or ["=", state])
            self._keyframes[index] = new
            self._patches.append(None)
        else:
            if state is None:
                raise PatchError("a delta before the first keyframe")
            new = apply(state, line["patch"])
            self._patches.append(line["patch"])
        if not isinstance(new, dict):
            raise PatchError("a snapshot that is no object")
        verdict = new.get("verdict")
        if verdict is not None and (state is None or verdict is not state.get("verdict")):
            self._verdict_frames.append(index)
        self.frame_ts.append(float(line["ts"]))
        self.frame_seq.append(int(line["seq"]))
        self._cached = (index, new)
        return new

    def _event(self, line: dict[str, Any]) -> None:
        event = self.decoder.decode(Event, line["e"], "Event")
        if self.event_ts and event.ts < self.event_ts[-1]:  # keep the list sorted for bisect
            event = Event(event.seq, self.event_ts[-1], event.kind, event.source, event.text,
                          event.severity, event.data)
        self.events.append(event)
        self.event_ts.append(event.ts)

    def _run_line(self, kind: str, line: dict[str, Any]) -> None:
        run = int(line["run"])
        if kind == "scenario":
            self.runs.append(RecordedRun(run, str(line["slug"]), str(line["title"]),
                                         str(line.get("source") or ""), line.get("yaml"),
                                         float(line["ts"])))
            return
        record = next((r for r in self.runs if r.run == run), None)
        if record is None:
            raise ValueError(f"a {kind} line for scenario run {run}, which never started")
        if kind == "progress":
            step = line.get("step")
            record.progress.append((float(line["ts"]), str(line["kind"]),
                                    int(step) if step is not None else None, str(line["text"])))
        else:
            record.report = line["report"]
            record.finished = float(line["ts"])

    # ---- what a replay asks ------------------------------------------------------------------

    @property
    def label(self) -> str:
        return str(self.header.get("connection") or "")

    @property
    def frames(self) -> int:
        return len(self.frame_ts)

    def _times(self) -> list[float]:
        """When snapshots, events and scenario runs began and ended."""
        times = self.frame_ts[:1] + self.frame_ts[-1:] + self.event_ts[:1] + self.event_ts[-1:]
        for run in self.runs:
            times += [run.started, *(p[0] for p in run.progress[-1:])]
            times += [run.finished] if run.finished is not None else []
        return [t for t in times if t]

    @property
    def start(self) -> float:
        """Recorded time of the first thing recorded."""
        times = self._times()
        return min(times) if times else float(self.header.get("ts") or 0.0)

    @property
    def end(self) -> float:
        """Recorded time of the last thing recorded."""
        times = self._times()
        return max(times) if times else self.start

    def frame_at(self, ts: float) -> int:
        """The frame shown at recorded time ``ts`` (the last one at or before it; 0 before any)."""
        return max(0, bisect.bisect_right(self.frame_ts, ts) - 1)

    def events_until(self, ts: float) -> int:
        """How many events happened at or before ``ts``."""
        return bisect.bisect_right(self.event_ts, ts)

    def state(self, index: int) -> dict[str, Any]:
        """The recorded JSON of frame ``index``."""
        cached = self._cached
        if cached is not None and cached[0] == index:
            return cached[1]
        if cached is not None and cached[0] < index and not any(
                i in self._keyframes for i in range(cached[0] + 1, index + 1)):
            start, state = cached  # playing forward: apply the deltas since the cached frame
        else:
            start = max(k for k in self._keyframes if k <= index)
            state = self._keyframes[start]
        for i in range(start + 1, index + 1):
            patch = self._patches[i]
            state = self._keyframes[i] if patch is None else apply(state, patch)
        self._cached = (index, state)
        return state

    def snapshot(self, index: int, seq: int) -> Snapshot:
        """Frame ``index`` as the engine's real :class:`Snapshot` (numbered ``seq``)."""
        try:
            return decode_snapshot(self.decoder, self.state(index), seq, self.frame_ts[index])
        except (DecodeError, PatchError) as exc:
            raise RecordingError(f"{self.path}: snapshot {index} cannot be read ({exc}){self._by()}.") \
                from exc

    def _by(self) -> str:
        """Who wrote the file, when it was another version (views change between versions)."""
        from tui.recording.format import app_version

        written = str(self.header.get("app") or "?")
        return "" if written == app_version() else f"; it was recorded by kafka-explorer {written}"

    def verdict_frames(self) -> list[int]:
        return list(self._verdict_frames)

    def verdict_at(self, ts: float) -> Verdict | None:
        """The verdict the session had at ``ts`` (None before the first)."""
        if not self.frame_ts:
            return None
        return self._verdict(self.frame_at(ts))

    def last_verdict(self) -> Verdict | None:
        return self._verdict(self._verdict_frames[-1]) if self._verdict_frames else None

    def _verdict(self, index: int) -> Verdict | None:
        data = self.state(index).get("verdict")
        if data is None:
            return None
        try:  # the same JSON decodes to the same object the snapshot of that frame holds
            verdict: Verdict = self.decoder.decode(Verdict, data, "Verdict")
        except DecodeError as exc:
            raise RecordingError(f"{self.path}: the verdict of snapshot {index} cannot be read "
                                 f"({exc}).") from exc
        return verdict

    def explanation(self, msg_id: str, ts: float) -> tuple[str, ...] | None:
        """The timeline recorded for ``msg_id`` last at or before ``ts`` (else the first one)."""
        found = self.explanations.get(msg_id)
        if not found:
            return None
        before = [lines for at, lines in found if at <= ts]
        return before[-1] if before else found[0][1]


def load(path: Path) -> Recording:
    """Read ``path``; :class:`RecordingError` (one sentence) when it is no readable recording."""
    lines, truncated = read_lines(path)
    recording = Recording(path, lines, truncated)
    if recording.frames:
        recording.snapshot(recording.frames - 1, 0)  # a decoding problem shows now, not mid-replay
        recording.snapshot(0, 0)
    return recording
