"""The watcher and the TUI on a big cluster: 30,000 partitions and 1,000 groups (issue 15).

Starts its own lab in a temporary directory (never a shared one), creates topics of
``--per-topic`` partitions and ``--groups`` groups that commit offset 0 on ``--group-partitions``
partitions each (records on every other topic, so half the groups lag and their lag in time is
read), then measures through the public engine API:

1. headless: an :class:`Engine` with the watcher every second, for ``--refreshes`` refreshes after
   a warm-up: refresh time (median, p90, max; target < 1 s), stale flags seen (sections, benchmark
   partitions or groups marked stale; target 0 while the broker answers), the watcher thread's CPU
   per refresh, the process's CPU and memory;
2. the TUI: the real ExplorerApp headless (``run_test``) on a fresh engine, driven by bench_ui's
   measurement (idle CPU of the whole process, target <= 20 % of one core; key press -> screen,
   target p90 <= 100 ms; memory).

A broker keeps one open file per partition it leads, and this process's open-file limit is inherited
by the lab's JVMs: the lab has as many nodes (``--nodes``, 1 or 3; default the fewest that fit) as
it takes for each broker's share of ``--partitions`` (replication factor 1) to fit under it. When
three cannot hold them, the benchmark says so and measures the largest shape that fits.
The lab's broker heap (512 MB) runs out of memory at about 18,000 partitions with 1,000 groups;
``--broker-heap-mb`` (default 2048) starts this benchmark's brokers with a bigger one until the lab
itself has that option (0 keeps the lab's own).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.bench_ui import Shape, TimedApp, drive, pct, rss_mib, wait_line
from bench.common import commit_group_offsets, wait_for
from tui.engine import ClusterView, Connection, Engine, StopProducer
from tui.kafka import clients
from tui.lab.cluster import temporary_lab
from tui.lab.spec import NODE_COUNTS
from tui.ui.settings import Settings

REFRESH_TARGET_S = 1.0
IDLE_CPU_TARGET = 20.0
KEY_P90_TARGET_MS = 100.0
FD_MARGIN = 1500
"""Open files the broker needs besides one per partition (segments of internal topics, sockets)."""


def open_file_limit() -> int | None:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def nodes_needed(wanted: int, limit: int | None) -> int:
    """The smallest lab whose brokers each keep their share of ``wanted`` partitions open (the
    largest there is when none does)."""
    per_node = max(1, (limit or 0) - FD_MARGIN)
    return next((n for n in NODE_COUNTS if limit is None or wanted <= per_node * n),
                max(NODE_COUNTS))


def partitions_that_fit(wanted: int, per_topic: int, nodes: int,
                        limit: int | None) -> tuple[int, str | None]:
    if limit is None or wanted + FD_MARGIN * nodes <= limit * nodes:
        return wanted, None
    fit = max(per_topic, (limit - FD_MARGIN) * nodes // per_topic * per_topic)
    return fit, (f"the open-file limit here is {limit:,} (hard limit too; not raisable without "
                 f"CAP_SYS_RESOURCE) and a broker keeps one file open per partition it leads, so "
                 f"{wanted:,} partitions cannot fit on {nodes} node(s): measuring {fit:,}")


def with_broker_heap(heap_mb: int) -> None:
    """Start this process's lab brokers with ``heap_mb`` of heap (the lab has no option for it yet:
    its JVM flags are wrapped here, for this benchmark only)."""
    import tui.lab.cluster as cluster

    flags = cluster.jvm_flags

    def bigger(run_dir: Path, _heap_mb: int = heap_mb) -> list[str]:
        return flags(run_dir, heap_mb=heap_mb)
    cluster.jvm_flags = bigger  # type: ignore[assignment]


def thread_seconds(name: str) -> float:
    """CPU seconds used so far by the Python threads called ``name`` (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for thread in threading.enumerate():
        if thread.name != name:
            continue
        try:
            fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1]
        except (OSError, IndexError):
            continue
        parts = fields.split()
        total += (int(parts[11]) + int(parts[12])) / ticks
    return total


def prime_groups(bootstrap: str) -> None:
    """Commit once with a plain consumer, so the fresh lab creates and loads __consumer_offsets
    before a thousand admin commits arrive (they would time out while it loads)."""
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import NewTopic

    admin = clients.admin({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("kx-bench-prime", 1, 1)])["kx-bench-prime"].result(60)
    consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": "kx-bench-prime",
                                 "enable.auto.commit": False})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                consumer.commit(offsets=[TopicPartition("kx-bench-prime", 0, 0)], asynchronous=False)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
    finally:
        consumer.close()


def build_shape(bootstrap: str, shape: Shape, args: argparse.Namespace) -> None:
    """Topics (at most 5,000 partitions per request: KRaft refuses more than 10,000), then, once
    every partition has a leader, the groups' commits, then two records per partition of every
    other topic."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import NewTopic

    started = time.monotonic()
    prime_groups(bootstrap)
    admin = clients.admin({"bootstrap.servers": bootstrap})
    pairs = list(zip(shape.topics, shape.sizes, strict=True))
    batch: list[tuple[str, int]] = []
    for i, pair in enumerate(pairs):
        batch.append(pair)
        following = pairs[i + 1][1] if i + 1 < len(pairs) else None
        if following is None or sum(n for _t, n in batch) + following > 5000:
            futures = admin.create_topics([NewTopic(t, n, 1) for t, n in batch],
                                          operation_timeout=120, request_timeout=180)
            for future in futures.values():
                future.result(300)
            batch = []
    wanted: int = sum(shape.sizes)

    def ready() -> bool:
        md = admin.list_topics(timeout=30)
        have: int = sum(1 for t in shape.topics if t in md.topics
                        for p in md.topics[t].partitions.values() if p.leader >= 0)
        return have >= wanted
    wait_for(ready, args.setup_timeout, f"{wanted:,} partitions with a leader", interval=2.0)

    # each group commits offset 0 on the first partitions of one topic (as bench_ui's shape does)
    requests = []
    for i, group in enumerate(shape.groups):
        topic, size = pairs[i % len(pairs)]
        requests.append(ConsumerGroupTopicPartitions(
            group, [TopicPartition(topic, p, 0) for p in range(min(shape.group_partitions, size))]))
    commit_group_offsets(admin, requests, args.setup_timeout)
    producer = clients.producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for topic, size in pairs[::2]:
        for p in range(size):
            for _ in range(2):
                producer.produce(topic, b"x" * 20, partition=p)
            producer.poll(0)
    producer.flush(120)
    print(f"created {len(shape.topics)} topics ({wanted:,} partitions) and {len(shape.groups):,} "
          f"groups in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)


def stale_flags(v: ClusterView, prefix: str) -> list[str]:
    flags = [f"{s.name}: {s.message}" for s in v.stale_sections]
    flags += [f"{p.topic}-{p.partition}" for p in v.partitions()
              if p.topic.startswith(prefix) and (p.offsets_stale or p.unknown)]
    flags += [f"group {g.group_id}: {g.error}" for g in v.groups
              if g.group_id.startswith(prefix) and g.stale]
    return flags


def measure_headless(conn: Connection, shape: Shape, args: argparse.Namespace) -> dict[str, Any]:
    wanted = sum(shape.sizes)
    with Engine(conn, watch_interval=1.0) as engine:
        def warm() -> ClusterView | None:
            v = engine.snapshot().cluster
            if v is None or not v.ok:
                return None
            parts = sum(1 for p in v.partitions() if p.topic.startswith(shape.prefix)
                        and not p.offsets_stale)
            groups = sum(1 for g in v.groups if g.group_id.startswith(shape.prefix))
            return v if parts >= wanted and groups >= len(shape.groups) else None
        first = wait_for(warm, args.setup_timeout, "a complete, fresh view of the cluster", interval=0.25)
        time.sleep(args.warmup)
        views: list[ClusterView] = []
        last = first.seq
        wall0, proc0, watcher0 = time.monotonic(), time.process_time(), thread_seconds("watcher")
        deadline = time.monotonic() + args.refreshes * 5 + 30
        while len(views) < args.refreshes and time.monotonic() < deadline:
            v = engine.snapshot().cluster
            if v is not None and v.seq != last:
                last = v.seq
                views.append(v)
            time.sleep(0.02)
        wall = time.monotonic() - wall0
        proc = (time.process_time() - proc0) / wall * 100
        watcher_cpu = (thread_seconds("watcher") - watcher0) / wall * 100
        final = views[-1]
        lagging = [p for g in final.groups if g.group_id.startswith(shape.prefix)
                   for p in g.partitions if p.lag]
        return {
            "partitions": final.partition_count,
            "groups": len(final.groups),
            "durations": [v.duration for v in views],
            "cpu": [v.cpu for v in views],
            "stale_views": sum(1 for v in views if stale_flags(v, shape.prefix)),
            "first_flags": next((stale_flags(v, shape.prefix)[:3] for v in views
                                 if stale_flags(v, shape.prefix)), []),
            "process_cpu": proc,
            "watcher_thread_cpu": watcher_cpu,
            "requests": statistics.median(v.requests or 0 for v in views),
            "lagging": len(lagging),
            "lag_in_time_known": sum(1 for p in lagging if p.oldest_unconsumed_at is not None),
            "stalled": sum(1 for p in lagging if p.status == "stalled"),
            "rss": rss_mib(),
        }


def measure_tui(conn: Connection, shape: Shape, args: argparse.Namespace) -> dict[str, Any]:
    with Engine(conn, watch_interval=1.0) as engine:
        app = TimedApp(engine, settings=Settings(), remember=False)
        try:
            return asyncio.run(drive(app, engine, args, shape))
        finally:
            with contextlib.suppress(Exception):
                engine.call(StopProducer("bench"), timeout=10)


def report(head: dict[str, Any], tui: dict[str, Any] | None, note: str | None) -> None:
    shape = f"{head['partitions']:,} partitions, {head['groups']:,} groups"
    if note:
        print(f"shape: {note}")
    d = head["durations"]
    p90, worst = pct(d, 0.9), max(d)
    met = "met" if worst < REFRESH_TARGET_S else "MISSED"
    print(f"watcher refresh, headless ({shape}, {len(d)} refreshes): median "
          f"{statistics.median(d) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, max {worst * 1000:.0f} ms  "
          f"(target < {REFRESH_TARGET_S * 1000:.0f} ms: {met})")
    met = "met" if head["stale_views"] == 0 else "MISSED"
    print(f"stale flags while the broker answers: {head['stale_views']} of {len(d)} views "
          f"{head['first_flags'] or ''} (target 0: {met})")
    cpu = head["cpu"]
    print(f"watcher thread CPU per refresh: median {statistics.median(cpu) * 1000:.0f} ms, p90 "
          f"{pct(cpu, 0.9) * 1000:.0f} ms; watcher thread {head['watcher_thread_cpu']:.1f} % of a core, "
          f"whole headless process {head['process_cpu']:.1f} % (librdkafka threads included); "
          f"{head['requests']:.0f} admin calls per refresh")
    print(f"lag in time: known for {head['lag_in_time_known']:,} of {head['lagging']:,} lagging "
          f"group partitions ({head['stalled']:,} stalled)")
    if head["rss"] is not None:
        print(f"memory, headless engine: RSS {head['rss']:.0f} MiB")
    if tui is not None:
        idle = tui["idle"]
        met = "met" if idle["process"] <= IDLE_CPU_TARGET else "MISSED"
        print(f"TUI idle CPU ({tui['parts']:,} benchmark partitions, {tui['groups']:,} groups, "
              f"{idle['seconds']:.0f} s): process {idle['process']:.1f} % of one core, UI thread "
              f"{idle['ui']:.1f} %  (target <= {IDLE_CPU_TARGET:.0f} %: {met})")
        if idle.get("threads"):
            print("TUI idle CPU by thread: " + ", ".join(f"{n} {c:.1f} %" for n, c in idle["threads"]))
        lat = tui["latencies"]
        p90 = pct(lat, 0.9)
        met = "met" if p90 <= KEY_P90_TARGET_MS else "MISSED"
        print(f"TUI key press -> screen over {len(lat)} presses (producer {tui['rate']:,.0f}/s, "
              f"{tui['keys']} keys): "
              f"median {statistics.median(lat):.1f} ms, p90 {p90:.1f} ms, max {max(lat):.1f} ms  "
              f"(target p90 <= {KEY_P90_TARGET_MS:.0f} ms: {met})")
        print("  by screen key (median / max ms): " + ", ".join(
            f"{key} {statistics.median(ms):.0f}/{max(ms):.0f}"
            for key, ms in sorted(tui["by_key"].items())))
        print("TUI CPU by thread during the presses: " + ", ".join(
            f"{n} {c:.1f} %" for n, c in tui["load_threads"]))
        cpu_ms = tui["cpu"]
        print(f"TUI UI-thread CPU per key press: median {statistics.median(cpu_ms):.1f} ms, p90 "
              f"{pct(cpu_ms, 0.9):.1f} ms (the key -> screen time on an idle machine); snapshot "
              f"render median {statistics.median(tui['renders']):.1f} ms")
        print(wait_line(tui))
        if tui["watch_ms"] is not None:
            print(f"watcher refresh inside the TUI (last view): {tui['watch_ms']:.0f} ms")
        if tui["rss"] is not None:
            print(f"memory, TUI process (engine included): RSS {tui['rss']:.0f} MiB")
    load = os.getloadavg()
    print(f"load average (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on "
          f"{os.cpu_count()} cores")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--partitions", type=int, default=30_000)
    parser.add_argument("--per-topic", type=int, default=500)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--group-partitions", type=int, default=25,
                        help="partitions each group commits an offset on (default 25)")
    parser.add_argument("--refreshes", type=int, default=30, help="headless refreshes measured")
    parser.add_argument("--no-tui", action="store_true", help="skip the TUI measurement")
    parser.add_argument("--rate", type=float, default=20_000.0,
                        help="records/s produced during the key presses (default 20000)")
    parser.add_argument("--keys", default="random",
                        help="key mode of that producer (default random, as bench_ui; with random "
                             "keys over 500 partitions each batch holds about one record, and the "
                             "brokers' appends take more than a core of kernel time on 2 cores; "
                             "none: the sticky partitioner's full batches)")
    parser.add_argument("--presses", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.3)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of TUI idle measured")
    parser.add_argument("--nodes", type=int, default=0, choices=(0, *NODE_COUNTS),
                        help="lab nodes (default 0: the smallest lab whose brokers fit the "
                             "partitions)")
    parser.add_argument("--setup-timeout", type=float, default=600.0)
    parser.add_argument("--profile", metavar="FILE",
                        help="write a cProfile of the TUI's UI thread over the key presses (pstats)")
    parser.add_argument("--broker-heap-mb", type=int, default=2048,
                        help="heap of the benchmark's broker (0: the lab's own 512 MB)")
    args = parser.parse_args()
    if args.partitions < 1 or args.per_topic < 1 or args.groups < 0 or args.refreshes < 1:
        parser.error("--partitions, --per-topic and --refreshes must be at least 1, --groups at "
                     "least 0.")
    limit = open_file_limit()
    nodes = args.nodes or nodes_needed(args.partitions, limit)
    args.partitions, note = partitions_that_fit(args.partitions, args.per_topic, nodes, limit)
    if note:
        print(f"note: {note}", file=sys.stderr, flush=True)
    args.prefix = f"kxscale-{os.getpid()}-"
    if args.broker_heap_mb:
        with_broker_heap(args.broker_heap_mb)
        note = (note + "; " if note else "") + f"broker heap {args.broker_heap_mb} MB (the lab's " \
            "default 512 MB runs out of memory at about 18,000 partitions and 1,000 groups)"
    if nodes > 1:
        note = (note + "; " if note else "") + f"{nodes} nodes (a broker keeps a file open per " \
            f"partition it leads and the open-file limit here is {limit:,})"
    print(f"starting a private {nodes}-node lab…", file=sys.stderr, flush=True)
    with temporary_lab(nodes=nodes, prefix="kx-bench-scale-") as lab:
        conn = Connection(bootstrap=lab.bootstrap, lab_dir=lab.dir, label="lab")
        shape = Shape(lab.bootstrap, args)
        build_shape(lab.bootstrap, shape, args)
        print("measuring the headless watcher…", file=sys.stderr, flush=True)
        head = measure_headless(conn, shape, args)
        tui = None
        if not args.no_tui:
            print("measuring the TUI…", file=sys.stderr, flush=True)
            tui = measure_tui(conn, shape, args)
    report(head, tui, note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
