"""Producer lab throughput versus a raw confluent-kafka loop, ledger memory, and Kafka's own tool.

Same run, same 1-node lab, same settings (acks=1, linger.ms=5, 100-byte values, no keys,
murmur2_random, 3 partitions): 500,000 records through

* a raw ``Producer.produce`` + ``poll(0)`` loop with a counting delivery callback (the floor any
  Python producer pays; constant value and the same three small headers);
* the engine's producer runner (unique msg_id per value and header, full delivery ledger);
* Kafka's own ``org.apache.kafka.tools.ProducerPerformance`` (Java client, for reference).

Raw and engine runs alternate (``--rounds``, best of each) so a noisy neighbour hurts both alike.
Prints the engine/raw ratio (target >= 0.9) and the ledger's memory per million entries (target
<= 150 MB), measured with tracemalloc on a synthetic million-row ledger.

Starts its own 1-node lab in a temporary directory unless ``--bootstrap`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

from confluent_kafka.cimpl import NewTopic

from tui.engine.context import Connection
from tui.engine.engine import Engine
from tui.engine.producer.commands import StartProducer
from tui.engine.producer.ledger import Ledger
from tui.engine.producer.profile import ProducerProfile
from tui.engine.producer.workload import Workload, parse_key_mode
from tui.engine.record_format import encode_value, headers_for
from tui.kafka import clients
from tui.lab.cluster import temporary_lab
from tui.lab.jars import classpath, ensure_jars
from tui.lab.java import java_executable

PERF = "org.apache.kafka.tools.ProducerPerformance"


@contextlib.contextmanager
def cluster(bootstrap: str | None) -> Iterator[str]:
    if bootstrap:
        yield bootstrap
        return
    with temporary_lab(nodes=1, prefix="kx-bench-prod-") as lab:
        yield lab.bootstrap


def make_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = clients.admin({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=30)[name].result(60)


def profile(acks: str) -> ProducerProfile:
    return ProducerProfile("bench", acks=acks, linger_ms=5)


def raw_loop(bootstrap: str, topic: str, count: int, size: int, acks: str,
             unique_ids: bool) -> tuple[float, float, int]:
    """The raw client: returns (wall seconds, process CPU seconds, acked).

    ``unique_ids``: build the same records the engine sends (msg_id in value and headers, written
    as tightly as we know how); otherwise send one constant value (the client's own floor).
    """
    acked = [0]

    def on_delivery(err: Any, msg: Any) -> None:
        if err is None:
            acked[0] += 1

    conf = {"bootstrap.servers": bootstrap, **profile(acks).to_conf(), "on_delivery": on_delivery}
    value = encode_value("benchrun/raw/0/0", size)
    headers: list[tuple[str, str | bytes | None]] = list(headers_for("benchrun/raw/0/0", "benchrun", 0))
    prefix = b"benchrun/raw/0/"
    run = ("kx-run", b"benchrun")
    started, cpu = time.perf_counter(), time.process_time()
    producer = clients.producer(conf)
    produce, poll = producer.produce, producer.poll
    for seq in range(count):
        if unique_ids:
            seq_b = b"%d" % seq
            msg_id = prefix + seq_b
            head = b"kx|" + msg_id + b"|"
            value = head + b"." * (size - len(head))
            headers = [("kx-id", msg_id), run, ("kx-seq", seq_b)]
        while True:
            try:
                produce(topic, value, headers=headers)
                break
            except BufferError:
                poll(0.1)
        poll(0)
    producer.flush(60)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    producer.close()
    return elapsed, cpu, acked[0]


def engine_run(bootstrap: str, topic: str, count: int, size: int, acks: str,
               round_no: int) -> tuple[float, float, int, int]:
    """The engine's runner: returns (wall seconds, process CPU seconds, acked, ledger bytes)."""
    with Engine(Connection(bootstrap), watch=False) as engine:
        prof = ProducerProfile(f"bench{round_no}", acks=acks, linger_ms=5)
        started, cpu = time.perf_counter(), time.process_time()
        engine.call(StartProducer(prof, Workload(topic, count=count, value_size=size)))
        if not engine.producers.wait_done(prof.name, 300):
            raise SystemExit("engine run did not finish")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        runner = engine.producers.runners()[-1]
        return elapsed, cpu, runner.ledger.acked, runner.ledger.nbytes()


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


def ledger_memory(rows: int = 1_000_000) -> tuple[float, float]:
    """(MB per million rows by tracemalloc, MB by the columns' own size) for a filled ledger."""

    class Msg:
        def partition(self) -> int:
            return 1

        def offset(self) -> int:
            return 12345

        def latency(self) -> float:
            return 0.003

    msg = Msg()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    ledger = Ledger("benchrun", "mem", 0, "t", parse_key_mode("random"))
    for seq in range(rows):
        ledger.sent_one(seq * 7919, 1.7e9 + seq)
        ledger.deliver(seq, None, msg)
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    scale = 1_000_000 / rows
    return used * scale / 1e6, ledger.nbytes() * scale / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bootstrap", help="use this cluster instead of starting a 1-node lab")
    parser.add_argument("--count", type=int, default=500_000)
    parser.add_argument("--value-size", type=int, default=100)
    parser.add_argument("--acks", default="1")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-java", action="store_true", help="skip ProducerPerformance")
    args = parser.parse_args(argv)
    n, size = args.count, args.value_size
    mem_traced, mem_columns = ledger_memory()
    print(f"ledger memory: {mem_traced:.1f} MB per million entries (tracemalloc), "
          f"{mem_columns:.1f} MB in columns; target <= 150 MB", flush=True)
    with cluster(args.bootstrap) as bootstrap:
        topic = f"bench-producer-{int(time.time())}"
        make_topic(bootstrap, topic, 3)
        labels = ("raw-constant", "raw-same-records", "engine")
        best = {label: 0.0 for label in labels}
        cpu_best = {label: float("inf") for label in labels}
        for round_no in range(args.rounds):
            for label in labels:
                if label == "engine":
                    secs, cpu, acked, nbytes = engine_run(bootstrap, topic, n, size, args.acks, round_no)
                    extra = f"; ledger {nbytes / 1e6:.1f} MB for {acked} rows"
                else:
                    secs, cpu, acked = raw_loop(bootstrap, topic, n, size, args.acks,
                                                unique_ids=label == "raw-same-records")
                    extra = ""
                if acked != n:
                    print(f"  warning: {label} acked {acked} of {n}")
                rate = acked / secs
                best[label] = max(best[label], rate)
                cpu_best[label] = min(cpu_best[label], cpu / n * 1e6)
                print(f"round {round_no + 1}: {label:<16} {acked} acked in {secs:.2f} s = "
                      f"{rate:,.0f} rec/s wall; {cpu / n * 1e6:.2f} us CPU per record{extra}",
                      flush=True)
        for base in ("raw-same-records", "raw-constant"):
            ratio = best["engine"] / best[base] if best[base] else 0.0
            cpu_ratio = cpu_best[base] / cpu_best["engine"]
            print(f"engine/{base}: wall throughput ratio {ratio:.2f} (best {best['engine']:,.0f} vs "
                  f"{best[base]:,.0f} rec/s); CPU-bound throughput ratio {cpu_ratio:.2f} "
                  f"({cpu_best['engine']:.2f} vs {cpu_best[base]:.2f} us CPU per record); "
                  f"target >= 0.9", flush=True)
        if not args.no_java:
            print(f"ProducerPerformance (Java, acks={args.acks}, linger.ms=5): "
                  f"{java_perf(bootstrap, topic, n, size, args.acks)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
