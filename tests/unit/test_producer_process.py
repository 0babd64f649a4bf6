"""The producer in a process of its own: its ledger reaches the parent whole, a child that dies is
said (its unreported records stay unknown), and a child whose parent died does not outlive it.
No cluster needed: the wire is checked on a ledger filled by hand, the processes against a bootstrap
address nobody listens on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest
from confluent_kafka import KafkaError

from tests.unit.test_producer_ledger import FakeMsg
from tui.engine.consumer.wire import FrameReader, encode_event
from tui.engine.context import Connection, EngineContext
from tui.engine.history import Outcome
from tui.engine.producer.child_main import LedgerShipper
from tui.engine.producer.commands import StartProducer
from tui.engine.producer.process import ProducerProcess
from tui.engine.producer.producers import Producers
from tui.engine.producer.profile import ProducerProfile
from tui.engine.producer.runner import ProducerRunner
from tui.engine.producer.workload import Workload, parse_key_mode

NOBODY = "127.0.0.1:1"


class WireChannel:
    """Frames through the real encoding and frame reader, kept for the mirror."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self._reader = FrameReader()

    def send(self, frame: str, /, **fields: Any) -> None:
        for decoded in self._reader.feed(encode_event({"k": frame, **fields})):
            assert isinstance(decoded, dict)
            self.frames.append(decoded)


def _pair(key_mode: str, resend: int = 0) -> tuple[ProducerRunner, ProducerProcess]:
    ctx = EngineContext(Connection(NOBODY), run_id="run00042")
    profile = ProducerProfile("p", retries=0, resend=resend)
    workload = Workload("t", count=10, key_mode=parse_key_mode(key_mode))
    return (ProducerRunner(ctx, profile, workload, 3), ProducerProcess(ctx, profile, workload, 3))


def test_the_mirror_ledger_is_the_childs_ledger() -> None:
    runner, mirror = _pair("cycle:4", resend=1)
    led = runner.ledger
    channel = WireChannel()
    shipper = LedgerShipper(runner, channel)  # type: ignore[arg-type]
    for seq in range(6):
        led.sent_one(seq % 4, 100.0 + seq)
    led.deliver(0, None, FakeMsg(1, 10, 0.004))
    led.deliver(2, KafkaError(KafkaError.NOT_ENOUGH_REPLICAS), FakeMsg(2, -1, None))
    shipper.ship()
    led.deliver(1, None, FakeMsg(0, 11, 0.002))
    led.sent_one(3, 107.0)
    led.unsend_last()  # produce() raised after the ledger was shipped: taken back
    shipper.ship()
    led.sent_one(2, 108.0)  # the resend of seq 2 (re-sending is the runner's; the ledger notes it)
    led.resent(6, 2)
    led.deliver(3, KafkaError(KafkaError._MSG_TIMED_OUT), FakeMsg(2, -1, None))
    led.deliver(6, None, FakeMsg(2, 12, 0.003))
    led.absorb()
    runner.state = "draining"
    shipper.ship()
    for frame in channel.frames:
        mirror._frame(frame)
    assert list(mirror.ledger.records()) == list(led.records())
    assert [r.outcome for r in mirror.ledger.records()][:4] == [
        Outcome.OK, Outcome.OK, Outcome.FAIL_DEFINITE, Outcome.FAIL_INDEFINITE]
    assert mirror.ledger.sent == 7
    assert (mirror.ledger.acked, mirror.ledger.failed_definite, mirror.ledger.failed_indefinite,
            mirror.ledger.pending) == (led.acked, led.failed_definite, led.failed_indefinite, 2)
    assert mirror.ledger.errors == led.errors
    assert mirror.ledger.per_partition == led.per_partition == {0: 1, 1: 1, 2: 1}
    assert mirror.ledger.histogram.counts == led.histogram.counts
    assert sum(led.histogram.counts.values()) == 3
    assert mirror.ledger.to_resend == []  # re-sending is the child's business
    mine, theirs = mirror.view(), runner.view()
    assert (mine.state, mine.sent, mine.acked, mine.errors) == ("draining", theirs.sent,
                                                                 theirs.acked, theirs.errors)


def _producers() -> tuple[Producers, EngineContext]:
    ctx = EngineContext(Connection(NOBODY))
    return Producers(ctx), ctx


def test_a_killed_producer_process_is_said_and_its_records_stay_unknown() -> None:
    producers, ctx = _producers()
    producers.handle(StartProducer(ProducerProfile("k", message_timeout_ms=300_000),
                                   Workload("t", count=50)))
    runner = producers.runners()[0]
    deadline = time.monotonic() + 20
    while runner.ledger.sent < 50:
        assert time.monotonic() < deadline, "the child never shipped its sends"
        time.sleep(0.05)
    assert runner.proc is not None
    runner.proc.kill()
    assert not producers.wait_done("k", 20)  # ended, with records unreported
    view = producers.view().runners[0]
    assert view.state == "failed"
    assert view.message is not None
    assert "ended unexpectedly (signal 9)" in view.message
    assert view.unknown == 50
    records, _ = producers.history()
    assert {r.outcome for r in records} == {Outcome.UNKNOWN}
    assert any(e.kind == "producer.error" and "ended unexpectedly" in e.text
               for e in ctx.bus.history)


def test_a_property_librdkafka_rejects_is_one_sentence_from_the_child() -> None:
    producers, _ = _producers()
    with pytest.raises(ValueError, match="no.such.property") as refused:
        producers.handle(StartProducer(ProducerProfile("b", extra={"no.such.property": "1"}),
                                       Workload("t", count=1)))
    assert "\n" not in str(refused.value)
    assert producers.runners() == ()


SCRIPT = """
import sys, time
from tui.engine.context import Connection, EngineContext
from tui.engine.producer.commands import StartProducer
from tui.engine.producer.producers import Producers
from tui.engine.producer.profile import ProducerProfile
from tui.engine.producer.workload import Workload
producers = Producers(EngineContext(Connection(sys.argv[1])))
producers.handle(StartProducer(ProducerProfile("orphan", message_timeout_ms=300_000),
                               Workload("t", count=None, rate=100.0)))
print(producers.runners()[0].proc.pid, flush=True)
time.sleep(120)
"""


def test_a_producer_process_does_not_outlive_its_parent() -> None:
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT, NOBODY], stdout=subprocess.PIPE,
                              text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait(10)
    deadline = time.monotonic() + 20
    while _alive(child):
        assert time.monotonic() < deadline, "the producer process outlived its parent"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose (its parent died; init reaps it)
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False
