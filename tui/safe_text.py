"""Untrusted payload bytes (record keys, values, headers) made safe to show and to export.

Anyone who can produce to a topic controls these bytes. Shown raw, ``\\x1b]0;...\\x07`` retitles the
terminal, ``\\x1b[2J`` wipes it, OSC 52 writes the clipboard, a bare ``\\r`` overwrites what is on
the line, U+202E flips the text, and a 5 MB value freezes the UI. :func:`safe_text` turns any
payload into a short, single-line, printable string; :func:`safe_json_value` into a JSON value.

Rich markup is NOT escaped here (this module must stay importable by the engine, which never imports
Rich): ``[bold red]`` survives :func:`safe_text` verbatim. The UI renders payload text with
``markup=False`` or wraps it as ``rich.markup.escape(safe_text(data))`` / ``Text(safe_text(data))``.

A literal backslash is kept as is, so a payload that *contains* the four characters ``\\x1b`` looks
like an escaped ESC; that is ambiguous but harmless (nothing is interpreted).
"""

from __future__ import annotations

import base64
import codecs
from typing import Any

DEFAULT_CAP = 256
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Unicode characters that reorder or hide text (Trojan Source, CVE-2021-42574) or break lines;
# ZWJ (U+200D) stays: emoji sequences need it
_INVISIBLE = frozenset(
    [0x200B, 0x200C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
     0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF])


def _escape_char(ch: str, keep_newlines: bool) -> str:
    code = ord(ch)
    if ch == "\n" and keep_newlines:
        return ch
    if ch in _NAMED:
        return _NAMED[ch]
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0x80 <= code <= 0x9F:
        # C1 controls (U+009B is a one-character CSI); \\u form tells them apart from invalid bytes
        return f"\\u{code:04x}"
    if code in _INVISIBLE or 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return ch


def escape_controls(text: str, keep_newlines: bool = False) -> str:
    """``text`` with C0/C1 controls, ESC (so every ANSI CSI/OSC sequence), DEL, bidi overrides and
    lone surrogates written out visibly (``\\x1b``, ``\\u009b``, ``\\u202e``)."""
    if text.isprintable():
        return text  # fast path: controls, separators and format characters are all non-printable
    return "".join(_escape_char(ch, keep_newlines) for ch in text)


def _decode_prefix(data: bytes, cap: int) -> tuple[str, int]:
    """Decode at most ``cap`` bytes (invalid bytes as ``\\xNN``); returns text and bytes consumed.

    Never cuts a multi-byte character in half: an incomplete sequence at the cut is left for the
    ``(+N bytes)`` marker instead of showing up as bogus ``\\xe2\\x82``.
    """
    chunk = data[:cap]
    if len(data) <= cap:
        return chunk.decode("utf-8", errors="backslashreplace"), len(data)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="backslashreplace")
    text = decoder.decode(chunk, final=False)
    pending, _ = decoder.getstate()
    return text, len(chunk) - len(pending)


def safe_text(data: bytes | bytearray | memoryview | str | None, cap: int = DEFAULT_CAP,
              keep_newlines: bool = False) -> str:
    """A printable, escaped, capped rendering of untrusted ``data``. Never raises.

    * bytes: invalid UTF-8 shows as ``\\xNN``; at most ``cap`` bytes are shown, then
      ``… (+N bytes)``;
    * str: at most ``cap`` characters, then ``… (+N chars)``;
    * None: ``""`` (the caller decides how to show "no key").
    """
    try:
        cap = max(0, int(cap))
        if data is None:
            return ""
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if isinstance(data, bytes):
            text, used = _decode_prefix(data, cap)
            rest = len(data) - used
            marker = f"… (+{rest} bytes)" if rest > 0 else ""
        else:
            text = data if isinstance(data, str) else str(data)
            rest = len(text) - cap
            text = text[:cap]
            marker = f"… (+{rest} chars)" if rest > 0 else ""
        return escape_controls(text, keep_newlines) + marker
    except Exception:  # the whole point is that bad input never breaks the caller
        return "<unprintable>"


def safe_json_value(data: bytes | bytearray | memoryview | str | None,
                    cap: int = DEFAULT_CAP) -> str | dict[str, Any] | None:
    """A JSON-ready value for untrusted ``data``. Never raises.

    * None -> None;
    * valid UTF-8 (or str) -> the string itself, capped like :func:`safe_text` (control characters are
      left to the JSON encoder, which writes them as ``\\u001b``; ``emit_json`` also uses
      ``ensure_ascii=True`` so C1 and bidi characters are escaped too);
    * anything else -> ``{"base64": "...", "bytes": N}`` (plus ``"truncated": true`` when only the
      first ``cap`` bytes are encoded), so binary payloads survive exactly.
    """
    try:
        cap = max(0, int(cap))
        if data is None:
            return None
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if isinstance(data, str):
            return data if len(data) <= cap else f"{data[:cap]}… (+{len(data) - cap} chars)"
        if not isinstance(data, bytes):
            return safe_text(str(data), cap)
        chunk = data[:cap]
        try:
            decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
            text = decoder.decode(chunk, final=len(data) <= cap)
            used = len(chunk) - len(decoder.getstate()[0])
        except UnicodeDecodeError:
            out: dict[str, Any] = {"base64": base64.b64encode(chunk).decode("ascii"), "bytes": len(data)}
            if len(data) > cap:
                out["truncated"] = True
            return out
        rest = len(data) - used
        return text if rest <= 0 else f"{text}… (+{rest} bytes)"
    except Exception:
        return "<unprintable>"
