"""Browse records as cells, detail and status: hostile bytes come out escaped and capped."""

from __future__ import annotations

from tui.engine import BrowseRecordView, BrowseView
from tui.ui.browse.keys import BROWSE_KEYS, browse_bindings, key_of
from tui.ui.browse.render import cells, detail, shown, status


def _record(**changes: object) -> BrowseRecordView:
    base: dict[str, object] = dict(
        n=0, topic="orders", partition=1, offset=41, timestamp_type="CreateTime",
        timestamp_ms=1733040000123, key=b"k", key_size=1, value=b'{"a": 1}', value_size=8,
        headers=(("kx-id", b"abcd1234/p/0/7"),), headers_more=0, value_format="json",
        detail='{\n  "a": 1\n}', msg_id="abcd1234/p/0/7", run="abcd1234", producer="p",
        incarnation=0, seq=7)
    base.update(changes)
    return BrowseRecordView(**base)  # type: ignore[arg-type]


def _printable(text: str) -> bool:
    return all(line.isprintable() for line in text.split("\n"))


def test_hostile_bytes_are_escaped_in_every_cell_and_the_detail() -> None:
    r = _record(key=b"\x1b]0;owned\x07", key_size=9, value=b"\x1b[2J\x9b\xff", value_size=5,
                headers=(("h\x1b[31m", "\u202e".encode()),), value_format="binary",
                detail="00000000  1b 5b 32 4a  .[2J", topic="t\x1b[2J")
    row = [c.plain for c in cells(r)]
    assert row[3] == "\\x1b]0;owned\\x07"
    assert row[4] == "\\x1b[2J\\x9b\\xff"
    assert row[5] == "h\\x1b[31m=\\u202e"
    assert all(c.isprintable() for c in row)
    text = detail(r).plain
    assert _printable(text)
    assert "t\\x1b[2J/1 @ offset 41" in text
    assert "\x1b" not in text


def test_values_are_capped_and_count_what_is_not_shown() -> None:
    assert shown(b"a" * 256, more=999_744, cap=64) == "a" * 64 + "… (+999936 bytes)"
    assert shown("€".encode() * 30, cap=64) == "€" * 21 + "… (+27 bytes)"  # no half character
    assert shown(None) == "∅"
    assert shown(b"short") == "short"
    big = _record(value=b"x" * 256, value_size=1_000_000, value_format="text", detail="x" * 4096)
    value_cell = cells(big)[4].plain
    assert value_cell.endswith(f"… (+{1_000_000 - 64} bytes)")
    assert len(value_cell) < 100
    assert "the value has 1,000,000 bytes" in detail(big).plain


def test_the_detail_decodes_kx_records_and_pretty_json() -> None:
    text = detail(_record()).plain
    assert "kafka-explorer record abcd1234/p/0/7: run abcd1234 · producer p · incarnation 0 · seq 7" in text
    assert 'value (json, 8 bytes):\n{\n  "a": 1\n}' in text
    assert "headers:\n  kx-id = abcd1234/p/0/7" in text


def test_the_status_says_it_never_joins_a_group() -> None:
    view = BrowseView(browser_id=1, topic="orders", partitions=(0, 1), start="-10", filters="key 'k'",
                      follow=True, state="following", paused=True, scanned=20, matched=3, dropped=0,
                      records=(_record(),), error="Broker: Unknown topic\x1b[2J")
    text = status(view).plain
    assert text.startswith("orders [0,1] from -10 · following · paused · 3 matched of 20 read")
    assert "filter: key 'k'" in text
    assert "reads without joining a group or committing offsets" in text
    assert "\x1b" not in text


def test_bindings_carry_the_registry_ids() -> None:
    ids = [b.id for b in browse_bindings()]  # type: ignore[union-attr]
    assert ids == [k[0] for k in BROWSE_KEYS]
    assert key_of("browse.pause") == "space"
    assert key_of("browse.open", {"browse.open": "ctrl+o"}) == "ctrl+o"
