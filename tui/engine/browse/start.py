"""Where a read starts: ``beginning``, ``end``, an offset, ``@TIMESTAMP`` or ``-N`` (the last N).

Pure: parsing and, given a partition's watermarks (and the broker's offsets_for_times answer), the
first offset to read. ``@`` takes milliseconds since the epoch or an ISO-8601 time; a time without a
zone is local time, as Kafka's ``--to-datetime`` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui.vocab import StartKind

_ALIASES = {"beginning": StartKind.BEGINNING, "earliest": StartKind.BEGINNING,
            "end": StartKind.END, "latest": StartKind.END}


def parse_timestamp(text: str) -> int:
    """``1733040000000`` or ``2024-12-01T08:00:00Z`` -> milliseconds since the epoch."""
    raw = text.strip()
    if raw.isdigit():
        return int(raw)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is neither milliseconds since the epoch nor an ISO-8601 time "
                         "like 2024-12-01T08:00:00Z.") from None
    return int(moment.timestamp() * 1000)  # naive -> local time (Kafka's tools do the same)


@dataclass(frozen=True)
class StartAt:
    """A parsed start position; ``value`` is the offset, the timestamp (ms) or N."""

    kind: StartKind
    value: int = 0

    @classmethod
    def parse(cls, text: str) -> StartAt:
        """ValueError (one sentence) for anything but the five forms."""
        raw = str(text).strip()
        low = raw.lower()
        if low in _ALIASES:
            return cls(_ALIASES[low])
        if raw.startswith("@"):
            return cls(StartKind.TIMESTAMP, parse_timestamp(raw[1:]))
        if raw.startswith("-") and raw[1:].isdigit() and int(raw[1:]) > 0:
            return cls(StartKind.LAST, int(raw[1:]))
        if raw.isdigit():
            return cls(StartKind.OFFSET, int(raw))
        raise ValueError(f"The start {raw!r} is not beginning, end, an offset, @TIMESTAMP (ms or an "
                         "ISO time) or -N (the last N records of each partition).")

    def text(self) -> str:
        if self.kind is StartKind.OFFSET:
            return f"offset {self.value}"
        if self.kind is StartKind.TIMESTAMP:
            return f"@{self.value}"
        if self.kind is StartKind.LAST:
            return f"the last {self.value}"
        return str(self.kind)

    def first_offset(self, low: int, high: int, at_time: int | None = None) -> int:
        """The first offset to read in a partition holding ``[low, high)``; ``at_time`` is the
        broker's answer for a timestamp (negative or None: no record that late, so the end)."""
        if self.kind is StartKind.BEGINNING:
            return low
        if self.kind is StartKind.END:
            return high
        if self.kind is StartKind.OFFSET:
            return min(max(self.value, low), high)
        if self.kind is StartKind.LAST:
            return max(low, high - self.value)
        return at_time if at_time is not None and at_time >= 0 else high
