"""Group member delivery rate versus a plain confluent-kafka consumer loop on the same topic.

Produces ``--count`` records (300,000; 100-byte values, kafka-explorer's record format) once into a
3-partition topic, then in one run:

* a plain ``Consumer.consume(500)`` loop with a fresh group reads them all (checking each message's
  error, nothing else: the floor any Python consumer pays); and, for reference, the same loop also
  reading each record's headers (``Message.headers()``, where the msg_id travels: about half of what
  a member spends per record goes there);
* one explorer group member (``auto`` strategy, batch size 500, a fresh group, through the public
  engine API) reads them from the start: a real member process that sends every DELIVER and
  PROCESSED to the parent's consumption log;
* three members of another fresh group read them (the group's total delivery rate).

Both sides run with librdkafka's defaults except ``fetch.queue.backoff.ms`` (see ``TUNING``).
The three alternate for ``--rounds`` rounds (best of each) so a noisy neighbour hurts all alike.
Rates are counted between deliveries: records delivered after the first observed batch, divided by
the time from that batch to the last delivery (the same rule for the plain loop, whose timestamps
are taken the same way right after ``consume()`` returns). It also says how long after the last
delivery the parent had every record's PROCESSED in its log, and checks nothing is missing from the
log. Target: member/plain >= 0.5 (aim 0.8).

Cluster: ``--bootstrap``, else the lab in ``$KX_BENCH_LAB_DIR``, else a temporary 1-node lab.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from dataclasses import dataclass

from confluent_kafka import Consumer

from bench.common import bench_cluster, wait_for
from tui.engine import (
    COLUMNS_COMPILED,
    AddMember,
    Connection,
    CreateTopic,
    DeleteTopic,
    Engine,
    MemberSpec,
    MemberView,
    ProducerProfile,
    RemoveMember,
    StartProducer,
    TopicSpec,
    Workload,
)

TUNING = {"fetch.queue.backoff.ms": "10"}
"""On both sides. librdkafka's default (1000 ms) postpones a partition's next fetch while its queue is
over the prefetch thresholds, and a consumer that drains faster than that then waits ~0.5 s: how
many such waits a run hits, not how fast it consumes, would decide its rate."""
TARGET = 0.5
AIM = 0.8
BATCH = 500
PARTITIONS = 3


@dataclass
class Rate:
    records: int
    """Records delivered after the first observed batch."""
    seconds: float

    @property
    def per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def produce(engine: Engine, topic: str, count: int) -> None:
    engine.call(CreateTopic(TopicSpec(topic, partitions=PARTITIONS)))
    name = "benchfill"
    engine.call(StartProducer(ProducerProfile(name, acks="1", linger_ms=5),
                              Workload(topic, count=count, value_size=100)))

    def done() -> bool:
        view = engine.snapshot().producers.get(name)
        return view is not None and not view.active
    wait_for(done, 300, "the records to be produced", interval=0.1)
    view = engine.snapshot().producers.get(name)
    if view is None or view.acked != count:
        raise SystemExit(f"only {view.acked if view else 0} of {count} records were acked")


def plain_loop(bootstrap: str, topic: str, count: int, headers: bool = False) -> Rate:
    """``headers``: also read each record's headers (where its msg_id travels), for reference."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-plain-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", **TUNING})
    consumer.subscribe([topic])
    seen = 0
    first: tuple[float, int] | None = None
    last = 0.0
    deadline = time.monotonic() + 300
    try:
        while seen < count and time.monotonic() < deadline:
            msgs = consumer.consume(num_messages=BATCH, timeout=0.5)
            now = time.time()
            for msg in msgs:
                if msg.error() is None:
                    seen += 1
                    if headers:
                        msg.headers()
            if msgs:
                last = now
                if first is None:
                    first = (now, seen)
    finally:
        consumer.close()
    if seen < count or first is None:
        raise SystemExit(f"the plain loop read only {seen} of {count} records")
    return Rate(count - first[1], last - first[0])


def _members(engine: Engine, names: list[str]) -> list[MemberView]:
    view = engine.snapshot().consumers
    return [m for m in (view.member(n) for n in names) if m is not None]


def explorer(bootstrap: str, topic: str, count: int, members: int) -> tuple[Rate, float, int]:
    """(delivery rate, seconds from the last delivery until the parent had every PROCESSED,
    log events recorded) for ``members`` members of a fresh group, in an engine of their own."""
    with Engine(Connection(bootstrap), watch=False) as engine:
        return _explorer(engine, topic, count, members)


def _explorer(engine: Engine, topic: str, count: int, members: int) -> tuple[Rate, float, int]:
    group = f"bench-kx-{uuid.uuid4().hex[:10]}"
    before = engine.snapshot().consumers.log_events
    names = [engine.call(AddMember(MemberSpec(group=group, topics=(topic,), strategy="auto",
                                              batch_size=BATCH, name=f"{group}-{i}",
                                              extra=tuple(TUNING.items()))))
             for i in range(members)]

    def first_seen() -> tuple[int, float] | None:
        views = _members(engine, names)
        delivered = sum(m.delivered for m in views)
        stamps = [r.ts for m in views for r in m.recent]
        return (delivered, max(stamps)) if delivered and stamps else None
    d0, t0 = wait_for(first_seen, 120, "the first delivery", interval=0.005)

    def all_processed() -> float | None:
        views = _members(engine, names)
        return time.time() if sum(m.processed for m in views) >= count else None
    recorded_at = wait_for(all_processed, 300, f"{count} records processed", interval=0.05)
    views = _members(engine, names)
    delivered = sum(m.delivered for m in views)
    t_last = max(r.ts for m in views for r in m.recent)
    for name in names:
        engine.call(RemoveMember(name))

    def gone() -> bool:
        return all(m.state in ("stopped", "crashed") for m in _members(engine, names))
    wait_for(gone, 60, "the members to leave", interval=0.05)
    after = engine.snapshot().consumers
    if after.log_dropped:
        raise SystemExit(f"the consumption log dropped {after.log_dropped} events")
    return Rate(delivered - d0, t_last - t0), recorded_at - t_last, after.log_events - before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bootstrap", help="use this cluster instead of a lab")
    parser.add_argument("--count", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with bench_cluster(args.bootstrap, "kx-bench-cons-") as bootstrap:
        topic = f"bench-consumer-{int(time.time())}-{uuid.uuid4().hex[:6]}"
        with Engine(Connection(bootstrap), watch=False) as engine:
            produce(engine, topic, args.count)
            try:
                measure(args, bootstrap, topic)
            finally:  # a reused lab keeps nothing of a run
                engine.call(DeleteTopic(topic))
    return 0


def measure(args: argparse.Namespace, bootstrap: str, topic: str) -> None:
    """The rounds and the ratios."""
    n = args.count
    labels = ("plain", "plain+headers", "1 member", "3 members")
    best = {label: 0.0 for label in labels}
    print(f"topic {topic}: {n} records of 100 bytes in {PARTITIONS} partitions; the members read "
          f"each batch's columns with the "
          f"{'compiled (C) reader' if COLUMNS_COMPILED else 'Python reader (make install builds the C one)'}",
          flush=True)
    for round_no in range(1, args.rounds + 1):
        for label, with_headers in (("plain", False), ("plain+headers", True)):
            plain = plain_loop(bootstrap, topic, n, with_headers)
            best[label] = max(best[label], plain.per_s)
            print(f"round {round_no}: {label:<18} {plain.per_s:>9,.0f} rec/s "
                  f"({plain.records} records in {plain.seconds:.2f} s between deliveries)",
                  flush=True)
        for members, label in ((1, labels[2]), (3, labels[3])):
            rate, lag, events = explorer(bootstrap, topic, n, members)
            best[label] = max(best[label], rate.per_s)
            print(f"round {round_no}: explorer {label:<9} {rate.per_s:>9,.0f} rec/s "
                  f"({rate.records} deliveries in {rate.seconds:.2f} s); every PROCESSED in the "
                  f"parent's log {lag * 1000:.0f} ms after the last delivery; {events} events",
                  flush=True)
    for label in labels[2:]:
        ratio = best[label] / best["plain"] if best["plain"] else 0.0
        print(f"{label}/plain: {ratio:.2f} (best {best[label]:,.0f} vs {best['plain']:,.0f} "
              f"rec/s; target >= {TARGET}, aim {AIM})", flush=True)
        ratio = best[label] / best["plain+headers"] if best["plain+headers"] else 0.0
        print(f"{label}/plain+headers: {ratio:.2f} (reference: a loop that reads each "
              f"record's headers, where its msg_id is)", flush=True)

if __name__ == "__main__":
    sys.exit(main())
