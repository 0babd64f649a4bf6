"""The member process's event stream to its parent: length-prefixed ``marshal`` frames on stdout.

Why not JSON lines: a member reports every delivery and every processed record, and one JSON object
per record cost more than consuming the record. Here a whole batch is one frame with its columns
packed (partitions and offsets as machine arrays, msg_ids as one tuple), and a run of PROCESSED is a
reference into that batch plus one timestamp per record. Both ends are the same interpreter
(``sys.executable``), which is what ``marshal`` needs; it only ever decodes plain data.

Frames (each ``<u32 length><marshal payload>``):

* an event: a dict ``{"k": kind, "ts": seconds, ...fields}`` (assign, commit-req, crash, ...);
* ``("D", ts, batch, topics, topic_index, partitions, offsets, msg_ids, previews, create_ms, stride,
  highs)``:
  batch number ``batch`` was delivered at ``ts``; ``topic_index`` is None when every record has
  ``topics[0]``;
  ``msg_ids`` (still UTF-8 bytes, :func:`tui.engine.record_format.raw_msg_id_of`) is itself a
  marshal blob, which the parent keeps as it is until someone reads the log (the verdict, mostly): a
  batch costs the parent no object per record; ``previews`` holds (index, raw msg_id, key, value) --
  bytes capped at 256 -- for the last records only; ``create_ms`` every ``stride``-th record's timestamp
  (CreateTime, ms; packed int64, empty when not sent) for end-to-end latency; ``highs`` (topic, partition, high
  watermark) of the batch's partitions as the fetch that brought them left librdkafka's cache, so the
  parent's position (after the batch) and high watermark come from one moment;
* ``("P", batch, start, count, stamps)``: records ``start .. start + count - 1`` of ``batch`` were
  processed, at these times (packed doubles), or all at one time (a float: a batch whose records
  need no work of their own is processed in one go).
"""

from __future__ import annotations

import marshal
import struct
import threading
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from tui.engine.record_format import decode_msg_id

HEADER = struct.Struct("<I")
PREVIEW = 256
"""Key/value bytes sent to the parent for the recent-deliveries tail."""
_DELIVERED = "D"
_PROCESSED = "P"


class _IdBlob:
    """A batch's msg_ids as the member sent them; unmarshalled once, on first read."""

    __slots__ = ("_blob", "_ids", "_lock")

    def __init__(self, blob: bytes) -> None:
        self._blob = blob
        self._ids: tuple[str | None, ...] | None = None
        self._lock = threading.Lock()

    def ids(self) -> tuple[str | None, ...]:
        with self._lock:
            if self._ids is None:
                self._ids = tuple(map(decode_msg_id, marshal.loads(self._blob)))
                self._blob = b""
            return self._ids


class MsgIds(Sequence[str | None]):
    """Records ``start .. stop - 1`` of a batch's msg_ids, decoded when first read."""

    __slots__ = ("_source", "_start", "_stop")

    def __init__(self, source: _IdBlob, start: int, stop: int) -> None:
        self._source, self._start, self._stop = source, start, stop

    @classmethod
    def of(cls, raw_ids: Sequence[bytes | None]) -> MsgIds:
        return cls(_IdBlob(marshal.dumps(list(raw_ids), _VERSION)), 0, len(raw_ids))

    def __len__(self) -> int:
        return self._stop - self._start

    @overload
    def __getitem__(self, index: int) -> str | None: ...

    @overload
    def __getitem__(self, index: slice) -> MsgIds: ...

    def __getitem__(self, index: int | slice) -> str | None | MsgIds:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError("MsgIds slices have no step")
            return MsgIds(self._source, self._start + start, self._start + max(start, stop))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._source.ids()[self._start + index]

    def __iter__(self) -> Iterator[str | None]:
        return iter(self._source.ids()[self._start:self._stop])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Delivered:
    """One consume() batch as the parent decodes it."""

    ts: float
    batch: int
    topics: list[str]
    partitions: array[int]
    offsets: array[int]
    msg_ids: MsgIds
    previews: dict[int, tuple[str | None, bytes | None, bytes | None]]
    """Index in the batch -> (msg_id, key, value), for the last records of the batch only."""
    create_ms: array[int] | None = None
    """Every :attr:`stride`-th record's timestamp (ms), when the member sent them."""
    stride: int = 1
    highs: tuple[tuple[str, int, int], ...] = ()
    """(topic, partition, high watermark) of the batch's partitions, when known."""


@dataclass(frozen=True, slots=True)
class Processed:
    """Records ``start .. start + count - 1`` of batch ``batch`` were processed."""

    batch: int
    start: int
    count: int
    stamps: float | list[float]
    """When each was processed, or one time for all of them."""


Frame = dict[str, Any] | Delivered | Processed


_VERSION = 2
"""marshal format 2: no back-references, so writing does not track every object it has seen."""


def _framed(obj: Any) -> bytes:
    data = marshal.dumps(obj, _VERSION)
    return HEADER.pack(len(data)) + data


def encode_event(event: dict[str, Any]) -> bytes:
    """A plain event; values marshal cannot write (none are expected) are sent as their str()."""
    try:
        return _framed(event)
    except ValueError:
        return _framed({k: v if _plain(v) else str(v) for k, v in event.items()})


def _plain(value: Any) -> bool:
    try:
        marshal.dumps(value)
        return True
    except ValueError:
        return False


def encode_delivered(ts: float, batch: int, topics: Sequence[str], partitions: Sequence[int],
                     offsets: Sequence[int], msg_ids: Sequence[bytes | None],
                     previews: Sequence[tuple[int, bytes | None, bytes | None]],
                     create_ms: bytes = b"", highs: tuple[tuple[str, int, int], ...] = (),
                     stride: int = 1) -> bytes:
    """``msg_ids`` raw (:func:`~tui.engine.record_format.raw_msg_id_of`); ``previews``: (index in the
    batch, key, value) of the last records; ``create_ms``: the records' timestamps as packed int64
    (``array("q", ...).tobytes()``) of every ``stride``-th record; ``highs``: (topic, partition, high
    watermark)."""
    if topics and topics.count(topics[0]) == len(topics):  # one topic (one str object: quick)
        names: tuple[str, ...] = (topics[0],)
    else:
        names = tuple(dict.fromkeys(topics))
    index = None
    if len(names) > 1:
        where = {name: i for i, name in enumerate(names)}
        index = array("H", [where[t] for t in topics]).tobytes()
    return _framed((_DELIVERED, ts, batch, names, index, _packed("i", partitions),
                    _packed("q", offsets), marshal.dumps(list(msg_ids), _VERSION),
                    tuple((i, msg_ids[i], _cap(k), _cap(v)) for i, k, v in previews), create_ms,
                    stride, highs))


def encode_processed(batch: int, start: int, stamps: Sequence[float] | float,
                     count: int | None = None) -> bytes:
    """``stamps``: one time per record, or one float for ``count`` records."""
    if isinstance(stamps, float):
        if count is None:
            raise ValueError("one time for all records needs their count")
        return _framed((_PROCESSED, batch, start, count, stamps))
    return _framed((_PROCESSED, batch, start, len(stamps), array("d", stamps).tobytes()))


def _packed(typecode: str, column: Sequence[int]) -> bytes:
    """A column as machine values (an array of that type already is: no copy element by element)."""
    if isinstance(column, array) and column.typecode == typecode:
        return column.tobytes()
    return array(typecode, column).tobytes()


def _cap(data: bytes | None) -> bytes | None:
    return None if data is None else bytes(data[:PREVIEW])


def _decode(obj: Any) -> Frame | None:
    if isinstance(obj, dict):
        return obj
    if isinstance(obj, tuple) and obj and obj[0] == _DELIVERED:
        _, ts, batch, names, index, parts, offs, ids, previews, stamps, stride, highs = obj
        partitions = array("i")
        partitions.frombytes(parts)
        offsets = array("q")
        offsets.frombytes(offs)
        if index is None:
            topics = [names[0]] * len(offsets) if names else []
        else:
            which = array("H")
            which.frombytes(index)
            topics = [names[i] for i in which]
        create_ms = None
        if stamps:
            create_ms = array("q")
            create_ms.frombytes(stamps)
        return Delivered(float(ts), int(batch), topics, partitions, offsets,
                         MsgIds(_IdBlob(ids), 0, len(offsets)),
                         {int(i): (decode_msg_id(mid), k, v) for i, mid, k, v in previews},
                         create_ms, int(stride), tuple((str(t), int(p), int(h)) for t, p, h in highs))
    if isinstance(obj, tuple) and obj and obj[0] == _PROCESSED:
        _, batch, start, count, raw = obj
        if isinstance(raw, float):
            return Processed(int(batch), int(start), int(count), raw)
        stamps = array("d")
        stamps.frombytes(raw)
        return Processed(int(batch), int(start), int(count), stamps.tolist())
    return None


class FrameReader:
    """Cuts a byte stream into frames; ``feed`` returns the frames completed by a chunk."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.bad = 0
        """Frames that could not be decoded (skipped)."""

    def feed(self, chunk: bytes | memoryview) -> list[Frame]:
        buf = self._buf
        buf += chunk
        out: list[Frame] = []
        pos, end = 0, len(buf)
        size = HEADER.size
        with memoryview(buf) as view:
            while end - pos >= size:
                (length,) = HEADER.unpack_from(buf, pos)
                stop = pos + size + length
                if stop > end:
                    break
                try:
                    frame = _decode(marshal.loads(view[pos + size:stop]))
                except (ValueError, EOFError, TypeError):
                    frame = None
                if frame is None:
                    self.bad += 1
                else:
                    out.append(frame)
                pos = stop
        del buf[:pos]
        return out

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame (what a process left when it died mid-write)."""
        return len(self._buf)
