"""Helpers for the consumer-lab tests: topics, a plain producer with its own ledger, waiting on the log.

The ledger here is built from real delivery reports of a plain ``clients.producer`` (so these tests do
not depend on the producer lab). Not a test module itself: it only holds helpers.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

from tests.helpers import wait_until
from tui.engine.consumer.members import GroupMembers
from tui.engine.history import (
    ConsumerEvent,
    ConsumerEventKind,
    Outcome,
    ProducedRecord,
    ProducerSettings,
)
from tui.engine.record_format import encode_value, headers_for, make_msg_id
from tui.kafka import clients


def create_topics(bootstrap: str, names: list[str], partitions: int = 1) -> None:
    admin = clients.admin({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(n, partitions, 1) for n in names], operation_timeout=15)
    for fut in futures.values():
        fut.result(30)


class Ledger:
    """Produces numbered records with a plain producer and keeps the produce ledger."""

    def __init__(self, bootstrap: str, run: str, name: str = "t") -> None:
        self.bootstrap = bootstrap
        self.run = run
        self.name = name
        self.records: list[ProducedRecord] = []
        self._seq = 0

    def produce(self, topic: str, count: int, partition: int | None = None,
                partitions: int = 1) -> list[ProducedRecord]:
        producer = clients.producer({"bootstrap.servers": self.bootstrap, "acks": "all",
                                     "enable.idempotence": True, "linger.ms": 5})
        acks: dict[str, Any] = {}

        def reporter(msg_id: str) -> Any:
            def report(err: Any, msg: Any) -> None:
                acks[msg_id] = (err, msg.partition(), msg.offset())
            return report

        sent = []
        for _ in range(count):
            seq = self._seq
            self._seq += 1
            msg_id = make_msg_id(self.run, self.name, 0, seq)
            part = partition if partition is not None else seq % partitions
            producer.produce(topic, encode_value(msg_id, 40), key=str(seq).encode(), partition=part,
                             headers=headers_for(msg_id, self.run, seq), on_delivery=reporter(msg_id))
            sent.append((msg_id, seq, time.time()))
        assert producer.flush(20) == 0, "records still unacknowledged after 20 s"
        out = []
        for msg_id, seq, ts in sent:
            err, part, offset = acks[msg_id]
            assert err is None, f"produce failed: {err}"
            out.append(ProducedRecord(msg_id=msg_id, producer=self.name, incarnation=0, seq=seq,
                                      topic=topic, partition=part, key=str(seq).encode(), t_send=ts,
                                      outcome=Outcome.OK, offset=offset, t_ack=time.time()))
        self.records.extend(out)
        return out

    def history(self, names: object = None
                ) -> tuple[tuple[ProducedRecord, ...], tuple[ProducerSettings, ...]]:
        """The ledger as the engine's producers give it (``names``: every producer here)."""
        return tuple(self.records), (ProducerSettings(self.name, "all", True, 2147483647, 5),)


def events(lab: GroupMembers, member: str | None = None, kind: ConsumerEventKind | None = None,
           incarnation: int | None = None) -> list[ConsumerEvent]:
    return [e for e in lab.history()
            if (member is None or e.member == member) and (kind is None or e.kind is kind)
            and (incarnation is None or e.incarnation == incarnation)]


def wait_processed(lab: GroupMembers, member: str, incarnation: int, topic: str, offset: int,
                   timeout: float = 40.0) -> None:
    """Wait until that incarnation processed ``offset`` of ``topic`` (any partition)."""
    wait_until(lambda: any(e.topic == topic and e.offset == offset
                           for e in events(lab, member, ConsumerEventKind.PROCESSED, incarnation)),
               timeout, message=f"{member}#{incarnation} to process offset {offset} of {topic}")


def wait_state(lab: GroupMembers, member: str, states: tuple[str, ...], timeout: float = 40.0) -> None:
    def ok() -> bool:
        view = lab.view().member(member)
        return view is not None and view.state in states
    wait_until(ok, timeout, message=f"{member} to be {'/'.join(states)}")


def processed_twice(lab: GroupMembers, group: str) -> int:
    """Offsets (per topic-partition) processed more than once by members of ``group``."""
    counts = Counter((e.topic, e.partition, e.offset) for e in lab.history()
                     if e.group == group and e.kind is ConsumerEventKind.PROCESSED)
    return sum(1 for n in counts.values() if n > 1)


def committed(bootstrap: str, group: str, topic: str, partition: int = 0) -> int | None:
    consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                 "enable.auto.commit": False})
    try:
        tp = consumer.committed([TopicPartition(topic, partition)], timeout=10)[0]
        return tp.offset if tp.offset >= 0 else None
    finally:
        consumer.close()
