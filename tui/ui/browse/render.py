"""Browse records as table cells, detail text and a status line.

Keys, values, header names and values, decoded details and even topic names are untrusted: each
goes through :func:`tui.safe_text.safe_text` (control sequences written out, length capped) and into
a plain ``rich.text.Text`` (never markup), so a record cannot move the cursor, retitle the terminal
or style the screen.
"""

from __future__ import annotations

import time

from rich.text import Text

from tui.engine import BrowseRecordView, BrowseView
from tui.safe_text import safe_text
from tui.ui.fmt import num

COLUMNS = ("p", "offset", "time", "key", "value", "headers", "format")
KEY_CELL = 24
VALUE_CELL = 64
HEADERS_CELL = 40
DETAIL_CHARS = 8192


def shown(data: bytes | None, more: int = 0, cap: int = 256) -> str:
    """Untrusted bytes as one escaped line of at most ``cap`` bytes, then ``… (+N bytes)`` counting
    what is cut here and what the engine did not keep (``more``)."""
    if data is None:
        return "∅"
    cut = min(len(data), cap)
    while 0 < cut < len(data) and cut > cap - 3 and data[cut] & 0xC0 == 0x80:
        cut -= 1  # never half a UTF-8 character
    rest = len(data) - cut + max(0, more)
    return safe_text(data[:cut], cap) + (f"… (+{rest} bytes)" if rest > 0 else "")


def when(ms: int | None, with_date: bool = False) -> str:
    if ms is None:
        return "-"
    stamp = time.localtime(ms / 1000)
    clock = time.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S", stamp)
    return f"{clock}.{ms % 1000:03d}"


def row_key(r: BrowseRecordView) -> str:
    return f"{r.partition}:{r.offset}:{r.n}"


def cells(r: BrowseRecordView) -> tuple[Text, ...]:
    headers = ",".join(f"{safe_text(k, 32)}={shown(v, cap=32)}" for k, v in r.headers)
    return (Text(str(r.partition)), Text(num(r.offset)), Text(when(r.timestamp_ms)),
            Text(shown(r.key, r.key_more, KEY_CELL)), Text(shown(r.value, r.value_more, VALUE_CELL)),
            Text(safe_text(headers, HEADERS_CELL)), Text(r.value_format))


def detail(r: BrowseRecordView) -> Text:
    """Everything about one record: where, when, key, headers, kx identity, the decoded value."""
    out = Text()
    out.append(f"{safe_text(r.topic, 120)}/{r.partition} @ offset {r.offset:,}", style="bold")
    out.append(f"  ·  {r.timestamp_type} {when(r.timestamp_ms, True)}"
               + (f" ({r.timestamp_ms})" if r.timestamp_ms is not None else "") + "\n")
    out.append(f"key ({num(r.key_size)} bytes): " if r.key is not None else "key: ")
    out.append(shown(r.key, r.key_more) + "\n")
    if r.headers:
        out.append("headers:\n")
        for name, value in r.headers:
            out.append(f"  {safe_text(name, 120)} = {shown(value)}\n")
        if r.headers_more:
            out.append(f"  … (+{r.headers_more} headers)\n")
    if r.msg_id is not None:
        out.append(f"kafka-explorer record {safe_text(r.msg_id, 160)}: run {safe_text(r.run or '?', 40)}"
                   f" · producer {safe_text(r.producer or '?', 80)} · incarnation {num(r.incarnation)}"
                   f" · seq {num(r.seq)}\n", style="bold")
    out.append(f"value ({r.value_format}, {num(r.value_size)} bytes):\n")
    body = safe_text(r.detail, DETAIL_CHARS, keep_newlines=True)
    if r.value_format != "binary" and r.value_more > 0 and r.value_format != "empty":
        body += f"\n… the value has {num(r.value_size)} bytes; the detail shows the start"
    out.append(body)
    return out


def status(view: BrowseView) -> Text:
    """One line: what is read, from where, how far, the filters, and that it never commits."""
    parts = ",".join(map(str, view.partitions)) or "all"
    state = view.state + (" · paused" if view.paused else "")
    line = (f"{safe_text(view.topic, 80)} [{parts}] from {safe_text(view.start, 40)} · {state} · "
            f"{num(view.matched)} matched of {num(view.scanned)} read")
    if view.dropped:
        line += f" (showing the last {num(len(view.records))})"
    if view.filters:
        line += f" · filter: {safe_text(view.filters, 80)}"
    out = Text(line)
    out.append(f" · {view.NOTICE}", style="italic")
    if view.error:
        out.append(f" · {safe_text(view.error, 200)}", style="bold")
    return out
