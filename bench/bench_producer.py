"""Producer runner throughput versus a raw confluent-kafka loop, its memory, and Kafka's own tool.

Same run, same lab, same settings (acks=1, linger.ms=5, 100-byte values, no keys,
murmur2_random, 3 partitions): ``--count`` records (500,000) through

* ``raw-constant``: a raw ``Producer.produce`` + ``poll(0)`` loop with a counting delivery callback
  and one constant value with the same three small headers (the client's own floor);
* ``raw-same-records``: the same loop building the records the engine sends (msg_id in the value
  and the headers, written as tightly as we know how) -- the loop the target compares with;
* ``raw-tight``: the same records sent the way the engine's runner calls the client -- every
  ``produce()`` argument positional (keyword arguments cost more than the rest of its argument
  parsing) and ``poll(0)`` after every 8th send -- so engine/raw-tight is what the ledger itself
  costs;
* ``engine``: the engine's producer runner through the public engine API (unique records, the full
  delivery ledger, latency histogram, live counters);
* Kafka's own ``org.apache.kafka.tools.ProducerPerformance`` (Java client, for reference).

Raw and engine runs alternate (``--rounds``, best of each) so a noisy neighbour hurts all alike.
Throughput is records acked per second of wall time from creating the client to the last delivery
report; CPU is the whole process's CPU time per record over the same span. Prints the
engine/raw ratios (target >= 0.95 against raw-same-records) and the memory the engine keeps per
record sent (tracemalloc over a separate engine run; target <= 150 MB per million).

Cluster: ``--bootstrap``, else the lab in ``$KX_BENCH_LAB_DIR``, else a temporary 1-node lab.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import tracemalloc
import uuid
from typing import Any

from confluent_kafka import Producer

from bench.common import bench_cluster
from tui.engine import (
    Connection,
    CreateTopic,
    DeleteTopic,
    Engine,
    ProducerProfile,
    StartProducer,
    TopicSpec,
    Workload,
    encode_value,
    headers_for,
)
from tui.lab.jars import classpath, ensure_jars
from tui.lab.java import java_executable

PERF = "org.apache.kafka.tools.ProducerPerformance"
TARGET = 0.95
MEMORY_TARGET_MB = 150


def profile(name: str, acks: str) -> ProducerProfile:
    return ProducerProfile(name, acks=acks, linger_ms=5)


def raw_loop(bootstrap: str, topic: str, count: int, size: int, acks: str,
             unique_ids: bool, tight: bool = False) -> tuple[float, float, int]:
    """The raw client: returns (wall seconds, process CPU seconds, acked).

    ``unique_ids``: build the same records the engine sends (msg_id in value and headers, written
    as tightly as we know how); otherwise send one constant value (the client's own floor).
    ``tight``: call the client the way the engine's runner does (positional arguments, poll(0)
    every 8 sends).
    """
    acked = [0]

    def on_delivery(err: Any, msg: Any) -> None:
        if err is None:
            acked[0] += 1

    conf = {"bootstrap.servers": bootstrap, **profile("raw", acks).to_conf(),
            "on_delivery": on_delivery}
    value = encode_value("benchrun/raw/0/0", size)
    headers: list[tuple[str, str | bytes | None]] = list(headers_for("benchrun/raw/0/0", "benchrun", 0))
    prefix = b"benchrun/raw/0/"
    run = ("kx-run", b"benchrun")
    started, cpu = time.perf_counter(), time.process_time()
    producer = Producer(conf)
    produce, poll = producer.produce, producer.poll
    poll_mask = 7 if tight else 0
    for seq in range(count):
        if unique_ids:
            seq_b = b"%d" % seq
            msg_id = prefix + seq_b
            head = b"kx|" + msg_id + b"|"
            value = head + b"." * (size - len(head))
            headers = [("kx-id", msg_id), run, ("kx-seq", seq_b)]
        while True:
            try:
                if tight:
                    produce(topic, value, None, -1, None, None, 0, headers)
                else:
                    produce(topic, value, headers=headers)
                break
            except BufferError:
                poll(0.1)
        if not seq & poll_mask:
            poll(0)
    producer.flush(60)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return elapsed, cpu, acked[0]


def engine_run(engine: Engine, topic: str, count: int, size: int, acks: str,
               name: str) -> tuple[float, float, int]:
    """The engine's runner: returns (wall seconds, CPU seconds of the producer's process and of
    this one, acked)."""
    cpu = time.process_time()
    engine.call(StartProducer(profile(name, acks), Workload(topic, count=count, value_size=size)))
    if not engine.wait_producer(name, 300):
        raise SystemExit("the engine run did not finish")
    cpu = time.process_time() - cpu
    view = engine.snapshot().producers.get(name)
    if view is None or view.ended_at is None:
        raise SystemExit("the engine run left no view")
    cpu += view.cpu_seconds  # the runner has a process of its own
    # to the last delivery report, like the raw loops (the runner then waits up to one statistics
    # interval for librdkafka's last statistics before it closes the client)
    end = view.last_report_at or view.ended_at
    return end - view.started_at, cpu, view.acked


def engine_memory(engine: Engine, topic: str, count: int, size: int, acks: str) -> float:
    """Bytes the engine keeps per record sent, by tracemalloc, with the runner done."""
    name = f"benchmem{uuid.uuid4().hex[:6]}"
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        engine.call(StartProducer(profile(name, acks), Workload(topic, count=count, value_size=size)))
        engine.wait_producer(name, 600)
        engine.snapshot()
        used = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    return used / count


def java_perf(bootstrap: str, topic: str, count: int, size: int, acks: str) -> str:
    cmd = [java_executable(), "-Xmx512m", "-XX:+UseSerialGC", "-cp", classpath(ensure_jars()), PERF,
           "--topic", topic, "--num-records", str(count), "--record-size", str(size),
           "--throughput", "-1", "--producer-props", f"bootstrap.servers={bootstrap}",
           f"acks={acks}", "linger.ms=5"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    lines = [line for line in proc.stdout.splitlines() if "records sent" in line]
    if proc.returncode != 0 or not lines:
        return f"ProducerPerformance failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
    return lines[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bootstrap", help="use this cluster instead of a lab")
    parser.add_argument("--count", type=int, default=500_000)
    parser.add_argument("--value-size", type=int, default=100)
    parser.add_argument("--acks", default="1")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-count", type=int, default=200_000,
                        help="records of the tracemalloc run")
    parser.add_argument("--no-java", action="store_true", help="skip ProducerPerformance")
    args = parser.parse_args(argv)
    with bench_cluster(args.bootstrap, "kx-bench-prod-") as bootstrap, \
            Engine(Connection(bootstrap), watch=False) as engine:
        topic = f"bench-producer-{int(time.time())}-{uuid.uuid4().hex[:6]}"
        engine.call(CreateTopic(TopicSpec(topic, partitions=3)))
        try:
            run(args, engine, bootstrap, topic)
        finally:  # a reused lab keeps nothing of a run (millions of records)
            engine.call(DeleteTopic(topic))
    return 0


def run(args: argparse.Namespace, engine: Engine, bootstrap: str, topic: str) -> None:
    """The rounds, the ratios, the memory and Kafka's own tool, on ``topic``."""
    n, size = args.count, args.value_size
    labels = ("raw-constant", "raw-same-records", "raw-tight", "engine")
    best = {label: 0.0 for label in labels}
    cpu_best = {label: float("inf") for label in labels}
    for round_no in range(args.rounds):
        for label in labels:
            if label == "engine":
                secs, cpu, acked = engine_run(engine, topic, n, size, args.acks,
                                              f"bench{round_no}")
            else:
                secs, cpu, acked = raw_loop(bootstrap, topic, n, size, args.acks,
                                            unique_ids=label != "raw-constant",
                                            tight=label == "raw-tight")
            if acked != n:
                print(f"  warning: {label} acked {acked} of {n}")
            rate = acked / secs
            best[label] = max(best[label], rate)
            cpu_best[label] = min(cpu_best[label], cpu / n * 1e6)
            print(f"round {round_no + 1}: {label:<16} {acked} acked in {secs:.2f} s = "
                  f"{rate:,.0f} rec/s wall; {cpu / n * 1e6:.2f} us CPU per record", flush=True)
    for base in ("raw-same-records", "raw-tight", "raw-constant"):
        ratio = best["engine"] / best[base] if best[base] else 0.0
        cpu_ratio = cpu_best[base] / cpu_best["engine"]
        target = f"; target >= {TARGET}" if base == "raw-same-records" else " (reference)"
        print(f"engine/{base}: wall throughput ratio {ratio:.2f} (best {best['engine']:,.0f} vs "
              f"{best[base]:,.0f} rec/s); CPU-bound throughput ratio {cpu_ratio:.2f} "
              f"({cpu_best['engine']:.2f} vs {cpu_best[base]:.2f} us CPU per record){target}",
              flush=True)
    per_record = engine_memory(engine, topic, args.memory_count, size, args.acks)
    print(f"engine memory: {per_record:.0f} bytes kept per record sent = {per_record:.0f} MB "
          f"per million (tracemalloc, {args.memory_count} records); target <= "
          f"{MEMORY_TARGET_MB} MB", flush=True)
    if not args.no_java:
        print(f"ProducerPerformance (Java, acks={args.acks}, linger.ms=5): "
              f"{java_perf(bootstrap, topic, n, size, args.acks)}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
