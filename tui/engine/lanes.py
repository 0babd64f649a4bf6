"""The record lane: each partition of one topic as a row of offsets, each cell showing a fate.

A lane is what an instructor points at: offsets left to right, each record's fate for one group
(:class:`tui.vocab.RecordFate`: not yet consumed, delivered, processed, processed twice, skipped,
lost, dead-lettered, aborted), with markers for the log start, the high watermark, the last stable
offset, each group's committed offset and each member's position.

* Live (:class:`LiveLane`): fates from the consumption log, read incrementally (only the events new
  since the last build are looked at); markers from the watcher's partition view and the members.
* Final (:func:`final_lane`): fates from the last verdict's history (the final re-read says which
  offsets hold records, the consumption log what each group did) with the verdict's findings laid
  over them (lost, skipped, processed twice, dead-lettered, aborted).

Cost is bounded: the builder keeps one byte per offset (and one reference per offset for the
record ids), never an object per record, and a :class:`LaneView` carries at most a window of cells
per partition (a cell stands for ``per_cell`` records when the lane is long: the zoom).
:class:`LaneKeeper` builds the lane the UI asked for (:class:`WatchLane`) on its own thread, about
twice a second, and the engine puts it in the snapshot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from tui.engine.commands import Command
from tui.engine.history import ConsumerEvent, ConsumerEventKind, History
from tui.engine.jsonview import JsonView
from tui.vocab import AckType, AnomalyKind, PolicyAction, RecordFate

if TYPE_CHECKING:
    from tui.engine.checker.verdict import Verdict
    from tui.engine.consumer.views import ConsumersView
    from tui.engine.context import EngineContext
    from tui.engine.watcher.views import ClusterView

LOG = logging.getLogger("kafka_explorer.engine.lanes")

FATE_CODES: Mapping[RecordFate, str] = {
    RecordFate.PENDING: ".", RecordFate.DELIVERED: "d", RecordFate.PROCESSED: "p",
    RecordFate.PROCESSED_TWICE: "2", RecordFate.SKIPPED: "s", RecordFate.LOST: "l",
    RecordFate.DEAD_LETTERED: "x", RecordFate.ABORTED: "a", RecordFate.GAP: "-",
}
"""One character per fate in :attr:`LanePartition.cells` (compact in snapshots and recordings)."""
OUTSIDE = " "
"""A cell outside the log (before its start, or after the high watermark)."""
_FATES: dict[str, RecordFate] = {code: fate for fate, code in FATE_CODES.items()}

NOTABILITY: tuple[RecordFate, ...] = (
    RecordFate.GAP, RecordFate.PROCESSED, RecordFate.PENDING, RecordFate.DELIVERED,
    RecordFate.ABORTED, RecordFate.DEAD_LETTERED, RecordFate.PROCESSED_TWICE, RecordFate.SKIPPED,
    RecordFate.LOST)
"""Least notable first: a cell of several records shows the most notable fate among them."""
_RANK: dict[int, int] = {ord(OUTSIDE): 0, **{ord(FATE_CODES[f]): i + 1 for i, f in enumerate(NOTABILITY)}}
_BY_NOTABILITY = tuple(FATE_CODES[f].encode() for f in reversed(NOTABILITY))

_PENDING, _DELIVERED, _PROCESSED, _TWICE, _SKIPPED, _LOST, _DLT, _ABORTED, _GAP = (
    ord(FATE_CODES[f]) for f in (RecordFate.PENDING, RecordFate.DELIVERED, RecordFate.PROCESSED,
                                 RecordFate.PROCESSED_TWICE, RecordFate.SKIPPED, RecordFate.LOST,
                                 RecordFate.DEAD_LETTERED, RecordFate.ABORTED, RecordFate.GAP))

MAX_CELLS = 1024
"""Cells per partition a view carries at most (the UI scrolls inside them, and asks again beyond)."""
MAX_PARTITIONS = 64
"""Partitions a view carries (the first ones by number; :attr:`LaneView.partitions_total` counts all)."""
MAX_TRACKED = 4_000_000
"""Offsets per partition and group the builder remembers (older ones are forgotten beyond it)."""
REFRESH_S = 0.5
"""The keeper rebuilds a live lane at most this often (a new request is served at once)."""

_FINAL_FATES: Mapping[str, int] = {
    AnomalyKind.LOST: _LOST, AnomalyKind.SKIPPED: _SKIPPED, AnomalyKind.SKIPPED_BY_POLICY: _SKIPPED,
    AnomalyKind.REJECTED: _SKIPPED, AnomalyKind.ARCHIVED: _SKIPPED,
    AnomalyKind.DEAD_LETTERED: _DLT, AnomalyKind.PROCESSED_TWICE: _TWICE,
    AnomalyKind.ABORTED_VISIBLE: _ABORTED,
}
"""Verdict findings that set a record's final fate (the most notable one wins)."""


FATE_GLYPHS: Mapping[RecordFate, str] = {
    RecordFate.PENDING: "·", RecordFate.DELIVERED: "○", RecordFate.PROCESSED: "●",
    RecordFate.PROCESSED_TWICE: "◉", RecordFate.SKIPPED: "»", RecordFate.LOST: "✗",
    RecordFate.DEAD_LETTERED: "†", RecordFate.ABORTED: "⊘", RecordFate.GAP: "-",
}
"""One distinct glyph per fate, for every drawing of a lane (the TUI, the HTML report): a lane
reads without colour."""
FATE_WORDS: Mapping[RecordFate, str] = {
    RecordFate.PENDING: "not yet consumed", RecordFate.DELIVERED: "delivered",
    RecordFate.PROCESSED: "processed", RecordFate.PROCESSED_TWICE: "processed twice",
    RecordFate.SKIPPED: "skipped", RecordFate.LOST: "lost", RecordFate.DEAD_LETTERED: "dead-lettered",
    RecordFate.ABORTED: "aborted", RecordFate.GAP: "no record",
}
LEGEND_ORDER: tuple[RecordFate, ...] = (
    RecordFate.PROCESSED, RecordFate.DELIVERED, RecordFate.PENDING, RecordFate.PROCESSED_TWICE,
    RecordFate.SKIPPED, RecordFate.LOST, RecordFate.DEAD_LETTERED, RecordFate.ABORTED, RecordFate.GAP)
"""The order a legend lists the fates in."""


def fate_of(code: str) -> RecordFate | None:
    """The fate a cell character stands for (None: outside the log)."""
    return _FATES.get(code)


# ---- the command and the views ----------------------------------------------------------------------


@dataclass(frozen=True)
class WatchLane(Command):
    """Keep the record lane of ``topic`` in the snapshot (:attr:`Snapshot.lane`), rebuilt about twice
    a second on the engine's lane thread; ``topic=None`` stops it. Resolves at once with None."""

    target: ClassVar[str] = "engine"
    topic: str | None
    group: str | None = None
    """Whose fates the cells show; None: the first group (by name) that reads the topic."""
    final: bool | None = None
    """True: the last verdict's fates; False: live from the consumption log; None: final once a
    verdict audited the topic, live before."""
    per_cell: int = 0
    """Records per cell (the zoom); 0: fit the whole lane into ``width`` cells."""
    origin: int | None = None
    """Offset of the first cell; None: the lowest offset of the lane."""
    width: int = 100
    """Cells the UI shows (the fit zoom uses it; a view carries up to three widths of cells)."""


@dataclass(frozen=True, slots=True)
class LanePartition(JsonView):
    """One partition's row: ``cells`` from :attr:`LaneView.origin` on, ``per_cell`` offsets each."""

    partition: int
    cells: str
    """One character per cell (:data:`FATE_CODES`, or :data:`OUTSIDE`)."""
    log_start: int | None = None
    high_watermark: int | None = None
    last_stable: int | None = None
    """Below the first open transaction (None: unknown, or equal to the high watermark)."""
    committed: tuple[tuple[str, int], ...] = ()
    """(group, committed offset: the next record it reads)."""
    positions: tuple[tuple[str, int], ...] = ()
    """(member, position: the next offset it fetches)."""
    counts: tuple[tuple[str, int], ...] = ()
    """(fate, offsets) over the whole partition (not only the window), most notable first."""
    msg_ids: tuple[str | None, ...] = ()
    """The record id of each cell when a cell is one record (``per_cell == 1``), else empty."""
    first: int | None = None
    """Lowest offset of this partition's lane (None: nothing known yet)."""
    end: int | None = None
    """Offset after this partition's lane (its high watermark or last known record)."""

    def fate(self, cell: int) -> RecordFate | None:
        """The fate cell ``cell`` shows (None: outside the log, or past the window)."""
        return fate_of(self.cells[cell]) if 0 <= cell < len(self.cells) else None

    def msg_id(self, cell: int) -> str | None:
        return self.msg_ids[cell] if 0 <= cell < len(self.msg_ids) else None


@dataclass(frozen=True, slots=True)
class LaneView(JsonView):
    """The record lane of one topic: every partition on one offset axis (the same column is the same
    offset in every row)."""

    topic: str
    group: str | None
    """Whose fates the cells show (None: no group reads the topic yet)."""
    final: bool
    """From the last verdict (True) or live from the consumption log."""
    per_cell: int
    """Offsets per cell (the zoom level)."""
    origin: int
    """Offset of the first cell."""
    end: int
    """Offset after the lane's last cell over every partition (one past the highest marker)."""
    partitions: tuple[LanePartition, ...]
    groups: tuple[str, ...] = ()
    """Groups with fates or committed offsets on the topic."""
    members: tuple[str, ...] = ()
    """Members with a position marker, in marker order (the UI numbers them 1, 2, ...)."""
    partitions_total: int = 0
    """Partitions of the topic (the view carries at most :data:`MAX_PARTITIONS`)."""

    @property
    def cell_count(self) -> int:
        """Cells each partition row carries (the window)."""
        return max((len(p.cells) for p in self.partitions), default=0)

    def cell_of(self, offset: int) -> int:
        """The cell that shows ``offset`` (may be outside the window)."""
        return (offset - self.origin) // self.per_cell

    def offsets_of(self, cell: int) -> tuple[int, int]:
        """(first offset, offset after the last) that cell ``cell`` stands for."""
        first = self.origin + cell * self.per_cell
        return first, first + self.per_cell

    def partition(self, number: int) -> LanePartition | None:
        return next((p for p in self.partitions if p.partition == number), None)

    def fate_counts(self) -> dict[RecordFate, int]:
        """Offsets per fate over every partition carried."""
        out: dict[RecordFate, int] = {}
        for part in self.partitions:
            for name, n in part.counts:
                fate = RecordFate(name)
                out[fate] = out.get(fate, 0) + n
        return out


# ---- per-offset fate rows (one byte per offset) --------------------------------------------------------


class _Row:
    """Fate codes of one partition from ``base`` on (and, optionally, the record id per offset)."""

    __slots__ = ("base", "codes", "fill", "ids")

    def __init__(self, fill: int, ids: bool = False) -> None:
        self.base: int | None = None
        self.codes = bytearray()
        self.fill = fill
        self.ids: list[str | None] | None = [] if ids else None

    def copy(self) -> _Row:
        row = _Row(self.fill, ids=False)
        row.base, row.codes = self.base, bytearray(self.codes)
        return row

    @property
    def end(self) -> int | None:
        return None if self.base is None else self.base + len(self.codes)

    def index(self, offset: int) -> int:
        """The index of ``offset``, growing the row to hold it; -1 when it is too far behind."""
        if self.base is None:
            self.base = offset
        if offset < self.base:
            grow = self.base - offset
            if len(self.codes) + grow > MAX_TRACKED:
                return -1
            self.codes[:0] = bytes([self.fill]) * grow
            if self.ids is not None:
                self.ids[:0] = [None] * grow
            self.base = offset
        i = offset - self.base
        if i >= len(self.codes):
            grow = i + 1 - len(self.codes)
            self.codes.extend(bytes([self.fill]) * grow)
            if self.ids is not None:
                self.ids.extend([None] * grow)
            over = len(self.codes) - MAX_TRACKED
            if over > 0:  # remember the newest offsets only
                del self.codes[:over]
                if self.ids is not None:
                    del self.ids[:over]
                self.base += over
                i -= over
        return i

    def raise_to(self, offset: int, code: int) -> None:
        """Set ``offset``'s fate to ``code`` unless it already shows a more notable one."""
        i = self.index(offset)
        if i >= 0 and _RANK[self.codes[i]] < _RANK[code]:
            self.codes[i] = code


class LiveLane:
    """Fates of one topic's records per group, fed with the consumption log a slice at a time.

    ``seed`` (final lanes) gives each partition's starting row: which offsets hold a record (the
    final re-read), everything else a gap; a group's row starts as a copy of it."""

    def __init__(self, topic: str, seed: Mapping[int, _Row] | None = None) -> None:
        self.topic = topic
        self.seen = 0
        """Events of the log already read (the next feed starts there)."""
        self.rows: dict[str, dict[int, _Row]] = {}
        self.ids: dict[int, _Row] = dict(seed or {})
        self.commits: dict[tuple[str, int], int] = {}
        """(group, partition) -> the last committed offset a member's commit succeeded with."""
        self._seed = seed or {}

    def _row(self, group: str, partition: int) -> _Row:
        rows = self.rows.setdefault(group, {})
        row = rows.get(partition)
        if row is None:
            seed = self._seed.get(partition)
            row = rows[partition] = seed.copy() if seed is not None else _Row(_PENDING)
        return row

    def feed(self, events: Sequence[ConsumerEvent]) -> None:
        """Read the events after :attr:`seen` (``events`` is the whole log so far, in order)."""
        topic, kinds = self.topic, _FED
        for ev in events[self.seen:]:
            if ev.topic != topic:
                continue
            if ev.kind is ConsumerEventKind.COMMIT_RESULT:
                if ev.ok:
                    self.commits.update(((ev.group, p), o) for p, o in ev.offsets)
            elif ev.kind in kinds and ev.partition is not None and ev.offset is not None:
                self._apply(ev, ev.partition, ev.offset)
        self.seen = len(events)

    def _apply(self, ev: ConsumerEvent, partition: int, offset: int) -> None:
        row = self._row(ev.group, partition)
        i = row.index(offset)
        if i < 0:
            return
        code = row.codes[i]
        kind = ev.kind
        if kind is ConsumerEventKind.DELIVER or kind is ConsumerEventKind.ACQUIRED:
            if code in (_PENDING, _GAP):
                row.codes[i] = _DELIVERED
            self._note_id(partition, offset, ev.msg_id)
        elif kind is ConsumerEventKind.PROCESSED:
            if code == _PROCESSED:
                row.codes[i] = _TWICE
            elif code in (_PENDING, _GAP, _DELIVERED):
                row.codes[i] = _PROCESSED
            self._note_id(partition, offset, ev.msg_id)
        elif kind is ConsumerEventKind.POLICY:
            if ev.action == PolicyAction.SKIP:
                row.codes[i] = _SKIPPED
            elif ev.action == PolicyAction.DEAD_LETTER:
                row.codes[i] = _DLT
        elif kind is ConsumerEventKind.ACK and ev.action == AckType.REJECT:
            row.codes[i] = _SKIPPED

    def _note_id(self, partition: int, offset: int, msg_id: str | None) -> None:
        if msg_id is None:
            return
        row = self.ids.get(partition)
        if row is None:
            row = self.ids[partition] = _Row(_PENDING, ids=True)
        i = row.index(offset)
        if i >= 0 and row.ids is not None and row.ids[i] is None:
            row.ids[i] = msg_id

    def groups(self) -> tuple[str, ...]:
        return tuple(sorted(self.rows))


_FED = frozenset({ConsumerEventKind.DELIVER, ConsumerEventKind.PROCESSED, ConsumerEventKind.POLICY,
                  ConsumerEventKind.ACQUIRED, ConsumerEventKind.ACK})


# ---- assembling a view ---------------------------------------------------------------------------------


@dataclass
class _Part:
    """What one partition's row is made of, before it is cut into cells."""

    partition: int
    row: _Row | None
    ids: _Row | None
    fill: int
    """The fate of offsets inside the log that the row does not cover."""
    low: int | None = None
    high: int | None = None
    lso: int | None = None
    committed: tuple[tuple[str, int], ...] = ()
    positions: tuple[tuple[str, int], ...] = ()

    def span(self) -> tuple[int, int] | None:
        """(first offset, offset after the last marker) of this partition, None when nothing is known."""
        starts = [x for x in (self.low, self.row.base if self.row else None) if x is not None]
        ends = [x for x in (self.high, self.row.end if self.row else None) if x is not None]
        ends += [o for _, o in self.committed] + [o for _, o in self.positions]
        if not starts and not ends:
            return None
        first = min(starts) if starts else min(ends)
        return first, max([first, *ends])

    def segments(self) -> list[tuple[int, int, int | bytes | bytearray]]:
        """The row as (start, end, constant code or codes) pieces, sorted, not overlapping."""
        out: list[tuple[int, int, int | bytes | bytearray]] = []
        row = self.row if self.row is not None and self.row.base is not None else None
        in_low = self.low if self.low is not None else (row.base if row else None)
        in_high = self.high if self.high is not None else (row.end if row else None)
        if row is None or row.base is None:
            if in_low is not None and in_high is not None and in_high > in_low:
                out.append((in_low, in_high, self.fill))
            return out
        base, end = row.base, row.base + len(row.codes)
        if in_low is not None and in_high is not None and in_low < base:
            out.append((in_low, min(base, in_high), self.fill))
        out.append((base, end, row.codes))
        if in_low is not None and in_high is not None and in_high > end:
            out.append((max(end, in_low), in_high, self.fill))
        return out

    def counts(self) -> tuple[tuple[str, int], ...]:
        tally: dict[int, int] = {}
        for start, end, data in self.segments():
            if isinstance(data, int):
                tally[data] = tally.get(data, 0) + (end - start)
            else:
                for code in _BY_NOTABILITY:
                    n = data.count(code)
                    if n:
                        tally[code[0]] = tally.get(code[0], 0) + n
        order = [ord(FATE_CODES[f]) for f in reversed(NOTABILITY)]
        return tuple((_FATES[chr(c)].value, tally[c]) for c in order if tally.get(c))


def _cells(segments: Sequence[tuple[int, int, int | bytes | bytearray]], origin: int, per_cell: int,
           n: int) -> str:
    """``n`` cells of ``per_cell`` offsets from ``origin``: the most notable fate in each."""
    out = bytearray(OUTSIDE.encode() * n)
    for start, end, data in segments:
        first = max(0, (start - origin) // per_cell)
        last = min(n, -(-(end - origin) // per_cell))
        for i in range(first, last):
            a = max(start, origin + i * per_cell)
            b = min(end, origin + (i + 1) * per_cell)
            if a >= b:
                continue
            if isinstance(data, int):
                code = data
            elif per_cell == 1:
                code = data[a - start]
            else:
                code = next(c[0] for c in _BY_NOTABILITY + (b" ",)
                            if c == b" " or data.find(c, a - start, b - start) >= 0)
            if _RANK.get(code, 0) > _RANK[out[i]]:
                out[i] = code
    return out.decode("ascii")


def _ids(part: _Part, origin: int, n: int) -> tuple[str | None, ...]:
    row = part.ids
    if row is None or row.base is None or row.ids is None:
        return (None,) * n
    ids, base = row.ids, row.base
    return tuple(ids[o - base] if 0 <= o - base < len(ids) else None
                 for o in range(origin, origin + n))


def assemble(topic: str, group: str | None, final: bool, parts: Iterable[_Part], *, per_cell: int = 0,
             origin: int | None = None, width: int = 100, groups: tuple[str, ...] = (),
             total: int | None = None) -> LaneView:
    """Cut each partition's row into cells on one offset axis (the zoom and the window)."""
    chosen = sorted(parts, key=lambda p: p.partition)
    total = len(chosen) if total is None else total
    chosen = chosen[:MAX_PARTITIONS]
    spans = [s for p in chosen if (s := p.span()) is not None]
    low = min((s[0] for s in spans), default=0)
    end = max((s[1] for s in spans), default=low) + 1  # one cell past the last: the end marker
    width = max(1, width)
    pc = per_cell if per_cell > 0 else max(1, -(-(end - low) // width))
    start = low if origin is None else max(low, min(origin, end - 1))
    n = max(1, min(MAX_CELLS, 3 * width, -(-(end - start) // pc)))
    members = sorted({m for p in chosen for m, _ in p.positions})
    rows = tuple(
        LanePartition(
            partition=p.partition, cells=_cells(p.segments(), start, pc, n), log_start=p.low,
            high_watermark=p.high, last_stable=p.lso, committed=p.committed, positions=p.positions,
            counts=p.counts(), msg_ids=_ids(p, start, n) if pc == 1 else (),
            first=span[0] if (span := p.span()) else None, end=span[1] if span else None)
        for p in chosen)
    return LaneView(topic=topic, group=group, final=final, per_cell=pc, origin=start, end=end,
                    partitions=rows, groups=groups, members=tuple(members), partitions_total=total)


def _pick(group: str | None, groups: Sequence[str]) -> str | None:
    if group is not None and group in groups:
        return group
    return groups[0] if groups else group


def _valid(offset: int | None) -> int | None:
    return offset if offset is not None and offset >= 0 else None


def live_lane(lane: LiveLane, cluster: ClusterView | None, consumers: ConsumersView | None, *,
              group: str | None = None, per_cell: int = 0, origin: int | None = None,
              width: int = 100) -> LaneView:
    """The live lane: fates read so far, markers from the watcher and the members."""
    topic = lane.topic
    parts: dict[int, _Part] = {}

    def part(number: int) -> _Part:
        return parts.setdefault(number, _Part(number, None, lane.ids.get(number), _PENDING))

    topic_view = cluster.topic(topic) if cluster is not None else None
    if topic_view is not None:
        for pv in topic_view.partitions:
            p = part(pv.partition)
            if pv.offsets_valid:
                p.low, p.high = pv.log_start, pv.high_watermark
                lso = _valid(pv.last_stable)
                p.lso = lso if lso is not None and lso != pv.high_watermark else None
    committed: dict[int, dict[str, int]] = {}
    if cluster is not None:
        for g in cluster.groups:
            for gp in g.partitions:
                if gp.topic == topic and (off := _valid(gp.committed)) is not None:
                    committed.setdefault(gp.partition, {})[g.group_id] = off
    positions: dict[int, dict[str, int]] = {}
    for m in consumers.members if consumers is not None else ():
        for mp in m.partitions:
            if mp.topic != topic:
                continue
            if (off := _valid(mp.committed)) is not None:
                committed.setdefault(mp.partition, {}).setdefault(m.group, off)
            if m.active and (off := _valid(mp.position)) is not None:
                positions.setdefault(mp.partition, {})[m.name] = off
    for (group_id, number), off in lane.commits.items():  # members' own commits, before the watcher
        committed.setdefault(number, {}).setdefault(group_id, off)
    for number in set(committed) | set(positions):
        p = part(number)
        p.committed = tuple(sorted(committed.get(number, {}).items()))
        p.positions = tuple(sorted(positions.get(number, {}).items()))
    groups = tuple(sorted(set(lane.rows) | {g for c in committed.values() for g in c}))
    chosen = _pick(group, lane.groups() or groups)
    for number, row in (lane.rows.get(chosen, {}) if chosen else {}).items():
        part(number).row = row
    total = len(topic_view.partitions) if topic_view is not None else None
    return assemble(topic, chosen, False, parts.values(), per_cell=per_cell, origin=origin,
                    width=width, groups=groups, total=total)


def audits(history: History | None, topic: str) -> bool:
    """Whether ``history``'s final re-read covered ``topic`` (then a final lane can be drawn)."""
    return (history is not None and history.audit is not None
            and any(p.topic == topic for p in history.audit.partitions))


def final_lane(history: History, verdict: Verdict | None, topic: str, *, group: str | None = None,
               consumers: ConsumersView | None = None, per_cell: int = 0,
               origin: int | None = None, width: int = 100) -> LaneView | None:
    """The lane after the verdict: the final re-read's records, what the group did with each, and
    the verdict's findings laid over them. None when the history did not re-read ``topic``."""
    if not audits(history, topic) or history.audit is None:
        return None
    audited = [p for p in history.audit.partitions if p.topic == topic]
    seed: dict[int, _Row] = {}
    for ap in audited:
        row = _Row(_GAP, ids=True)
        if ap.high > ap.low:
            row.index(ap.low)
            row.index(ap.high - 1)
        hidden = ap.committed_visible
        for off, mid in ap.records:
            i = row.index(off)
            if i < 0:
                continue
            aborted = hidden is not None and off not in hidden
            row.codes[i] = _ABORTED if aborted else _PENDING
            if row.ids is not None:
                row.ids[i] = mid
        seed[ap.partition] = row
    lane = LiveLane(topic, seed)
    lane.feed(history.consumption)
    groups = tuple(sorted(set(lane.rows) | {c.group for c in history.final_commits if c.topic == topic}))
    chosen = _pick(group, lane.groups() or groups)
    rows = lane.rows.get(chosen, {}) if chosen else {}
    _overlay(rows, seed, verdict, topic, chosen)
    committed: dict[int, list[tuple[str, int]]] = {}
    for c in history.final_commits:
        if c.topic == topic and (at := _valid(c.offset)) is not None:
            committed.setdefault(c.partition, []).append((c.group, at))
    positions: dict[int, list[tuple[str, int]]] = {}
    for m in consumers.members if consumers is not None else ():
        for mp in m.partitions:
            if mp.topic == topic and (pos := _valid(mp.position)) is not None and m.active:
                positions.setdefault(mp.partition, []).append((m.name, pos))
    parts = []
    for ap in audited:
        lso = _valid(ap.lso)
        parts.append(_Part(ap.partition, rows.get(ap.partition) or seed[ap.partition].copy(),
                           seed[ap.partition], _GAP, ap.low, ap.high,
                           lso if lso != ap.high else None,
                           tuple(sorted(committed.get(ap.partition, ()))),
                           tuple(sorted(positions.get(ap.partition, ())))))
    return assemble(topic, chosen, True, parts, per_cell=per_cell, origin=origin, width=width,
                    groups=groups)


def _overlay(rows: dict[int, _Row], seed: Mapping[int, _Row], verdict: Verdict | None, topic: str,
             group: str | None) -> None:
    """Lay the verdict's findings on ``group``'s rows (producer-side findings count for every group)."""
    for a in verdict.anomalies if verdict is not None else ():
        code = _FINAL_FATES.get(a.kind)
        if code is None or a.topic != topic or a.partition is None or a.partition not in seed:
            continue
        if a.group is not None and a.group != group:
            continue
        row = rows.get(a.partition)
        if row is None:
            row = rows[a.partition] = seed[a.partition].copy()
        for offset in a.offsets:
            row.raise_to(offset, code)


# ---- the keeper: builds the watched lane on its own thread ---------------------------------------------


class LaneKeeper:
    """Builds the lane of the watched topic about twice a second (a new request at once), so neither
    the UI nor the engine's command thread pays for it. Started on the first :class:`WatchLane`."""

    def __init__(self, ctx: EngineContext, history: Callable[[], Sequence[ConsumerEvent]],
                 consumers: Callable[[], ConsumersView], cluster: Callable[[], ClusterView | None],
                 judged: Callable[[], tuple[History | None, Verdict | None]]) -> None:
        self._ctx = ctx
        self._history = history
        self._consumers = consumers
        self._cluster = cluster
        self._judged = judged
        self._request: WatchLane | None = None
        self._view: LaneView | None = None
        self._live: LiveLane | None = None
        self._final_key: tuple[object, ...] | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, cmd: WatchLane) -> None:
        with self._lock:
            self._request = cmd if cmd.topic else None
            if self._thread is None and cmd.topic and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="engine-lanes", daemon=True)
                self._thread.start()
        self._wake.set()

    def wake(self) -> None:
        """Rebuild now (a verdict arrived)."""
        self._wake.set()

    def view(self) -> LaneView | None:
        return self._view

    def close(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(REFRESH_S)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                view = self.build(self._request)
            except Exception:  # a bad build must not end the thread: the next one may do
                LOG.exception("building the record lane failed")
                continue
            if view != self._view:
                self._view = view
                self._ctx.bump()
            self._stop.wait(0.05)  # a burst of requests (scrolling) is served at ~20/s at most

    def build(self, cmd: WatchLane | None) -> LaneView | None:
        """The lane ``cmd`` asks for, now (on the calling thread)."""
        if cmd is None or cmd.topic is None:
            self._live = None
            return None
        topic = cmd.topic
        history, verdict = self._judged()
        if cmd.final is True or (cmd.final is None and audits(history, topic)):
            if history is None or not audits(history, topic):
                return None
            key = (cmd, id(history), id(verdict))
            if key == self._final_key and self._view is not None and self._view.final:
                return self._view
            self._final_key = key
            return final_lane(history, verdict, topic, group=cmd.group, consumers=self._consumers(),
                              per_cell=cmd.per_cell, origin=cmd.origin, width=cmd.width)
        if self._live is None or self._live.topic != topic:
            self._live = LiveLane(topic)
        self._live.feed(self._history())
        return live_lane(self._live, self._cluster(), self._consumers(), group=cmd.group,
                         per_cell=cmd.per_cell, origin=cmd.origin, width=cmd.width)
