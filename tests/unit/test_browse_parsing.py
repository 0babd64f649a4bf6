"""The record browser's pure parts: start positions, filters, decoding and byte caps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tui.engine import BrowseOpen, RecordFilter, StartAt, parse_header_filter, parse_timestamp
from tui.engine.browse.decode import cap_bytes, decode_value, hex_dump
from tui.vocab import StartKind, ValueFormat


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("beginning", StartKind.BEGINNING, 0), ("END", StartKind.END, 0), ("earliest", StartKind.BEGINNING, 0),
    ("42", StartKind.OFFSET, 42), ("-10", StartKind.LAST, 10), ("@1733040000000", StartKind.TIMESTAMP,
                                                                1733040000000),
    ("@2024-12-01T08:00:00Z", StartKind.TIMESTAMP, 1733040000000),
])
def test_start_positions_parse(text: str, kind: StartKind, value: int) -> None:
    assert StartAt.parse(text) == StartAt(kind, value)


@pytest.mark.parametrize("text", ["", "yesterday", "-0", "-x", "@soon", "1.5", "+3"])
def test_bad_start_positions_are_one_sentence(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        StartAt.parse(text)
    assert str(refused.value).endswith(".")
    assert "\n" not in str(refused.value)


def test_a_time_without_a_zone_is_local_time() -> None:
    local = datetime(2024, 12, 1, 8, 0, 0).astimezone()
    assert parse_timestamp("2024-12-01T08:00:00") == int(local.timestamp() * 1000)
    assert parse_timestamp("2024-12-01T08:00:00+00:00") == int(
        datetime(2024, 12, 1, 8, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(("text", "low", "high", "at", "first"), [
    ("beginning", 5, 20, None, 5), ("end", 5, 20, None, 20), ("12", 5, 20, None, 12),
    ("2", 5, 20, None, 5), ("99", 5, 20, None, 20), ("-3", 5, 20, None, 17), ("-30", 5, 20, None, 5),
    ("@1000", 5, 20, 9, 9), ("@1000", 5, 20, -1, 20), ("@1000", 5, 20, None, 20),
])
def test_first_offset_stays_inside_the_log(text: str, low: int, high: int, at: int | None,
                                           first: int) -> None:
    assert StartAt.parse(text).first_offset(low, high, at) == first


def test_filters_match_key_value_and_headers() -> None:
    headers = [("source", b"web"), ("retry", None)]
    assert RecordFilter().matches(None, None, None)
    assert RecordFilter(grep="pa+id").matches(b"k", b'{"state": "paaid"}', headers)
    assert RecordFilter(grep="^k$").matches(b"k", b"no match in the value", headers)
    assert not RecordFilter(grep="x").matches(None, None, headers)
    assert RecordFilter(grep="caf").matches(None, b"caf\xe9 \xff", None)  # invalid UTF-8 is replaced
    assert RecordFilter(key="k").matches(b"k", b"", None)
    assert not RecordFilter(key="k").matches(b"kk", b"", None)
    assert not RecordFilter(key="k").matches(None, b"", None)
    assert RecordFilter(headers=(("source", "web"),)).matches(None, None, headers)
    assert not RecordFilter(headers=(("source", "app"),)).matches(None, None, headers)
    assert RecordFilter(headers=(("retry", None),)).matches(None, None, headers)
    assert not RecordFilter(headers=(("missing", None),)).matches(None, None, headers)
    both = RecordFilter(key="k", headers=(("source", "web"),))
    assert both.matches(b"k", None, headers)
    assert not both.matches(b"j", None, headers)
    assert both.text() == "key 'k', header source=web"
    assert parse_header_filter("a=b=c") == ("a", "b=c")
    assert parse_header_filter("a") == ("a", None)
    assert parse_header_filter("a=") == ("a", "")
    with pytest.raises(ValueError, match="name=value"):
        parse_header_filter("=v")


def test_bad_commands_are_refused_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        BrowseOpen("t", filters=RecordFilter(grep="[")).validate()
    with pytest.raises(ValueError, match="at least 1"):
        BrowseOpen("t", limit=0).validate()
    with pytest.raises(ValueError, match="Name the topic"):
        BrowseOpen(" ").validate()
    assert BrowseOpen("t", start="-5", limit=3).validate().limit == 3


@pytest.mark.parametrize(("value", "fmt"), [
    (None, ValueFormat.EMPTY), (b"", ValueFormat.EMPTY), (b"kx|run/p/0/1|....", ValueFormat.KX),
    (b' {"a": [1, 2]}', ValueFormat.JSON), (b"[1, 2", ValueFormat.TEXT), (b"123", ValueFormat.TEXT),
    (b"caf\xc3\xa9", ValueFormat.TEXT), (b"\x00\xff\x10", ValueFormat.BINARY),
])
def test_values_are_decoded_as_kx_json_text_or_binary(value: bytes | None, fmt: ValueFormat) -> None:
    assert decode_value(value).format is fmt


def test_json_is_pretty_and_details_are_capped() -> None:
    assert decode_value(b'{"a":1,"b":"\xc3\xa9"}').detail == '{\n  "a": 1,\n  "b": "é"\n}'
    long = decode_value(b"x" * 10_000).detail
    assert long.startswith("x" * 4096)
    assert long.endswith("… (+5904 chars)")
    dump = hex_dump(bytes(range(20)))
    assert dump.splitlines() == [
        "00000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  ................",
        "00000010  10 11 12 13                                      ...."]
    assert hex_dump(b"\x1b" * 300).splitlines()[-1] == "… (+44 bytes)"
    assert "\x1b" not in hex_dump(b"\x1b[2J")  # the ASCII column shows controls as dots


def test_caps_never_cut_a_character_in_half() -> None:
    assert cap_bytes(b"a" * 300) == b"a" * 256
    assert cap_bytes("€".encode() * 100) == "€".encode() * 85  # 255 bytes, not a dangling lead byte
    assert cap_bytes(b"ab") == b"ab"
    assert len(cap_bytes(b"\x80" * 300)) == 253  # not UTF-8 at all: backs off at most 3 bytes


def test_a_browser_asks_again_while_a_leader_moves_and_gives_up_on_other_errors() -> None:
    import threading
    from types import SimpleNamespace

    from confluent_kafka import KafkaError, KafkaException

    from tui.engine.browse.reader import Browser

    answers: list[object] = [KafkaException(KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION)),
                             KafkaException(KafkaError(KafkaError.LEADER_NOT_AVAILABLE)), (0, 7)]

    def watermarks() -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    host = SimpleNamespace(_stop=threading.Event())
    assert Browser._asking(host, watermarks) == (0, 7)  # type: ignore[arg-type]
    assert answers == []

    def refused() -> object:
        raise KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED))
    with pytest.raises(KafkaException):
        Browser._asking(host, refused)  # type: ignore[arg-type]
