"""The member process's event stream to its parent: length-prefixed ``marshal`` frames on stdout.

Why not JSON lines: a member reports every delivery and every processed record, and one JSON object
per record cost more than consuming the record. Here a whole batch is one frame with its columns
packed (partitions and offsets as machine arrays, msg_ids as one tuple), and a run of PROCESSED is a
reference into that batch plus one timestamp per record. Both ends are the same interpreter
(``sys.executable``), which is what ``marshal`` needs; it only ever decodes plain data.

Frames (each ``<u32 length><marshal payload>``):

* an event: a dict ``{"k": kind, "ts": seconds, ...fields}`` (assign, commit-req, crash, ...);
* ``("D", ts, batch, topics, topic_index, partitions, offsets, msg_ids, previews)``: batch number
  ``batch`` was delivered at ``ts``; ``topic_index`` is None when every record has ``topics[0]``;
  ``previews`` holds (index, key, value) -- bytes capped at 256 -- for the last records only;
* ``("P", batch, start, count, stamps)``: records ``start .. start + count - 1`` of ``batch`` were
  processed, at these times (packed doubles), or all at one time (a float: a batch whose records
  need no work of their own is processed in one go).
"""

from __future__ import annotations

import marshal
import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

HEADER = struct.Struct("<I")
PREVIEW = 256
"""Key/value bytes sent to the parent for the recent-deliveries tail."""
_DELIVERED = "D"
_PROCESSED = "P"


@dataclass(frozen=True, slots=True)
class Delivered:
    """One consume() batch as the parent decodes it."""

    ts: float
    batch: int
    topics: list[str]
    partitions: list[int]
    offsets: list[int]
    msg_ids: list[str | None]
    previews: dict[int, tuple[bytes | None, bytes | None]]
    """Index in the batch -> (key, value) previews, for the last records of the batch only."""


@dataclass(frozen=True, slots=True)
class Processed:
    """Records ``start .. start + count - 1`` of batch ``batch`` were processed."""

    batch: int
    start: int
    count: int
    stamps: float | list[float]
    """When each was processed, or one time for all of them."""


Frame = dict[str, Any] | Delivered | Processed


def _framed(obj: Any) -> bytes:
    data = marshal.dumps(obj)
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
                     offsets: Sequence[int], msg_ids: Sequence[str | None],
                     previews: Sequence[tuple[int, bytes | None, bytes | None]]) -> bytes:
    names = tuple(dict.fromkeys(topics))
    index = None
    if len(names) > 1:
        where = {name: i for i, name in enumerate(names)}
        index = array("H", [where[t] for t in topics]).tobytes()
    return _framed((_DELIVERED, ts, batch, names, index, array("i", partitions).tobytes(),
                    array("q", offsets).tobytes(), tuple(msg_ids),
                    tuple((i, _cap(k), _cap(v)) for i, k, v in previews)))


def encode_processed(batch: int, start: int, stamps: Sequence[float] | float,
                     count: int | None = None) -> bytes:
    """``stamps``: one time per record, or one float for ``count`` records."""
    if isinstance(stamps, float):
        if count is None:
            raise ValueError("one time for all records needs their count")
        return _framed((_PROCESSED, batch, start, count, stamps))
    return _framed((_PROCESSED, batch, start, len(stamps), array("d", stamps).tobytes()))


def _cap(data: bytes | None) -> bytes | None:
    return None if data is None else bytes(data[:PREVIEW])


def _decode(obj: Any) -> Frame | None:
    if isinstance(obj, dict):
        return obj
    if isinstance(obj, tuple) and obj and obj[0] == _DELIVERED:
        _, ts, batch, names, index, parts, offs, ids, previews = obj
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
        return Delivered(float(ts), int(batch), topics, partitions.tolist(), offsets.tolist(),
                         list(ids), {int(i): (k, v) for i, k, v in previews})
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

    def feed(self, chunk: bytes) -> list[Frame]:
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
