"""Commit strategies, member specs and the consumption log: pure parts, no Kafka."""

from __future__ import annotations

import pytest
from confluent_kafka import Message

from tui.engine.consumer.commands import MemberSpec
from tui.engine.consumer.log import ConsumptionLog
from tui.engine.consumer.strategies import STRATEGIES, STRATEGY_NAMES, strategy_class
from tui.engine.consumer.strategies.base import first_offsets, next_offsets, next_offsets_of
from tui.engine.evidence import ledger_from_audit_log
from tui.engine.history import AuditLog, AuditPartition, ConsumerEventKind, Outcome


def test_strategy_names_are_the_stable_eight() -> None:
    assert STRATEGY_NAMES == ("auto", "auto-stored", "sync-per-message", "sync-per-batch",
                              "async-per-batch", "commit-before", "never", "transactional")
    assert all(STRATEGIES[name].name == name for name in STRATEGY_NAMES)


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_every_strategy_documents_itself(name: str) -> None:
    cls = STRATEGIES[name]
    text = cls.description()
    assert text.startswith(f"{name}:")
    assert len(text) > 150
    assert "\n" not in text
    assert cls.title
    assert cls.guarantee


def test_auto_description_explains_the_librdkafka_difference() -> None:
    text = STRATEGIES["auto"].description()
    assert "Every record consume() returns has its offset stored at once" in text
    assert "Java client differs" in text
    assert "rest of that batch" in text


def test_unknown_strategy_is_one_sentence() -> None:
    with pytest.raises(ValueError, match="Unknown commit strategy 'sometimes'; choose one of auto"):
        strategy_class("sometimes")


def _msg(partition: int, offset: int, topic: str = "t") -> Message:
    return Message(topic=topic, partition=partition, offset=offset, value=b"v")


def test_next_and_first_offsets_per_partition() -> None:
    batch = [_msg(0, 5), _msg(1, 9), _msg(0, 6), _msg(0, 7), _msg(1, 10), _msg(0, 3, topic="u")]
    assert [(tp.topic, tp.partition, tp.offset) for tp in next_offsets(batch)] == [
        ("t", 0, 8), ("t", 1, 11), ("u", 0, 4)]
    assert [(tp.topic, tp.partition, tp.offset) for tp in first_offsets(batch)] == [
        ("t", 0, 5), ("t", 1, 9), ("u", 0, 3)]
    assert next_offsets([]) == []
    # a member's own columns give the same answer, one partition or several
    columns = (list(map(Message.topic, batch)), list(map(Message.partition, batch)),
               list(map(Message.offset, batch)))
    assert [(tp.topic, tp.partition, tp.offset) for tp in next_offsets_of(*columns)] == [
        ("t", 0, 8), ("t", 1, 11), ("u", 0, 4)]
    assert [(tp.topic, tp.partition, tp.offset)
            for tp in next_offsets_of(["t"] * 3, [2] * 3, [4, 5, 6])] == [("t", 2, 7)]
    assert next_offsets_of([], [], []) == []


@pytest.mark.parametrize(("changes", "message"), [
    ({"strategy": "transactional"}, "needs an output topic"),
    ({"assignor": "sticky"}, "Unknown assignor 'sticky'"),
    ({"protocol": "new"}, "Unknown group protocol"),
    ({"topics": ()}, "at least one topic"),
    ({"batch_size": 0}, "batch size"),
    ({"max_poll_interval_ms": 1000}, "max.poll.interval.ms must be at least session.timeout.ms"),
    ({"crash_after_records": 0}, "crash-after"),
    ({"isolation_level": "dirty"}, "isolation level"),
])
def test_member_spec_rejects_bad_input(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"group": "g", "topics": ("t",), **changes}
    spec = MemberSpec(**fields)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        spec.validate()


def test_member_spec_labels() -> None:
    assert MemberSpec(group="g", topics=("t",)).assignment_label == "classic/range"
    spec = MemberSpec(group="g", topics=("t",), protocol="consumer", session_timeout_ms=None,
                      remote_assignor="uniform")
    spec.validate()
    assert spec.cooperative
    assert spec.assignment_label == "consumer/uniform"
    assert not MemberSpec(group="g", topics=("t",), assignor="roundrobin").cooperative


def test_consumption_log_orders_counts_and_caps() -> None:
    log = ConsumptionLog(cap=3)
    for offset in (0, 1):
        log.append(1.0 + offset, "m1", 0, "g", "t", ConsumerEventKind.DELIVER, partition=0,
                   offset=offset)
    log.append(3.0, "m2", 0, "g", "t", ConsumerEventKind.ASSIGN, partitions=(0,), generation=1)
    assert log.append(4.0, "m2", 0, "g", "t", ConsumerEventKind.DELIVER, partition=0, offset=0) is None
    assert [e.seq for e in log.events()] == [1, 2, 3]
    assert log.dropped == 1
    assert log.first_assign == {"g": 3.0}


def test_note_delivery_flags_offsets_the_group_already_got() -> None:
    log = ConsumptionLog()
    assert [log.note_delivery("g", "t", 0, o) for o in (0, 1, 2)] == [False, False, False]
    assert log.note_delivery("g", "t", 0, 1) is True
    assert log.note_delivery("g2", "t", 0, 1) is False
    assert log.note_delivery("g", "t", 1, 0) is False


def test_ledger_from_audit_uses_first_offset_and_skips_foreign_records() -> None:
    audit = AuditLog((AuditPartition("t", 0, 0, 4, 4, (
        (0, "run1/p/0/0"), (1, None), (2, "run1/p/0/1"), (3, "run1/p/0/0"))),
        AuditPartition("other", 0, 0, 1, 1, ((0, "run1/p/0/9"),))))
    rows = ledger_from_audit_log(audit, {"t"})
    assert [(r.msg_id, r.offset, r.seq, r.outcome) for r in rows] == [
        ("run1/p/0/0", 0, 0, Outcome.OK), ("run1/p/0/1", 2, 1, Outcome.OK)]
