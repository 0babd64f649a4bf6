"""Every error policy on the real lab, judged by the checker (issue 13).

One poison record (invalid JSON, with its ``kx-id`` header) sits at offset 3 of partition 0 of each
topic; partition 1 is clean. All five policies run at once (own topics and groups), then one
evidence gathering and one verdict; each test reads its policy's part. The stall threshold is lowered
to 3 s so the stuck partitions show within the test's time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from confluent_kafka import TopicPartition

from tests.engine.test_consumer_support import create_topics, events, wait_processed
from tests.helpers import unique, wait_until
from tui.engine.checker import Verdict, check
from tui.engine.consumer.commands import (
    MemberSpec,
    RemoveMember,
    ResumePartition,
    SetErrorPolicy,
)
from tui.engine.consumer.members import GroupMembers
from tui.engine.context import Connection, EngineContext
from tui.engine.evidence import Sources, gather_history
from tui.engine.history import ConsumerEventKind as K
from tui.engine.history import DltOrigin, History, Outcome, ProducedRecord, ProducerSettings
from tui.engine.record_format import HEADER_ID, headers_for, make_msg_id, poison_value
from tui.kafka import clients
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka

PER_PARTITION = 6
POISON = 3
"""Offset (and seq) of the poison record in partition 0."""
POLICIES = ("skip", "dead-letter", "retry", "pause", "pause-skip", "fail")
THRESHOLD = 3.0


class JsonLedger:
    """JSON records (the producer's format) with one invalid-JSON record, and their ledger."""

    def __init__(self, bootstrap: str, run: str) -> None:
        self.bootstrap = bootstrap
        self.run = run
        self.records: list[ProducedRecord] = []
        self.poison: dict[str, str] = {}
        """topic -> msg_id of its poison record."""

    def produce(self, topic: str) -> None:
        producer = clients.producer({"bootstrap.servers": self.bootstrap, "acks": "all",
                                     "enable.idempotence": True})
        reports: dict[str, tuple[int, int]] = {}
        sent = []
        for partition in (0, 1):
            for seq in range(PER_PARTITION):
                name = f"p{partition}"
                msg_id = make_msg_id(self.run, name, 0, seq)
                value = (poison_value("invalid-json", msg_id.encode(), seq, 0)
                         if (partition, seq) == (0, POISON)
                         else json.dumps({"msg_id": msg_id, "seq": seq, "payload": "x" * 20}).encode())
                if (partition, seq) == (0, POISON):
                    self.poison[topic] = msg_id

                def report(err: Any, msg: Any, msg_id: str = msg_id) -> None:
                    assert err is None, err
                    reports[msg_id] = (msg.partition(), msg.offset())
                producer.produce(topic, value, partition=partition, headers=headers_for(msg_id, self.run, seq),
                                 on_delivery=report)
                sent.append((msg_id, name, seq))
            assert producer.flush(20) == 0  # in order: offset == seq
        for msg_id, name, seq in sent:
            part, offset = reports[msg_id]
            self.records.append(ProducedRecord(
                msg_id=msg_id, producer=name, incarnation=0, seq=seq, topic=topic, partition=part, key=None,
                t_send=time.time(), outcome=Outcome.OK, offset=offset, t_ack=time.time()))

    def history(self, names: object = None) -> tuple[tuple[ProducedRecord, ...], tuple[ProducerSettings, ...]]:
        return tuple(self.records), (ProducerSettings("p0", "all", True, 2147483647, 5),
                                     ProducerSettings("p1", "all", True, 2147483647, 5))


@dataclass
class Runs:
    lab: GroupMembers
    topics: dict[str, str]
    groups: dict[str, str]
    members: dict[str, list[str]]
    ledger: JsonLedger
    history: History
    verdict: Verdict
    bootstrap: str

    def count(self, policy: str, kind: str, judgement: str | None = None) -> int:
        topic = self.topics[policy]
        return sum(a.count for a in self.verdict.of_kind(kind)
                   if a.topic in (topic, f"{topic}.DLT", f"{topic}-errors")
                   and (judgement is None or a.judgement == judgement))

    def violations(self, policy: str) -> list[str]:
        topic = self.topics[policy]
        return [a.explanation for a in self.verdict.anomalies if a.judgement == "violation"
                and a.topic in (topic, f"{topic}.DLT", f"{topic}-errors")]

    def processed(self, policy: str, partition: int) -> list[int]:
        return sorted(e.offset for e in self.lab.history() if e.kind is K.PROCESSED
                      and e.topic == self.topics[policy] and e.partition == partition and e.offset is not None)


def _specs(base: str, topics: dict[str, str], groups: dict[str, str]) -> dict[str, list[MemberSpec]]:
    common: dict[str, Any] = {"value_format": "json", "batch_size": 10}
    return {
        "skip": [MemberSpec(group=groups["skip"], topics=(topics["skip"],), name="skip-m",
                            error_policy="skip", strategy="sync-per-batch", **common)],
        "dead-letter": [MemberSpec(group=groups["dead-letter"], topics=(topics["dead-letter"],), name="dlt-m",
                                   error_policy="dead-letter", strategy="sync-per-message", **common)],
        "retry": [MemberSpec(group=groups["retry"], topics=(topics["retry"],), name="retry-m",
                             error_policy="retry", retries=2, retry_backoff_ms=150, retry_then="dead-letter",
                             dead_letter_topic=f"{topics['retry']}-errors", strategy="sync-per-batch",
                             **common)],
        "pause": [MemberSpec(group=groups["pause"], topics=(topics["pause"],), name="pause-m",
                             error_policy="pause", strategy="sync-per-batch", **common)],
        "pause-skip": [MemberSpec(group=groups["pause-skip"], topics=(topics["pause-skip"],),
                                  name="pause-skip-m", error_policy="pause", strategy="sync-per-batch",
                                  **common)],
        "fail": [MemberSpec(group=groups["fail"], topics=(topics["fail"],), name=f"fail-m{i}",
                            error_policy="fail", strategy="sync-per-message",
                            group_instance_id=f"{base}-fail-m{i}", max_restarts=3, restart_backoff_ms=300,
                            **common) for i in (1, 2)],
    }


@pytest.fixture(scope="module")
def runs(lab1: LabCluster) -> Iterator[Runs]:
    bootstrap = lab1.bootstrap
    ctx = EngineContext(Connection(bootstrap))
    lab = GroupMembers(ctx)
    lab.stalls.threshold = THRESHOLD
    base = unique("pol")
    topics = {p: f"{base}-{p}" for p in POLICIES}
    groups = {p: f"{base}-g-{p}" for p in POLICIES}
    create_topics(bootstrap, list(topics.values()), partitions=2)
    ledger = JsonLedger(bootstrap, ctx.run_id)
    for policy, topic in topics.items():
        if policy != "fail":
            ledger.produce(topic)
    members: dict[str, list[str]] = {}
    try:
        for policy, specs in _specs(base, topics, groups).items():
            members[policy] = [lab.add(spec) for spec in specs]
        # fail: records only once each member owns one partition, so one of them meets the poison
        for name in members["fail"]:
            wait_until(lambda n=name: len(lab.view().member(n).assignment) == 1, 60,  # type: ignore[union-attr]
                       message=f"{name} to own one partition")
        ledger.produce(topics["fail"])
        for policy in ("skip", "dead-letter", "retry"):
            wait_processed(lab, members[policy][0], 0, topics[policy], PER_PARTITION - 1, timeout=60)
        # pause: the poison partition is held (and stuck) while the clean one is read to its end;
        # resumed as it is, the record fails again; switched to skip first, it moves on
        for policy in ("pause", "pause-skip"):
            name = members[policy][0]
            wait_until(lambda n=name: any(p.held_at == POISON  # type: ignore[union-attr]
                                          for p in lab.view().member(n).partitions), 60,
                       message="the pause policy to hold partition 0")
        wait_until(lambda: {s.group for s in lab.view().stuck} >= {groups["pause"], groups["pause-skip"]},
                   30, message="the held partitions to be stuck")
        lab.handle(ResumePartition(members["pause"][0]))
        lab.handle(SetErrorPolicy(members["pause-skip"][0], "skip"))
        lab.handle(ResumePartition(members["pause-skip"][0], by="scenario"))
        wait_until(lambda: PER_PARTITION - 1 in _processed_of(lab, topics["pause-skip"], 0), 30,
                   message="the resumed partition to move past the poison record")
        wait_until(lambda: len([e for e in events(lab, members["pause"][0], K.POLICY)
                                if e.action == "pause"]) == 2, 30, message="the record to be held again")
        # fail: a crash loop until the restart limit
        looping = next(m for m in members["fail"] if events(lab, m, K.CRASH))
        wait_until(lambda: lab.view().member(looping).restarts == 3  # type: ignore[union-attr]
                   and lab.view().member(looping).crashed_by_policy  # type: ignore[union-attr]
                   and lab.view().member(looping).restart_at is None, 90,  # type: ignore[union-attr]
                   message="the crash loop to reach its restart limit")
        wait_until(lambda: any(s.group == groups["fail"] for s in lab.stalls.stalls()), 30,
                   message="the crash loop's partition to be stuck")
        for names in members.values():
            for name in names:
                if lab.view().member(name).state not in ("crashed", "stopped"):  # type: ignore[union-attr]
                    lab.handle(RemoveMember(name))
        for names in members.values():
            for name in names:
                wait_until(lambda n=name: lab.view().member(n).state in ("crashed", "stopped"), 30,  # type: ignore[union-attr]
                           message=f"{name} to stop")
        history = gather_history(Sources(ctx, ledger, lab), timeout=60)  # type: ignore[arg-type]
        yield Runs(lab, topics, groups, members, ledger, history, check(history), bootstrap)
    finally:
        lab.close(15)


def _processed_of(lab: GroupMembers, topic: str, partition: int) -> set[int]:
    return {e.offset for e in lab.history() if e.kind is K.PROCESSED and e.topic == topic
            and e.partition == partition and e.offset is not None}


def _policy_events(runs: Runs, policy: str) -> list[tuple[str, int | None, str | None]]:
    return [(e.kind.value, e.attempt, e.action) for e in runs.lab.history()
            if e.topic == runs.topics[policy] and e.kind in (K.FAILED, K.POLICY, K.DLT_SENT)]


def _committed(bootstrap: str, group: str, topic: str, partition: int) -> int | None:
    consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                 "enable.auto.commit": False})
    try:
        tp = consumer.committed([TopicPartition(topic, partition)], timeout=10)[0]
        return tp.offset if tp.offset >= 0 else None
    finally:
        consumer.close()


def _read_all(bootstrap: str, topic: str) -> list[tuple[int, int, bytes | None, list[tuple[str, bytes]]]]:
    """A plain client's read of a whole topic: (partition, offset, value, headers)."""
    consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": unique("plain"),
                                 "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        parts = sorted(meta.partitions)
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
        consumer.assign([TopicPartition(topic, p, 0) for p in parts])
        out = []
        done = {p for p in parts if ends[p] == 0}
        deadline = time.monotonic() + 30
        while len(done) < len(parts) and time.monotonic() < deadline:
            for msg in consumer.consume(100, timeout=0.5):
                if msg.error() is not None:
                    continue
                headers = msg.headers()
                out.append((msg.partition() or 0, msg.offset() or 0, msg.value(),
                            [(k, v) for k, v in headers] if isinstance(headers, list) else []))
                if (msg.offset() or 0) + 1 >= ends[msg.partition() or 0]:
                    done.add(msg.partition() or 0)
        return sorted(out, key=lambda r: (r[0], r[1]))
    finally:
        consumer.close()


def test_skip_moves_on_and_the_skip_is_expected(runs: Runs) -> None:
    assert _policy_events(runs, "skip") == [("failed", 1, None), ("policy", 1, "skip")]
    assert runs.processed("skip", 0) == [0, 1, 2, 4, 5]
    assert runs.count("skip", "skipped-by-policy", "expected") == 1
    assert runs.count("skip", "skipped") == 0
    assert runs.violations("skip") == []
    assert _committed(runs.bootstrap, runs.groups["skip"], runs.topics["skip"], 0) == PER_PARTITION
    view = runs.lab.view().member(runs.members["skip"][0])
    assert view is not None
    assert (view.failed, view.skipped_by_policy, view.error_policy) == (1, 1, "skip")


def test_dead_letter_writes_exactly_the_poison_record_and_the_verdict_counts_it(runs: Runs) -> None:
    topic = runs.topics["dead-letter"]
    kinds = [e.kind for e in runs.lab.history() if e.topic == topic
             and e.kind in (K.FAILED, K.POLICY, K.DLT_SENT, K.COMMIT_REQ)
             and (e.offset == POISON or e.offsets == ((0, POISON + 1),))]
    assert kinds == [K.FAILED, K.POLICY, K.DLT_SENT, K.COMMIT_REQ], "the commit past it comes after the report"
    dlt = _read_all(runs.bootstrap, f"{topic}.DLT")
    assert len(dlt) == 1
    partition, offset, value, headers = dlt[0]
    origin = DltOrigin.from_headers(offset, headers)
    assert origin is not None
    assert (partition, origin.topic, origin.partition, origin.source_offset, origin.group, origin.error) == (
        0, topic, 0, POISON, runs.groups["dead-letter"], "invalid-json")
    assert dict(headers)[HEADER_ID].decode() == runs.ledger.poison[topic]
    assert value == poison_value("invalid-json", runs.ledger.poison[topic].encode(), POISON, 0)
    assert runs.count("dead-letter", "dead-lettered", "expected") == len(dlt)
    assert f"{topic}.DLT" in runs.history.dead_letter_topics
    assert runs.violations("dead-letter") == []
    assert runs.processed("dead-letter", 0) == [0, 1, 2, 4, 5]
    audit = next(p for p in runs.history.audit.partitions  # type: ignore[union-attr]
                 if p.topic == f"{topic}.DLT" and p.partition == 0)
    assert [o.source_offset for o in audit.dlt_origins] == [POISON]


def test_retry_backs_off_then_dead_letters_with_the_attempt_count(runs: Runs) -> None:
    assert _policy_events(runs, "retry") == [
        ("failed", 1, None), ("policy", 1, "retry"), ("failed", 2, None), ("policy", 2, "retry"),
        ("failed", 3, None), ("policy", 3, "dead-letter"), ("dlt-sent", None, None)]
    trail = [e for e in runs.lab.history() if e.topic == runs.topics["retry"] and e.kind is K.FAILED]
    assert all(b.ts - a.ts >= 0.14 for a, b in zip(trail, trail[1:], strict=False)), "the backoff really waited"
    retries = [e for e in runs.lab.history() if e.topic == runs.topics["retry"] and e.kind is K.POLICY
               and e.action == "retry"]
    assert {e.detail for e in retries} == {"backoff 150 ms"}
    assert len(_read_all(runs.bootstrap, f"{runs.topics['retry']}-errors")) == 1
    (found,) = [a for a in runs.verdict.of_kind("dead-lettered") if a.topic == runs.topics["retry"]]
    assert "after 3 attempts (retry, then dead-letter)" in found.explanation
    assert runs.violations("retry") == []


def _partition0(runs: Runs, policy: str) -> list[Any]:
    return [e for e in runs.lab.history() if e.topic == runs.topics[policy] and e.partition == 0
            and e.kind in (K.FAILED, K.POLICY, K.SEEK)]


def test_pause_holds_one_partition_and_the_rest_flows(runs: Runs) -> None:
    assert runs.processed("pause", 1) == list(range(PER_PARTITION))
    assert runs.processed("pause", 0) == [0, 1, 2]
    trail = [(e.kind.value, e.action, e.offset, e.detail) for e in _partition0(runs, "pause")]
    held = [("failed", None, POISON, trail[0][3]), ("policy", "pause", POISON, None),
            ("seek", None, POISON, None)]
    assert trail == [*held, ("policy", "resume", POISON, "by user"), *held], \
        "resumed as it was, the record is fetched again and held again"
    view = runs.lab.view().member(runs.members["pause"][0])
    assert view is not None
    (stuck,) = [a for a in runs.verdict.of_kind("stuck") if a.topic == runs.topics["pause"]]
    assert (stuck.judgement, stuck.offsets) == ("expected", (POISON,))
    assert "the error policy pause paused the partition" in stuck.explanation
    assert runs.violations("pause") == []
    assert runs.count("pause", "redelivered") >= 1, "the seek back redelivers the held record"
    assert runs.count("pause", "nonmonotonic-poll") == 0


def test_resumed_under_skip_the_partition_moves_on(runs: Runs) -> None:
    trail = [(e.kind.value, e.action, e.detail) for e in _partition0(runs, "pause-skip")]
    assert [t[:2] for t in trail] == [("failed", None), ("policy", "pause"), ("seek", None),
                                      ("policy", "resume"), ("failed", None), ("policy", "skip")]
    assert trail[3][2] == "by scenario"
    assert runs.processed("pause-skip", 0) == [0, 1, 2, 4, 5]
    assert runs.count("pause-skip", "skipped-by-policy", "expected") == 1
    episodes = [s for s in runs.history.stalls if s.group == runs.groups["pause-skip"]]
    assert episodes
    assert not episodes[-1].ongoing, "it moved again once resumed"
    assert episodes[-1].until - episodes[-1].since >= THRESHOLD


def test_a_stall_ended_by_a_skip_is_expected(runs: Runs) -> None:
    (stuck,) = [a for a in runs.verdict.of_kind("stuck") if a.topic == runs.topics["pause-skip"]]
    assert stuck.judgement == "expected", stuck.explanation


def test_fail_is_a_crash_loop_that_stops_only_its_partition(runs: Runs) -> None:
    looping = [m for m in runs.members["fail"] if events(runs.lab, m, K.CRASH)]
    assert len(looping) == 1, "only the member holding the poison partition crashes"
    crashes = events(runs.lab, looping[0], K.CRASH)
    assert len(crashes) == 4, "the first crash and three automatic restarts"
    detail = f"error policy fail on {runs.topics['fail']}/0@{POISON}: invalid-json"
    assert {c.detail for c in crashes} == {detail}
    assert len(events(runs.lab, looping[0], K.RESTART)) == 3
    view = runs.lab.view().member(looping[0])
    assert view is not None
    assert (view.state, view.restarts, view.restart_at, view.crashed_by_policy) == ("crashed", 3, None, True)
    assert runs.processed("fail", 1) == list(range(PER_PARTITION)), "the rest of the group is fine"
    assert runs.processed("fail", 0) == [0, 1, 2]
    assert _committed(runs.bootstrap, runs.groups["fail"], runs.topics["fail"], 0) == POISON
    (stuck,) = [a for a in runs.verdict.of_kind("stuck") if a.topic == runs.topics["fail"]]
    assert (stuck.judgement, stuck.offsets, stuck.msg_ids) == ("expected", (POISON,),
                                                              (runs.ledger.poison[runs.topics["fail"]],))
    assert "a crash loop" in stuck.explanation
    assert runs.violations("fail") == []
