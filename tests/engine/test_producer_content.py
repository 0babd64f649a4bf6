"""Producers on a real 1-node Kafka: value contents and poison records read back by a plain client,
the oversized poison as the producer's own error, a timeout on a missing topic explained once with
its cause, application-level resends in the ledger and the log, acks=0 counted as sent (not acked) by
the view and the verdict, and the compression ratio cross-checked against the log segments on disk."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from tests.helpers import unique
from tui.engine.context import Connection
from tui.engine.engine import Engine
from tui.engine.producer.commands import StartProducer
from tui.engine.producer.profile import ProducerProfile
from tui.engine.producer.views import RunnerView
from tui.engine.producer.workload import Workload, parse_poison
from tui.engine.record_format import HEADER_ID, HEADER_POISON, msg_id_of
from tui.engine.topics import CreateTopic, TopicSpec
from tui.kafka import clients
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka


@pytest.fixture
def engine(lab1: LabCluster) -> Iterator[Engine]:
    with Engine(Connection(lab1.bootstrap), watch=False) as eng:
        yield eng


def _topic(engine: Engine, partitions: int = 1) -> str:
    name = unique("content")
    assert engine.call(CreateTopic(TopicSpec(name, partitions, 1))) is True
    return name


def _run(engine: Engine, profile: ProducerProfile, workload: Workload, timeout: float = 60) -> RunnerView:
    engine.call(StartProducer(profile, workload), timeout=30)
    assert engine.wait_producer(profile.name, timeout)
    view = engine.snapshot().producers.get(profile.name)
    assert view is not None
    return view


def _read(bootstrap: str, topic: str, count: int) -> list[tuple[bytes | None, dict[str, bytes]]]:
    consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": unique("read"),
                                 "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        out: list[tuple[bytes | None, dict[str, bytes]]] = []
        deadline = time.monotonic() + 30
        while len(out) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                pairs: list[tuple[str, object]] = list(msg.headers() or [])
                out.append((msg.value(), {k: v for k, v in pairs if isinstance(v, bytes)}))
        return out
    finally:
        consumer.close()


def test_json_values_and_poison_records_keep_their_msg_id(engine: Engine, lab1: LabCluster) -> None:
    topic = _topic(engine)
    poison = parse_poison("tombstone:at=3")
    view = _run(engine, ProducerProfile("jsonp", linger_ms=0),
                Workload(topic, count=20, value_size=150, value_content="json", poison=poison))
    assert (view.acked, view.poisoned, view.poison) == (20, 1, "tombstone:at=3")
    records = _read(lab1.bootstrap, topic, 20)
    assert len(records) == 20
    ids = [msg_id_of(value, list(headers.items())) for value, headers in records]
    assert ids == [f"{engine.run_id}/jsonp/0/{seq}" for seq in range(20)]
    value, headers = records[3]
    assert value is None
    assert headers[HEADER_POISON] == b"tombstone"
    assert headers[HEADER_ID] == ids[3].encode()
    other = records[4][0]
    assert other is not None
    assert json.loads(other)["seq"] == 4


def test_an_oversized_poison_is_the_producers_own_error(engine: Engine) -> None:
    topic = _topic(engine)
    view = _run(engine, ProducerProfile("bigp", linger_ms=0, resend=2),
                Workload(topic, count=10, poison=parse_poison("oversized:at=2")))
    assert (view.acked, view.failed_definite, view.resent) == (9, 1, 0)  # re-sending cannot help
    [error] = view.errors
    assert error.error == "MSG_SIZE_TOO_LARGE"
    assert "max.message.bytes" in error.explanation


def test_a_missing_topic_is_explained_once(engine: Engine) -> None:
    events = engine.subscribe(kinds=("producer.delivery-error",))
    topic = unique("missing")
    view = _run(engine, ProducerProfile("lostp", message_timeout_ms=2000, linger_ms=0),
                Workload(topic, count=30), timeout=30)
    assert view.failed == 30
    [error] = view.errors
    assert error.explanation == "not acknowledged within message.timeout.ms=2000; the topic does not exist"
    # the runner ended: every event it published is on the bus
    found = [e for e in events.drain(1000) if e.data.get("producer") == "lostp"]
    events.close()
    assert len(found) == 1, found  # once per cause, never per record
    assert found[0].data["cause"] == "the topic does not exist"
    assert "the topic does not exist" in found[0].text


def test_resends_are_new_records_that_name_the_original(engine: Engine) -> None:
    # a topic that does not exist: every send times out, and so does each resend (at most one each)
    view = _run(engine, ProducerProfile("resendp", linger_ms=0, message_timeout_ms=1000, resend=1),
                Workload(unique("missing"), count=5), timeout=60)
    assert view.resent == 5
    assert view.failed == 10
    assert view.resend == 1
    runner = next(r for r in engine.producers.runners() if r.name == "resendp")
    records = list(runner.ledger.records())
    resends = [r for r in records if r.resend_of is not None]
    assert len(resends) == 5
    assert {r.resend_of for r in resends} == {r.msg_id for r in records[:5]}
    assert all(r.seq >= 5 for r in resends)  # the next seqs, their own msg_ids
    assert runner.profile.settings().resend is True


def test_acks0_is_sent_not_acked_in_the_view_and_the_verdict(engine: Engine) -> None:
    topic = _topic(engine)
    view = _run(engine, ProducerProfile("firep", acks="0", linger_ms=0), Workload(topic, count=40))
    assert (view.acked, view.sent_unacknowledged, view.latency.count) == (0, 40, 0)
    verdict = engine.judge((topic,))
    assert (verdict.summary.acked, verdict.summary.sent_no_ack) == (0, 40)


def test_compression_ratio_matches_the_log_on_disk(engine: Engine, lab1: LabCluster) -> None:
    topic = _topic(engine)
    view = _run(engine, ProducerProfile("zstdp", compression="zstd", linger_ms=20),
                Workload(topic, count=3000, value_size=1000, value_content="text"))
    stats = view.stats
    assert stats is not None
    assert stats.compression_ratio is not None
    assert stats.compression_ratio > 2  # text compresses
    on_disk = sum(f.stat().st_size for n in range(1, lab1.spec.nodes + 1)
                  for f in (lab1.node_dir(n) / "data" / f"{topic}-0").glob("*.log"))
    disk_ratio = stats.txmsg_bytes / on_disk
    # the log holds the batches as they were sent: the same ratio, within batch-header noise
    assert abs(disk_ratio / stats.compression_ratio - 1) < 0.1, (disk_ratio, stats.compression_ratio)
    assert Path(lab1.node_dir(1)).exists()
