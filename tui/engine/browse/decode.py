"""A record value decoded for the browser: a kx test record, pretty JSON, UTF-8 text or a hex dump.

Pure. The detail text is untrusted (a JSON string may hold ANSI escapes): the renderer escapes it
like any payload. Bytes kept in views are capped with :func:`cap_bytes`, which never cuts a UTF-8
character in half.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tui.engine.record_format import VALUE_PREFIX
from tui.vocab import ValueFormat

BYTES_CAP = 256
"""Bytes of each key, value and header value a view keeps."""
DETAIL_CAP = 4096
"""Characters of the decoded detail text a view keeps."""
JSON_LIMIT = 1 << 20
"""Values longer than this are not parsed as JSON (a 100 MB value must not stall the reader)."""
HEX_BYTES = 256
"""Bytes shown in a hex dump."""


@dataclass(frozen=True, slots=True)
class Decoded:
    format: ValueFormat
    detail: str
    """Pretty JSON, the text, or a hex dump; capped at DETAIL_CAP characters."""


def cap_bytes(data: bytes, cap: int = BYTES_CAP) -> bytes:
    """The first ``cap`` bytes, backing off to a UTF-8 character boundary (at most 3 bytes)."""
    if len(data) <= cap:
        return data
    cut = cap
    while cut > cap - 3 and cut > 0 and data[cut] & 0xC0 == 0x80:
        cut -= 1
    return data[:cut]


def _capped(text: str) -> str:
    return text if len(text) <= DETAIL_CAP else text[:DETAIL_CAP] + f"… (+{len(text) - DETAIL_CAP} chars)"


def hex_dump(data: bytes, limit: int = HEX_BYTES) -> str:
    """``xxd``-style lines: offset, 16 bytes in hex, the printable ASCII ones (others as '.')."""
    lines = []
    for start in range(0, min(len(data), limit), 16):
        chunk = data[start:start + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        ascii_ = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{start:08x}  {hexes:<47}  {ascii_}")
    if len(data) > limit:
        lines.append(f"… (+{len(data) - limit} bytes)")
    return "\n".join(lines)


def decode_value(value: bytes | None) -> Decoded:
    if not value:
        return Decoded(ValueFormat.EMPTY, "")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return Decoded(ValueFormat.BINARY, hex_dump(value))
    if value.startswith(VALUE_PREFIX):
        return Decoded(ValueFormat.KX, _capped(text))
    head = text.lstrip()[:1]
    if head in ("{", "[") and len(value) <= JSON_LIMIT:
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            return Decoded(ValueFormat.JSON, _capped(json.dumps(parsed, indent=2, ensure_ascii=False)))
    return Decoded(ValueFormat.TEXT, _capped(text))
