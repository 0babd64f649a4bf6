"""Admin operations' pure parts (no cluster): reset targets, topic:partition lists, config checks."""

from __future__ import annotations

import pytest

from tui.engine import ResetTarget, parse_topic_targets, validate_change
from tui.vocab import ResetKind


@pytest.mark.parametrize(("text", "target"), [
    ("earliest", ResetTarget(ResetKind.EARLIEST)), ("LATEST", ResetTarget(ResetKind.LATEST)),
    ("42", ResetTarget(ResetKind.OFFSET, 42)), ("shift:-5", ResetTarget(ResetKind.SHIFT, -5)),
    ("shift:+3", ResetTarget(ResetKind.SHIFT, 3)), ("shift:7", ResetTarget(ResetKind.SHIFT, 7)),
    ("@1733040000000", ResetTarget(ResetKind.TIMESTAMP, 1733040000000)),
])
def test_reset_targets_parse(text: str, target: ResetTarget) -> None:
    assert ResetTarget.parse(text) == target


@pytest.mark.parametrize(("text", "words"), [
    ("", "Use earliest, latest"), ("begin", "Use earliest"), ("-3", "Use earliest"),
    ("shift:", "shift:-N"), ("shift:x", "shift:-N"), ("to-earliest", "Use earliest"),
    ("@never", "neither milliseconds since the epoch nor an ISO-8601 time"),
])
def test_bad_reset_targets_are_one_sentence(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as refused:
        ResetTarget.parse(text)
    assert "\n" not in str(refused.value)


def test_new_offsets_stay_inside_the_log_and_say_why() -> None:
    def new(text: str, current: int | None, at: int | None = None) -> tuple[int, str]:
        return ResetTarget.parse(text).new_offset(current, 10, 50, at)

    assert new("earliest", 30) == (10, "")
    assert new("latest", 30) == (50, "")
    assert new("20", None) == (20, "")
    assert new("5", 30) == (10, "5 is before the log start")
    assert new("shift:+40", 30) == (50, "70 is past the log end")
    assert new("shift:-5", 30) == (25, "")
    assert new("@1", 30, 12) == (12, "")
    assert new("@1", 30, -1) == (50, "no record that late")
    with pytest.raises(ValueError):
        new("shift:-1", None)


def test_topic_targets() -> None:
    assert parse_topic_targets(["orders", "pay:1", "pay:2,0,2"]) == (
        ("orders", None), ("pay", (1,)), ("pay", (0, 2)))
    for bad in ("orders:", "orders:x", ":1", "orders:1,-2"):
        with pytest.raises(ValueError):
            parse_topic_targets([bad])


def test_config_changes_are_validated_with_one_sentence() -> None:
    assert validate_change("retention.ms", " -1 ", 1) == "-1"
    assert validate_change("min.insync.replicas", "2", 3) == "2"
    assert validate_change("unclean.leader.election.enable", "True", 1) == "true"
    assert validate_change("max.message.bytes", "2097152", 1) == "2097152"
    refusals = {("retention.ms", "1d"): "whole number of milliseconds",
                ("retention.ms", "-2"): "between -1 and",
                ("min.insync.replicas", "0"): "between 1 and",
                ("min.insync.replicas", "4"): "replication factor 3",
                ("unclean.leader.election.enable", "yes"): "true or false",
                ("max.message.bytes", "big"): "whole number of bytes",
                ("cleanup.policy", "compact"): "use kafka-configs"}
    for (name, value), words in refusals.items():
        with pytest.raises(ValueError, match=words) as refused:
            validate_change(name, value, 3)
        assert str(refused.value).count("\n") == 0
