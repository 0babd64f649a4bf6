"""Watcher refresh cost versus cluster size: 100, 1,000 and 3,000 partitions with 20 groups.

For each size it runs the engine's watcher (interval 1 s) for a number of refreshes and reports
the time per refresh (median and max), its CPU time and the admin calls per refresh. Beside it: the wall time of
Kafka's own ``kafka-consumer-groups --describe --all-groups`` (ConsumerGroupCommand, one JVM) on the
same cluster. Target: under 1 s per refresh at 3,000 partitions.

Starts its own 1-node lab in a temporary directory unless ``--bootstrap`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

from tui.engine import ClusterView, Connection, Engine
from tui.kafka import clients
from tui.lab.cluster import temporary_lab
from tui.lab.jars import classpath, ensure_jars
from tui.lab.java import java_executable

GROUP_COMMAND = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
PER_TOPIC = 100


@contextlib.contextmanager
def cluster(bootstrap: str | None) -> Iterator[str]:
    if bootstrap:
        yield bootstrap
        return
    with temporary_lab(nodes=1, prefix="kx-bench-watch-") as lab:
        yield lab.bootstrap


def grow_to(admin: Any, bootstrap: str, prefix: str, have: int, want: int) -> list[str]:
    """Create topics of 100 partitions until ``want`` partitions exist; one record per partition."""
    names = [f"{prefix}-{i:03d}" for i in range(have // PER_TOPIC, want // PER_TOPIC)]
    if not names:
        return []
    futures = admin.create_topics([NewTopic(n, PER_TOPIC, 1) for n in names], operation_timeout=60)
    for f in futures.values():
        f.result(120)
    producer = clients.producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for name in names:
        for p in range(PER_TOPIC):
            producer.produce(name, b"x" * 10, partition=p)
            producer.poll(0)
    producer.flush(60)
    return names


def commit_groups(bootstrap: str, topics: list[str], groups: int, prefix: str) -> None:
    """``groups`` groups; group i commits offset 1 on every partition of every 5th topic."""
    for g in range(groups):
        mine = [t for i, t in enumerate(topics) if i % 5 == g % 5] or topics[:1]
        consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": f"{prefix}-g{g:02d}",
                                     "enable.auto.commit": False})
        try:
            consumer.commit(offsets=[TopicPartition(t, p, 1) for t in mine for p in range(PER_TOPIC)],
                            asynchronous=False)
        finally:
            consumer.close()


def measure_watcher(bootstrap: str, refreshes: int, partitions: int) -> dict[str, Any]:
    engine = Engine(Connection(bootstrap), watch_interval=1.0)
    engine.start()

    def view() -> ClusterView | None:
        return engine.snapshot().cluster

    try:
        warm_until = time.monotonic() + 90
        # warm-up: every partition and group seen once with fresh data
        while time.monotonic() < warm_until:
            v = view()
            if v is not None and v.ok and sum(len(t.partitions) for t in v.topics) >= partitions:
                break
            time.sleep(0.1)
        first = view()
        assert first is not None
        durations: list[float] = []
        cpus: list[float] = []
        calls: list[int] = []
        stale = 0
        last_seq = first.seq
        t_start = time.monotonic()
        deadline = t_start + refreshes * 5 + 10
        while len(durations) < refreshes and time.monotonic() < deadline:
            v = view()
            if v is not None and v.seq != last_seq:
                last_seq = v.seq
                durations.append(v.duration)
                cpus.append(v.cpu)
                calls.append(v.requests or 0)
                stale += 0 if v.ok else 1
            time.sleep(0.02)
        last = view()
        assert last is not None
        nan = float("nan")
        return {
            "partitions": sum(len(t.partitions) for t in last.topics),
            "groups": len(last.groups),
            "refreshes": len(durations),
            "median_s": statistics.median(durations) if durations else nan,
            "max_s": max(durations) if durations else nan,
            "cpu_s": statistics.median(cpus) if cpus else nan,
            "admin_calls": statistics.median(calls) if calls else nan,
            "stale_views": stale,
            "load_avg": round(os.getloadavg()[0], 1),
        }
    finally:
        engine.close(5)


def tool_all_groups(bootstrap: str) -> float:
    cmd = [java_executable(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
           "-cp", classpath(ensure_jars()), GROUP_COMMAND, "--bootstrap-server", bootstrap,
           "--describe", "--all-groups"]
    start = time.monotonic()
    subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True)
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bootstrap", help="an existing cluster (default: start a 1-node lab)")
    parser.add_argument("--sizes", default="100,1000,3000", help="partition counts (multiples of 100)")
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--refreshes", type=int, default=10, help="refreshes measured per size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    prefix = f"kxbench-{int(time.time())}"
    with cluster(args.bootstrap) as bootstrap:
        admin = clients.admin({"bootstrap.servers": bootstrap})
        topics: list[str] = []
        have = 0
        print(f"{'partitions':>10} {'groups':>6} {'refresh median':>15} {'max':>8} {'cpu':>7} "
              f"{'admin calls':>11} {'stale':>5} {'load':>5} "
              f"{'describe --all-groups':>22} {'ratio':>6}", flush=True)
        results = []
        for size in sizes:
            new = grow_to(admin, bootstrap, prefix, have, size)
            topics += new
            have = size
            commit_groups(bootstrap, topics, args.groups, prefix)
            row = measure_watcher(bootstrap, args.refreshes, size)
            row["tool_s"] = tool_all_groups(bootstrap)
            row["ratio"] = row["tool_s"] / row["median_s"] if row["median_s"] else float("nan")
            results.append(row)
            verdict = "" if size != 3000 else ("  (target < 1 s: met)" if row["max_s"] < 1.0
                                               else "  (target < 1 s: MISSED)")
            print(f"{row['partitions']:>10} {row['groups']:>6} {row['median_s'] * 1000:>12.0f} ms "
                  f"{row['max_s'] * 1000:>5.0f} ms {row['cpu_s'] * 1000:>4.0f} ms "
                  f"{row['admin_calls']:>11.0f} {row['stale_views']:>5} "
                  f"{row['load_avg']:>5} {row['tool_s']:>20.2f} s {row['ratio']:>5.0f}x{verdict}",
                  flush=True)
        print(json.dumps({"bench": "watcher", "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
