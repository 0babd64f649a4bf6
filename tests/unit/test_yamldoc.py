"""tui.yamldoc: reading with a size cap, safe_load only, line positions, typed getters, one sentence."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui import yamldoc
from tui.errors import UserError
from tui.vocab import Strategy
from tui.yamldoc import Where, YamlError


class DemoError(YamlError):
    exit_code = 7


W = Where("demo.yaml", DemoError)


def fails(needle: str) -> AbstractContextManager[pytest.ExceptionInfo[DemoError]]:
    return pytest.raises(DemoError, match=needle)


# ---- reading ------------------------------------------------------------------------------------


def test_read_gives_a_document_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("a: 1\nb:\n  c: [x, y]\n  d:\n    - e: 2\n    - f: 3\n")
    doc = yamldoc.read(path)
    assert doc.data == {"a": 1, "b": {"c": ["x", "y"], "d": [{"e": 2}, {"f": 3}]}}
    assert doc.source == str(path)
    assert doc.line("a") == 1
    assert doc.line("b", "c") == 3
    assert doc.line("b", "d", 1, "f") == 6
    assert doc.line("b", "d", 0) == 5
    assert doc.line("b", "nope", "deeper") == 2  # the longest known prefix
    assert doc.line("zzz") is None
    assert doc.where("b", "d", 1, "f") == f"{path} line 6"
    assert doc.where("zzz") == str(path)
    with pytest.raises(YamlError, match=rf"^{path} line 3: 'c' must be text"):
        yamldoc.get_str(doc.at("b", "c"), doc.data["b"], "c")


@pytest.mark.parametrize(("content", "needle"), [
    (b"\xff\xfe\x00", r"^f\.yaml: the file is not UTF-8 text \(byte 0\)\.$"),
    (b"a: [1\n", r"^f\.yaml: the file is not valid YAML at line 2, column 1: "),
    (b"a: !!python/object/apply:os.system ['echo no']\n", r"not valid YAML at line 1, column 4: could not "
                                                          r"determine a constructor"),
    (b"when: 2001-02-30\n", r"not valid YAML \(day is out of range"),
    (b"[" * 5000 + b"]" * 5000, r"not valid YAML"),
])
def test_unreadable_documents_are_one_sentence(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(content)
    with fails(needle) as info:
        yamldoc.read(path, name="f.yaml", error=DemoError)
    assert "\n" not in str(info.value)
    assert info.value.exit_code == 7
    assert isinstance(info.value, UserError)


def test_missing_directory_fifo_and_oversized_files(tmp_path: Path) -> None:
    with fails(r"^missing\.yaml: cannot be read \(the file does not exist\)\.$"):
        yamldoc.read(tmp_path / "missing.yaml", name="missing.yaml", error=DemoError)
    with fails(r"cannot be read \(it is a directory, not a theme file\)"):
        yamldoc.read(tmp_path, what="theme file", error=DemoError)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with fails(r"not a regular file"):  # opening it would block forever
        yamldoc.read(fifo, error=DemoError)
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 2000)
    with fails(r"the file is 2003 bytes; a scenario file is at most 1 kB"):
        yamldoc.read(big, what="scenario file", max_bytes=1000, error=DemoError)


def test_aliases_are_not_expanded_by_the_line_index() -> None:
    # a "billion laughs" document: every level doubles; walking it naively would never end
    levels = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 40)]
    doc = yamldoc.parse("\n".join(levels) + "\n", "laughs.yaml")
    assert doc.line("a39") == 40
    assert len(doc.lines) < 200


def test_empty_text_is_none() -> None:
    assert yamldoc.parse("", "e.yaml").data is None
    assert yamldoc.parse("# only a comment\n", "e.yaml").data is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_is_a_document_or_one_sentence(text: str) -> None:
    try:
        doc = yamldoc.parse(text, "any.yaml", error=DemoError)
    except DemoError as exc:
        message = str(exc)
        doc = None
    if doc is None:
        assert message.startswith("any.yaml: ")
        assert "\n" not in message
        return
    breaks = sum(text.count(ch) for ch in "\n\r\x85\u2028\u2029")  # what PyYAML counts as a line break
    for path, line in doc.lines.items():
        assert path
        assert 1 <= line <= breaks + 1


# ---- where and the getters ----------------------------------------------------------------------


def test_where_context_replaces_not_nests() -> None:
    step = W.within("step 3 (produce)")
    with fails(r"^demo\.yaml: step 3 \(produce\): boom$"):
        step.fail("boom")
    with fails(r"^demo\.yaml: step 4: boom$"):
        step.within("step 4").fail("boom")


def test_text_getters() -> None:
    data = {"s": " hi ", "n": 12, "b": True, "e": "  ", "l": [1]}
    assert yamldoc.get_str(W, data, "s") == "hi"
    assert yamldoc.get_str(W, data, "n") == "12"
    assert yamldoc.get_str(W, data, "absent", "dflt") == "dflt"
    assert yamldoc.get_opt_str(W, data, "absent") is None
    with fails(r"^demo\.yaml: 'absent' is required\.$"):
        yamldoc.get_str(W, data, "absent")
    with fails(r"'b' must be text, not true/false\."):
        yamldoc.get_str(W, data, "b")
    with fails(r"'e' must not be empty"):
        yamldoc.get_str(W, data, "e")
    with fails(r"'l' must be text, not a list"):
        yamldoc.get_str(W, data, "l")
    with fails(r"'s' must be one of a, b, not 'hi'"):
        yamldoc.get_str(W, data, "s", choices=("a", "b"))


def test_choice_from_the_vocabulary() -> None:
    assert yamldoc.get_choice(W, {"s": "auto"}, "s", Strategy) == "auto"
    value = yamldoc.get_choice(W, {}, "s", Strategy, Strategy.SYNC_PER_BATCH)
    assert value == "sync-per-batch"
    assert type(value) is str  # plain text, so it dumps to YAML and JSON as it is
    assert yamldoc.get_opt_choice(W, {}, "s", Strategy) is None
    with fails(r"'s' must be one of auto, .*sync-per-batch.*, not 'yolo'"):
        yamldoc.get_choice(W, {"s": "yolo"}, "s", Strategy)


def test_number_getters() -> None:
    data = {"i": 5, "q": "7", "neg": "-2", "f": 1.5, "t": "2.5", "b": False, "nan": float("nan"),
            "word": "soon"}
    assert yamldoc.get_int(W, data, "i") == 5
    assert yamldoc.get_int(W, data, "q") == 7
    assert yamldoc.get_int(W, data, "absent", 3) == 3
    assert yamldoc.get_opt_int(W, data, "absent") is None
    with fails(r"'neg' must be between 0 and 10, not -2"):
        yamldoc.get_int(W, data, "neg", high=10)
    with fails(r"'f' must be a whole number, not a number"):
        yamldoc.get_int(W, data, "f")
    with fails(r"'b' must be a whole number, not true/false"):
        yamldoc.get_int(W, data, "b")
    assert yamldoc.get_float(W, data, "f") == 1.5
    assert yamldoc.get_float(W, data, "t") == 2.5
    with fails(r"'word' must be a number, not 'soon'"):
        yamldoc.get_float(W, data, "word")
    with fails(r"'nan' must be a finite number"):
        yamldoc.get_float(W, data, "nan")
    with fails(r"'f' must be between 2 and 3, not 1.5"):
        yamldoc.get_float(W, data, "f", low=2, high=3)


@pytest.mark.parametrize(("raw", "seconds"), [(90, 90.0), ("90s", 90.0), ("2m", 120.0), ("1m30s", 90.0),
                                              ("1.5", 1.5), (" 3 sec ", 3.0)])
def test_durations(raw: object, seconds: float) -> None:
    assert yamldoc.get_seconds(W, {"d": raw}, "d") == seconds


def test_bad_durations() -> None:
    with fails(r"'d' must be seconds \(e\.g\. 30, \"30s\", \"2m\"\), not 'soon'"):
        yamldoc.get_seconds(W, {"d": "soon"}, "d")
    with fails(r"'d' must be between 0 and 60 seconds, not '2m'"):
        yamldoc.get_seconds(W, {"d": "2m"}, "d", high=60)


def test_bool_list_and_mappings() -> None:
    assert yamldoc.get_bool(W, {"b": False}, "b", True) is False
    assert yamldoc.get_bool(W, {}, "b", True) is True
    with fails(r"'b' must be true or false, not text"):
        yamldoc.get_bool(W, {"b": "yes"}, "b", True)
    assert yamldoc.get_str_list(W, {"l": ["a", "b"]}, "l") == ["a", "b"]
    assert yamldoc.get_str_list(W, {}, "l") == []
    with fails(r"'l' must be a list of text values, not text"):
        yamldoc.get_str_list(W, {"l": "a"}, "l")
    assert yamldoc.mapping(W, None, "m") == {}
    assert yamldoc.mapping(W, {"A_b": 1, 2: 3}, "m", lambda k: str(k).lower()) == {"a_b": 1, "2": 3}
    with fails(r"'m' must be a mapping of key: value, not a list"):
        yamldoc.mapping(W, [1], "m")
    with fails(r"'m' has a key that is not text \(a list\)"):
        yamldoc.mapping(W, {(1, 2): 3}, "m")
    with fails(r"unknown field 'z' in the thing; allowed: a, b"):
        yamldoc.only(W, {"a": 1, "z": 2}, ("a", "b"), "the thing")


def test_scalars_as_client_settings() -> None:
    assert yamldoc.get_text_map(W, {"acks": "all", "linger.ms": 5, "enable.idempotence": True,
                                    " x ": 1.5}, "props") == {
        "acks": "all", "linger.ms": "5", "enable.idempotence": "true", "x": "1.5"}
    assert yamldoc.get_text_map(W, None, "props") == {}
    with fails(r"'props.acks' must be text, a number or true/false, not a list"):
        yamldoc.get_text_map(W, {"acks": [1]}, "props")
    with fails(r"'props.acks' has no value"):
        yamldoc.get_text_map(W, {"acks": None}, "props")
    with fails(r"'props' must be a mapping of property: value, not text"):
        yamldoc.get_text_map(W, "acks=all", "props")
    assert yamldoc.scalar_text(W, False, "x") == "false"


@pytest.mark.parametrize(("value", "words"), [(None, "nothing"), (True, "true/false"), (3, "a number"),
                                              (2.5, "a number"), ("s", "text"), ([1], "a list"),
                                              ({"a": 1}, "a mapping")])
def test_kind_in_words(value: object, words: str) -> None:
    assert yamldoc.kind(value) == words
