"""Producer lab against a real 1-node Kafka: key placement vs Java, acks=0, ledger vs read-back,
rate limiting, refusals, bounded shutdown and the headless command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from tests.helpers import unique, wait_until
from tui.engine.context import Connection
from tui.engine.engine import Engine
from tui.engine.history import Outcome
from tui.engine.producer.commands import StartProducer, StopProducer
from tui.engine.producer.profile import ProducerProfile
from tui.engine.producer.workload import Workload, parse_key_mode
from tui.engine.record_format import encode_value, msg_id_of
from tui.engine.topics import CreateTopic, TopicSpec
from tui.kafka import clients
from tui.lab.jars import classpath, ensure_jars
from tui.lab.java import java_executable

pytestmark = pytest.mark.kafka


@pytest.fixture
def engine(bootstrap1: str) -> Iterator[Engine]:
    with Engine(Connection(bootstrap1), watch=False) as eng:
        yield eng


def _topic(engine: Engine, partitions: int) -> str:
    name = unique("prod")
    assert engine.call(CreateTopic(TopicSpec(name, partitions, 1))) is True
    return name


def read_back(bootstrap: str, topic: str, partitions: int,
              timeout: float = 30.0) -> dict[tuple[int, int], tuple[bytes | None, str | None]]:
    """Every record of ``topic`` up to the high watermark: (partition, offset) -> (key, msg_id)."""
    consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": unique("readback"),
                                 "enable.auto.commit": False})
    try:
        highs = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                 for p in range(partitions)}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        out: dict[tuple[int, int], tuple[bytes | None, str | None]] = {}
        done = {p for p, high in highs.items() if high == 0}
        deadline = time.monotonic() + timeout
        while len(done) < partitions:
            assert time.monotonic() < deadline, "read-back did not reach the high watermarks"
            msg = consumer.poll(0.5)
            if msg is None or msg.error() is not None:
                continue
            part, offset = int(msg.partition() or 0), int(msg.offset() or 0)
            headers: Any = msg.headers()
            msg_id = msg_id_of(msg.value(), headers)
            if msg_id is not None:  # the value carries the same id as the kx-id header
                assert encode_value(msg_id, len(msg.value() or b"")) == msg.value()
            out[(part, offset)] = (msg.key(), msg_id)
            if offset + 1 >= highs[part]:
                done.add(part)
        return out
    finally:
        consumer.close()


def test_keys_land_on_the_partitions_java_picks(engine: Engine, bootstrap1: str) -> None:
    ours, javas = _topic(engine, 6), _topic(engine, 6)
    engine.call(StartProducer(ProducerProfile("keys", acks="1"),
                              Workload(ours, count=60, key_mode=parse_key_mode("cycle:60"))))
    assert engine.producers.wait_done("keys", 30)
    placed = {r.key: r.partition for r in engine.producers.history()[0]}
    assert len(set(placed.values())) > 1  # keys really spread
    lines = "".join(f"{key.decode()}:v\n" for key in placed if key is not None)
    cmd = [java_executable(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
           "-cp", classpath(ensure_jars()), "org.apache.kafka.tools.ConsoleProducer",
           "--bootstrap-server", bootstrap1, "--topic", javas,
           "--property", "parse.key=true", "--property", "key.separator=:"]
    proc = subprocess.run(cmd, input=lines, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-500:]
    java_placed = {key: part for (part, _), (key, _) in read_back(bootstrap1, javas, 6).items()}
    assert len(java_placed) == 60
    assert java_placed == placed


def test_acks0_reports_have_no_offset(engine: Engine) -> None:
    topic = _topic(engine, 2)
    engine.call(StartProducer(ProducerProfile("fire", acks="0"),
                              Workload(topic, count=300, key_mode=parse_key_mode("fixed:same"))))
    assert engine.producers.wait_done("fire", 30)
    records = engine.producers.history()[0]
    assert len(records) == 300
    assert {r.outcome for r in records} == {Outcome.OK_NO_OFFSET}
    assert all(r.offset is None for r in records)
    assert {r.key for r in records} == {b"same"}
    assert len({r.partition for r in records}) == 1  # one key, one partition
    view = engine.snapshot().producers.get("fire")
    assert view is not None
    # sent, never acknowledged: not "acked", and no ack latency
    assert (view.acked, view.sent_unacknowledged, view.state) == (0, 300, "done")
    assert view.latency.count == 0
    assert view.latency_p50 is None
    assert all(d.offset is None for d in view.recent)


def test_ledger_agrees_with_a_fresh_consumer(engine: Engine, bootstrap1: str) -> None:
    """Two profiles side by side into one topic; every acked record is read back at its offset."""
    topic = _topic(engine, 3)
    for name, acks in (("side-all", "all"), ("side-1", "1")):
        engine.call(StartProducer(ProducerProfile(name, acks=acks, linger_ms=2),
                                  Workload(topic, count=1500, key_mode=parse_key_mode("random"),
                                           value_size=200, headers=(("origin", b"test"),))))
    assert engine.producers.wait_done("side-all", 60)
    assert engine.producers.wait_done("side-1", 60)
    records, settings = engine.producers.history()
    assert {s.name: s.acks for s in settings} == {"side-all": "all", "side-1": "1"}
    acked = {(r.partition, r.offset): (r.key, r.msg_id) for r in records if r.outcome is Outcome.OK}
    assert len(acked) == 3000
    seen = read_back(bootstrap1, topic, 3)
    assert seen == acked
    views = {v.name: v for v in engine.snapshot().producers.runners}
    assert views["side-all"].acked == 1500
    assert sum(n for _, n in views["side-1"].partitions) == 1500
    assert views["side-all"].latency_p50 is not None
    assert views["side-all"].latency_p99 is not None
    assert views["side-all"].latency_p50 <= views["side-all"].latency_p99


def test_rate_limit_is_within_ten_percent(engine: Engine) -> None:
    topic = _topic(engine, 1)
    engine.call(StartProducer(ProducerProfile("paced", acks="1"),
                              Workload(topic, count=600, rate=300.0)))
    assert engine.producers.wait_done("paced", 30)
    sends = [r.t_send for r in engine.producers.history()[0]]
    measured = (len(sends) - 1) / (sends[-1] - sends[0])
    assert 270.0 <= measured <= 330.0, measured



def _thread_cpu(name: str) -> float:
    """CPU seconds used so far by the thread called ``name`` (from /proc)."""
    thread = next(t for t in threading.enumerate() if t.name == name)
    fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads thread CPU from /proc")
def test_a_paced_producer_waits_for_its_tokens_instead_of_spinning(engine: Engine) -> None:
    """At 5,000 records/s the next token is 0.2 ms away, and a poll() shorter than a millisecond
    returns at once: the loop used to spin a whole core (taking the GIL from the TUI) to send what
    a tenth of that sends. The rate still holds."""
    topic = _topic(engine, 3)
    name = unique("pace")
    engine.call(StartProducer(ProducerProfile(name, acks="1", linger_ms=5),
                              Workload(topic, count=15_000, rate=5_000.0)))
    thread = f"producer-runner:{name}"
    wait_until(lambda: any(t.name == thread for t in threading.enumerate()), 10,
               message="the runner thread")
    wall0, cpu0 = time.monotonic(), _thread_cpu(thread)

    def sent() -> bool:
        view = engine.snapshot().producers.get(name)
        return view is not None and view.sent >= 10_000
    wait_until(sent, 30, message="10,000 records sent")
    wall, cpu = time.monotonic() - wall0, _thread_cpu(thread) - cpu0
    assert engine.producers.wait_done(name, 30)
    assert cpu < 0.5 * wall, f"the runner used {cpu:.2f} s of CPU in {wall:.2f} s"
    sends = [r.t_send for r in engine.producers.history(only={name})[0]]
    measured = (len(sends) - 1) / (sends[-1] - sends[0])
    assert 4_500.0 <= measured <= 5_500.0, measured

def test_idempotence_with_acks1_is_refused_and_engine_goes_on(engine: Engine) -> None:
    topic = _topic(engine, 1)
    with pytest.raises(ValueError, match="Idempotence needs acks=all"):
        engine.call(StartProducer(ProducerProfile("bad", acks="1", idempotence=True), Workload(topic, count=1)))
    with pytest.raises(ValueError, match="does not know the property 'no.such.thing'"):
        engine.call(StartProducer(ProducerProfile("bad", extra={"no.such.thing": "1"}),
                                  Workload(topic, count=1)))
    with pytest.raises(ValueError, match="transactional.id is only used"):
        engine.call(StartProducer(ProducerProfile("bad", transactional_id="tx"), Workload(topic, count=1)))
    engine.call(StartProducer(ProducerProfile("good", acks="all", idempotence=True), Workload(topic, count=10)))
    assert engine.producers.wait_done("good", 30)
    assert engine.snapshot().producers.get("good").acked == 10  # type: ignore[union-attr]
    assert engine.snapshot().producers.get("bad") is None


def test_a_required_topic_is_asked_of_the_cluster_before_the_producer_starts(engine: Engine) -> None:
    missing = f"{_topic(engine, 1)}-not-created"
    with pytest.raises(ValueError, match=f"Topic '{missing}' does not exist"):
        engine.call(StartProducer(ProducerProfile("needs"), Workload(missing, count=1),
                                  require_topic=True))
    assert engine.snapshot().producers.get("needs") is None
    existing = _topic(engine, 1)
    engine.call(StartProducer(ProducerProfile("needs"), Workload(existing, count=3), require_topic=True))
    assert engine.producers.wait_done("needs", 30)


def test_stop_flushes_and_a_name_can_run_again(engine: Engine) -> None:
    topic = _topic(engine, 2)
    events = engine.subscribe(kinds=("producer.",))
    engine.call(StartProducer(ProducerProfile("loop"), Workload(topic, rate=500.0)))
    wait_until(lambda: (v := engine.snapshot().producers.get("loop")) is not None and v.acked >= 200,
               timeout=20, message="200 acks")
    engine.call(StopProducer("loop"))
    assert engine.producers.wait_done("loop", 15)
    first = engine.snapshot().producers.get("loop")
    assert first is not None
    assert first.state == "stopped"
    assert first.acked == first.sent
    engine.call(StartProducer(ProducerProfile("loop"), Workload(topic, count=5)))
    assert engine.producers.wait_done("loop", 15)
    runs = [v for v in engine.snapshot().producers.runners if v.name == "loop"]
    assert [v.incarnation for v in runs] == [0, 1]
    msg_ids = [r.msg_id for r in engine.producers.history()[0]]
    assert len(set(msg_ids)) == len(msg_ids)
    kinds = [e.kind for e in events.drain()]
    assert kinds.count("producer.started") == 2
    assert "producer.stopped" in kinds
    assert "producer.done" in kinds


def test_shutdown_is_bounded_against_an_unreachable_broker() -> None:
    before = set(threading.enumerate())
    engine = Engine(Connection("127.0.0.1:1"), watch=False)
    engine.start()
    engine.call(StartProducer(ProducerProfile("void", message_timeout_ms=60_000),
                              Workload("nowhere", rate=200.0)))
    wait_until(lambda: engine.producers.runners()[0].ledger.sent >= 50, timeout=10,
               message="records queued")
    started = time.monotonic()
    engine.close(timeout=5.0)
    elapsed = time.monotonic() - started
    assert elapsed < 6.0, elapsed
    view = engine.producers.view().get("void")
    assert view is not None
    assert view.state == "stopped"
    assert view.acked == 0
    # every queued record was purged (definite) or never reported; none is silently "acked"
    assert view.failed_definite + view.failed_indefinite + view.unknown == view.sent
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == [], left


def test_headless_produce_prints_every_delivery(bootstrap1: str) -> None:
    topic = unique("prod-cli")
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "produce", topic, "-b", bootstrap1, "--create-topic",
         "--partitions", "2", "--count", "150", "--acks", "1", "--key-mode", "hot:50",
         "--json", "--records", "--interval", "0"],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    deliveries = [x for x in lines if x["type"] == "delivery"]
    final = lines[-1]
    assert final["type"] == "final"
    assert (final["acked"], final["failed_definite"], final["unknown"]) == (150, 0, 0)
    assert [d["seq"] for d in deliveries] == list(range(150))
    assert len({(d["partition"], d["offset"]) for d in deliveries}) == 150
    assert any(d["key"] == "hot" for d in deliveries)
    assert proc.stderr == ""


def test_headless_produce_into_a_missing_topic_says_so_and_sends_nothing(bootstrap1: str) -> None:
    topic = unique("prod-missing")
    proc = subprocess.run([sys.executable, "-m", "tui", "produce", topic, "-b", bootstrap1, "--count", "5"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f"kafka-explorer: Topic {topic!r} does not exist; create it first or "
                                   "add --create-topic.")
    with Engine(Connection(bootstrap1), watch=False) as engine, \
            pytest.raises(ValueError, match="does not exist"):
        engine.partition_counts([topic])  # nothing created it on the way
