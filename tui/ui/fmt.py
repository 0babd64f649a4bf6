"""Small pure formatting helpers shared by the panes: numbers, rates, sparklines, untrusted bytes.

Payload bytes (keys, values, headers, error strings that may echo them) are untrusted: they go
through :func:`payload` (escape control sequences + cap length) and are then rendered as plain
``rich.text.Text`` (markup off), never interpolated into markup.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence

from rich.markup import escape

from tui.safe_text import safe_text

PAYLOAD_CAP = 64
"""Characters of a key/value shown in a table cell (the engine already caps what it keeps)."""

_SPARK = "▁▂▃▄▅▆▇█"


def payload(data: bytes | str | None, cap: int = PAYLOAD_CAP) -> str:
    """Untrusted bytes -> printable, capped text (still plain text: render with markup off)."""
    if data is None:
        return "∅"
    return safe_text(data, cap)


def markup_safe(data: bytes | str | None, cap: int = PAYLOAD_CAP) -> str:
    """Untrusted bytes -> text that is also safe inside Rich markup."""
    return escape(payload(data, cap))


def num(value: object) -> str:
    """Integer with thin grouping; '-' for missing."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


UNKNOWN = "–"
"""What an unknown or invalid figure shows (an en dash: never a number that is not one)."""


def offset(value: int | None) -> str:
    """A Kafka offset; negative ones (librdkafka's -1001 'invalid', -1 'end') are not offsets."""
    if value is None or value < 0:
        return UNKNOWN
    return f"{value:,}"


def ago(seconds: float | None) -> str:
    """A short age: '12 s', '3 min', '2 h' (for "stale 12 s", "no answer for 3 min")."""
    if seconds is None:
        return "?"
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def rate(value: object) -> str:
    if value is None:
        return "-"
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "-"
    if v >= 10_000:
        return f"{v / 1000:,.1f}k/s"
    return f"{v:,.0f}/s" if v >= 10 else f"{v:,.1f}/s"


def ms(value: object) -> str:
    if value is None:
        return "-"
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "-"
    return f"{v:,.0f} ms" if v >= 10 else f"{v:,.1f} ms"


def ids(values: Iterable[object] | None) -> str:
    if values is None:
        return "-"
    return ",".join(str(v) for v in values) or "∅"


def sparkline(series: Sequence[float | int] | None, width: int = 16) -> str:
    """Unicode block sparkline of the last ``width`` points, scaled from their lowest to their
    highest point (a high watermark that did not move is a flat low line, not a full bar)."""
    if not series:
        return ""
    # negative or non-finite points (unknown offsets, gaps) show as the lowest block
    points = [max(0.0, float(p)) if math.isfinite(float(p)) else 0.0
              for p in list(series)[-width:]]
    low = min(points)
    span = max(points) - low
    if span <= 0:
        return _SPARK[0] * len(points)
    top = len(_SPARK) - 1
    return "".join(_SPARK[max(0, min(top, int((p - low) / span * top + 0.5)))] for p in points)


def bar(value: float, top: float, width: int = 30) -> str:
    """A horizontal bar for a bar chart (eighth-block resolution)."""
    if top <= 0 or value <= 0:
        return ""
    eighths = int(round(value / top * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + ("" if part == 0 else " ▏▎▍▌▋▊▉"[part])


def clock(ts: float | None) -> str:
    if not ts:
        return "--:--:--"
    return time.strftime("%H:%M:%S", time.localtime(ts))


def short(text: object, width: int) -> str:
    s = str(text)
    return s if len(s) <= width else s[: max(0, width - 1)] + "…"
