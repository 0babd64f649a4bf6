"""Small formatting helpers for anomaly explanations (plain sentences, bounded length)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MAX_LISTED = 4


def ranges(offsets: Iterable[int], limit: int = 6) -> str:
    """'3–9, 12, 15–16' from offsets (any order, repeats ignored); long lists end with '…'."""
    values = sorted(set(offsets))
    if not values:
        return "none"
    parts: list[str] = []
    start = prev = values[0]
    for value in values[1:]:
        if value == prev + 1:
            prev = value
            continue
        parts.append(_span(start, prev))
        start = prev = value
    parts.append(_span(start, prev))
    if len(parts) > limit:
        return ", ".join(parts[:limit]) + ", …"
    return ", ".join(parts)


def _span(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}–{end}"


def offsets_phrase(offsets: Sequence[int]) -> str:
    """'offset 7' or 'offsets 3–9'."""
    distinct = set(offsets)
    return f"offset {ranges(distinct)}" if len(distinct) == 1 else f"offsets {ranges(distinct)}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def listed(items: Sequence[str], limit: int = MAX_LISTED) -> str:
    """'a, b and c' or 'a, b, c, d and 7 more'."""
    items = list(items)
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    if len(items) <= limit:
        return ", ".join(items[:-1]) + " and " + items[-1]
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def where(topic: str, partition: int | None, offset: int | None = None) -> str:
    """'orders/2@117', 'orders/2' or 'orders'."""
    if partition is None:
        return topic
    if offset is None:
        return f"{topic}/{partition}"
    return f"{topic}/{partition}@{offset}"
