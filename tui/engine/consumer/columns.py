"""A consume() batch's columns as a member reports them: partitions, offsets, values, raw msg_ids
and sampled timestamps, read in one pass.

Per record this is most of what a member adds to consuming it, so it runs in C (``_columns.c``,
built by ``make install``; :data:`COLUMNS_COMPILED` says whether it loaded) and falls back to the same rules
in Python when the module is not built. Both give the same columns (tests hold them to it).
"""

from __future__ import annotations

import importlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from types import ModuleType

from confluent_kafka import Message

from tui.engine.record_format import ids_from_headers, raw_msg_ids_of

_TIMESTAMP_MS = itemgetter(1)
"""Message.timestamp() is (type, milliseconds)."""


@dataclass(frozen=True, slots=True)
class Columns:
    partitions: array[int]
    offsets: array[int]
    values: list[bytes | None]
    ids: list[bytes | None]
    """Raw msg_ids (:func:`~tui.engine.record_format.raw_msg_id_of`): from the value, else the header."""
    stamps: bytes
    """Every ``stride``-th record's timestamp (ms) as packed int64."""


def _load() -> ModuleType | None:
    try:
        module = importlib.import_module("tui.engine.consumer._columns")
    except ImportError:
        return None
    module.bind(Message.partition, Message.offset, Message.value, Message.timestamp)
    return module


_C = _load()
COLUMNS_COMPILED = _C is not None


def of_python(records: list[Message], stride: int) -> Columns:
    """The Python rules (also the reference the compiled ones are tested against)."""
    values = list(map(Message.value, records))
    sampled = records if stride == 1 else records[::stride]
    return Columns(array("i", map(Message.partition, records)),  # type: ignore[arg-type]
                   array("q", map(Message.offset, records)),  # type: ignore[arg-type]
                   values, raw_msg_ids_of(values, lambda i: records[i].headers()),
                   array("q", map(_TIMESTAMP_MS, map(Message.timestamp, sampled))).tobytes())


def of_compiled(records: list[Message], stride: int) -> Columns:
    """The C pass; a record whose value has no id gets the ``kx-id`` header's, as in Python."""
    assert _C is not None
    raw_parts, raw_offsets, values, ids, stamps = _C.columns(records, stride)
    parts, offsets = array("i"), array("q")
    parts.frombytes(raw_parts)
    offsets.frombytes(raw_offsets)
    return Columns(parts, offsets, values, ids_from_headers(ids, lambda i: records[i].headers()),
                   stamps)


of: Callable[[list[Message], int], Columns] = of_compiled if COLUMNS_COMPILED else of_python
"""The batch's columns (``records``: consumed records, no errors; every ``stride``-th timestamp)."""
