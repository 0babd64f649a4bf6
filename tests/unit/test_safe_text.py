"""tui.safe_text: untrusted payload bytes rendered safely (escaped, capped) for the terminal and JSON."""

from __future__ import annotations

import base64
import json
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.markup import escape, render

from tui.safe_text import safe_json_value, safe_text

BIDI = {chr(c) for c in (0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069)}


def assert_terminal_safe(text: str) -> None:
    """Nothing a terminal would interpret: no C0/C1 control, no DEL, no bidi override."""
    for ch in text:
        assert unicodedata.category(ch) != "Cc", f"control {ch!r} in {text!r}"
        assert ch not in BIDI, f"bidi control {ch!r} in {text!r}"
        assert ch not in "\u2028\u2029", f"line separator in {text!r}"


@pytest.mark.parametrize(("payload", "expected"), [
    (b"\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),                       # ANSI colour (CSI)
    (b"\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),                            # OSC: retitle the terminal
    (b"\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07"),                # OSC 52: write the clipboard
    (b"\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),                                  # clear screen
    ("\u009b31m".encode(), "\\u009b31m"),                                   # C1 CSI, one character
    (b"ok\rFAKE", "ok\\rFAKE"),                                             # carriage return overwrite
    (b"a\nb\tc\x00d\x7f", "a\\nb\\tc\\x00d\\x7f"),
    ("abc\u202edcba".encode(), "abc\\u202edcba"),                           # Trojan-source bidi override
])
def test_escape_sequences_and_controls_are_shown_not_interpreted(payload: bytes, expected: str) -> None:
    out = safe_text(payload)
    assert out == expected
    assert_terminal_safe(out)


def test_invalid_utf8_is_shown_as_hex() -> None:
    assert safe_text(b"caf\xc3\xa9 \xff\xfe\xc3") == "café \\xff\\xfe\\xc3"


def test_rich_markup_survives_verbatim_and_escapes_to_plain_text() -> None:
    payload = b"[bold red]ALERT[/bold red] [link=file:///etc/passwd]x[/link]"
    out = safe_text(payload)
    assert out == payload.decode()  # markup escaping is the UI's job (documented)
    rendered = render(escape(out))
    assert rendered.plain == payload.decode()
    assert not rendered.spans  # no style, no link was applied


def test_none_and_empty() -> None:
    assert safe_text(None) == ""
    assert safe_text(b"") == ""
    assert safe_json_value(None) is None


def test_multi_megabyte_value_is_capped_quickly() -> None:
    payload = b"\x1b" * 5_000_000
    started = time.perf_counter()
    out = safe_text(payload, cap=256)
    elapsed = time.perf_counter() - started
    assert out.endswith(f"… (+{5_000_000 - 256} bytes)")
    assert out.count("\\x1b") == 256
    assert len(out) < 256 * 4 + 30
    assert elapsed < 0.5


def test_cap_never_splits_a_multibyte_character() -> None:
    out = safe_text("€".encode() * 10, cap=7)  # 3 bytes each: 2 whole characters fit
    assert out == "€€… (+24 bytes)"


def test_str_input_is_capped_in_characters() -> None:
    assert safe_text("x" * 300, cap=10) == "x" * 10 + "… (+290 chars)"


def test_keep_newlines_for_multi_line_views() -> None:
    assert safe_text(b"a\nb\x1b", keep_newlines=True) == "a\nb\\x1b"


def test_odd_inputs_never_raise() -> None:
    assert safe_text(bytearray(b"\x1bx")) == "\\x1bx"
    assert safe_text(memoryview(b"ok")) == "ok"
    assert safe_text(12345) == "12345"  # type: ignore[arg-type]
    assert safe_text("\ud800lone") == "\\ud800lone"


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=600), cap=st.integers(min_value=0, max_value=300))
def test_fuzz_bytes_always_render_safely(data: bytes, cap: int) -> None:
    out = safe_text(data, cap=cap)
    assert_terminal_safe(out)
    if len(data) > cap:
        assert out.endswith(" bytes)")


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_fuzz_text_always_renders_safely(text: str) -> None:
    assert_terminal_safe(safe_text(text, cap=1000))


def test_json_value_keeps_valid_text_and_encodes_binary() -> None:
    assert safe_json_value(b"hello \x1b[31m") == "hello \x1b[31m"
    line = json.dumps({"v": safe_json_value(b"hello \x1b[31m\xc2\x9b")}, ensure_ascii=True)
    assert "\x1b" not in line
    assert "\\u001b" in line
    assert "\\u009b" in line
    binary = safe_json_value(b"\xff\x00\xfe")
    assert binary == {"base64": base64.b64encode(b"\xff\x00\xfe").decode(), "bytes": 3}


def test_json_value_is_capped() -> None:
    assert safe_json_value(b"a" * 5_000_000, cap=8) == "aaaaaaaa… (+4999992 bytes)"
    big_binary = safe_json_value(b"\xff" * 1000, cap=16)
    assert isinstance(big_binary, dict)
    assert big_binary["truncated"] is True
    assert big_binary["bytes"] == 1000
    assert base64.b64decode(big_binary["base64"]) == b"\xff" * 16
    assert safe_json_value("é" * 10, cap=4) == "éééé… (+6 chars)"


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400))
def test_fuzz_json_value_round_trips_or_encodes(data: bytes) -> None:
    value = safe_json_value(data, cap=1000)
    json.dumps(value, ensure_ascii=True)
    if isinstance(value, str):
        assert value.encode() == data
    else:
        assert isinstance(value, dict)
        assert base64.b64decode(value["base64"]) == data
