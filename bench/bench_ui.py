"""Explorer responsiveness at scale: idle CPU and key press -> screen change (issues 6 and 15).

Targets (issue 15, at 30,000 partitions and 1,000 groups): TUI idle CPU <= 20 % of one core, key ->
screen p90 <= 100 ms. ``--partitions N`` and ``--groups N`` set the cluster shape; the benchmark
creates topics of ``--per-topic`` partitions named ``<prefix>NNN`` (default prefix
``kxscale-ui-<pid>-``) and N groups that commit offsets on ``--group-partitions`` partitions each,
and deletes all of them afterwards (``--keep`` leaves them).

It uses ``--bootstrap``, or the running lab in ``--state-dir``, or starts its own 1-node lab, and
runs the real :class:`ExplorerApp` headless (160x48) on the real engine (watcher every second):

1. idle: nothing produces or consumes, the Cluster screen is shown; for ``--idle`` seconds it
   measures the process's CPU (UI thread, snapshot pump, watcher: everything the TUI process runs)
   and the UI thread's own CPU, and counts the renders;
2. under load: one engine producer at ``--rate`` records/s with random keys; it presses the screen
   keys 1..5 in a loop and measures, for each press, the time from posting the key to the end of the
   first screen refresh that shows the new tab (``call_after_refresh`` from the tab-activated
   handler), and the UI thread's CPU per press.

It prints each figure next to its target, the process's memory, the watcher's refresh time and the
machine's load average (other processes share the cores).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import NewTopic
from textual import events
from textual.widgets import TabbedContent

from bench.common import commit_group_offsets
from tui.engine import (
    Connection,
    Engine,
    ProducerProfile,
    StartProducer,
    StopProducer,
    Workload,
    parse_key_mode,
)
from tui.kafka import clients
from tui.lab import LabCluster
from tui.lab.cluster import temporary_lab
from tui.ui.app import ExplorerApp
from tui.ui.settings import Settings

KEYS = ("2", "3", "4", "5", "1")
IDLE_CPU_TARGET = 20.0
"""Per cent of one core, at 30,000 partitions and 1,000 groups."""
KEY_P90_TARGET_MS = 100.0


class TimedApp(ExplorerApp):
    """Records when the first refresh after a tab switch has completed."""

    shown_at: float | None = None
    shown: asyncio.Event | None = None

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        def mark() -> None:
            self.shown_at = time.perf_counter()
            if self.shown is not None:
                self.shown.set()

        self.call_after_refresh(mark)


@contextlib.contextmanager
def connection(args: argparse.Namespace) -> Iterator[Connection]:
    if args.bootstrap:
        yield Connection(bootstrap=args.bootstrap, label=args.bootstrap)
        return
    if args.state_dir:
        lab = LabCluster(Path(args.state_dir))
        yield Connection(bootstrap=lab.bootstrap, lab_dir=lab.dir, label="lab")
        return
    print("starting a 1-node lab cluster…", file=sys.stderr, flush=True)
    with temporary_lab(nodes=1, prefix="kx-bench-ui-") as lab:
        yield Connection(bootstrap=lab.bootstrap, lab_dir=lab.dir, label="lab")


class Shape:
    """The topics and groups the benchmark creates (and deletes)."""

    def __init__(self, bootstrap: str, args: argparse.Namespace) -> None:
        self.admin = clients.admin({"bootstrap.servers": bootstrap})
        self.prefix: str = args.prefix or f"kxscale-ui-{os.getpid()}-"
        count = max(1, -(-args.partitions // args.per_topic))
        self.topics = [f"{self.prefix}{i:03d}" for i in range(count)]
        self.sizes = [min(args.per_topic, args.partitions - i * args.per_topic) for i in range(count)]
        self.groups = [f"{self.prefix}g{i:04d}" for i in range(args.groups)]
        self.group_partitions: int = args.group_partitions

    def create(self) -> None:
        for start in range(0, len(self.topics), 50):  # bounded requests
            batch = [NewTopic(t, n, 1) for t, n in zip(self.topics[start:start + 50],
                                                       self.sizes[start:start + 50], strict=True)]
            for future in self.admin.create_topics(batch, operation_timeout=60).values():
                try:
                    future.result(120)
                except KafkaException as exc:  # left by an interrupted run: reuse it
                    if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                        raise
        requests = []
        for i, group in enumerate(self.groups):
            topic = self.topics[i % len(self.topics)]
            size = self.sizes[i % len(self.topics)]
            parts = [TopicPartition(topic, p, 0) for p in range(min(self.group_partitions, size))]
            requests.append(ConsumerGroupTopicPartitions(group, parts))
        commit_group_offsets(self.admin, requests, timeout=180)

    def delete(self) -> None:
        with contextlib.suppress(Exception):
            for start in range(0, len(self.groups), 100):
                for future in self.admin.delete_consumer_groups(
                        self.groups[start:start + 100], request_timeout=60).values():
                    with contextlib.suppress(Exception):
                        future.result(120)
        with contextlib.suppress(Exception):
            for future in self.admin.delete_topics(self.topics, operation_timeout=60).values():
                with contextlib.suppress(Exception):
                    future.result(120)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def thread_cpu() -> dict[str, float]:
    """CPU seconds per Python thread of this process (from /proc; empty where it is missing)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1]
        except (OSError, IndexError):
            continue
        parts = fields.split()
        found[thread.name] = found.get(thread.name, 0.0) + (int(parts[11]) + int(parts[12])) / ticks
    return found


def run_queue_wait() -> float:
    """Seconds this thread spent runnable but waiting for a core (0 where schedstat is missing)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_mib() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def drive(app: TimedApp, engine: Engine, args: argparse.Namespace, shape: Shape
                ) -> dict[str, Any]:
    latencies: list[float] = []
    by_key: dict[str, list[float]] = {}
    cpu: list[float] = []
    queued: list[float] = []
    renders: list[float] = []
    wanted = sum(shape.sizes)
    async with app.run_test(size=(160, 48)) as pilot:
        deadline = time.monotonic() + args.setup_timeout
        parts = groups = 0
        while time.monotonic() < deadline:
            cluster = app.snapshot.cluster if app.snapshot else None
            if cluster is not None:
                parts = sum(len(t.partitions) for t in cluster.topics
                            if t.name.startswith(shape.prefix))
                groups = sum(1 for g in cluster.groups if g.group_id.startswith(shape.prefix))
                if parts >= wanted and groups >= len(shape.groups):
                    break
            await pilot.pause(0.25)
        else:
            raise SystemExit(f"the watcher showed {parts} of {wanted} benchmark partitions and "
                             f"{groups} of {len(shape.groups)} groups after "
                             f"{args.setup_timeout:.0f} s")
        print(f"watching {parts} benchmark partitions and {groups} groups; warming up "
              f"{args.warmup:.0f} s…", file=sys.stderr, flush=True)
        await pilot.pause(args.warmup)

        # 1. idle: the Cluster screen, nothing produced or consumed
        renders_before, pulls_before = app.renders, app.pump.pulls if app.pump else 0
        threads0 = thread_cpu()
        wall0, proc0, ui0 = time.monotonic(), time.process_time(), time.thread_time()
        await asyncio.sleep(args.idle)
        idle_wall = time.monotonic() - wall0
        threads = {name: (cpu - threads0.get(name, 0.0)) / idle_wall * 100
                   for name, cpu in thread_cpu().items()}
        idle = {"process": (time.process_time() - proc0) / idle_wall * 100,
                "ui": (time.thread_time() - ui0) / idle_wall * 100,
                "threads": sorted(((n, c) for n, c in threads.items() if c >= 0.5),
                                  key=lambda item: -item[1]),
                "renders": app.renders - renders_before,
                "pulls": (app.pump.pulls if app.pump else 0) - pulls_before,
                "seconds": idle_wall}

        # 2. under load: a producer, and key presses
        engine.call(StartProducer(
            ProducerProfile(name="bench", acks="1", linger_ms=5),
            Workload(topic=shape.topics[0], count=None, rate=args.rate,
                     key_mode=parse_key_mode(args.keys), value_size=100)), timeout=30)
        await pilot.pause(2.0)
        sent_before = _sent(engine)
        started = time.monotonic()
        renders_before = app.renders
        load_threads0 = thread_cpu()
        profiler = cProfile.Profile(time.thread_time) if args.profile else None
        for i in range(args.presses):
            key = KEYS[i % len(KEYS)]
            app.shown_at = None
            app.shown = asyncio.Event()
            t0 = time.perf_counter()
            c0 = time.thread_time()  # the UI thread's own CPU, without waiting for a core
            q0 = run_queue_wait()
            if profiler is not None:
                profiler.enable()  # the presses only, this thread only, its CPU time
            app.post_message(events.Key(key, key))
            await asyncio.wait_for(app.shown.wait(), 30)
            if profiler is not None:
                profiler.disable()
            assert app.shown_at is not None
            latencies.append((app.shown_at - t0) * 1000)
            by_key.setdefault(key, []).append(latencies[-1])
            cpu.append((time.thread_time() - c0) * 1000)
            queued.append((run_queue_wait() - q0) * 1000)
            renders.append(app.last_render_ms)
            await pilot.pause(args.gap)  # let snapshots stream in between presses
        elapsed = time.monotonic() - started
        load_threads = {name: (cpu - load_threads0.get(name, 0.0)) / elapsed * 100
                        for name, cpu in thread_cpu().items()}
        if profiler is not None:
            profiler.dump_stats(args.profile)
        rate = (_sent(engine) - sent_before) / elapsed
        snapshots = app.renders - renders_before
    cluster = engine.snapshot().cluster
    return {"latencies": latencies, "by_key": by_key, "cpu": cpu, "queued": queued,
            "renders": renders, "rate": rate,
            "keys": args.keys,
            "elapsed": elapsed,
            "load_threads": sorted(((n, c) for n, c in load_threads.items() if c >= 0.5),
                                   key=lambda item: -item[1]),
            "snapshots": snapshots, "idle": idle, "parts": parts, "groups": groups,
            "watch_ms": (cluster.duration * 1000) if cluster else None, "rss": rss_mib()}


def _sent(engine: Engine) -> int:
    return sum(r.sent for r in engine.snapshot().producers.runners)


def wait_line(result: dict[str, Any]) -> str:
    """Where a press's time went besides the UI thread's CPU: waiting for a core (the other
    processes on the machine), and the rest (the interpreter held by another thread of ours)."""
    queued = result["queued"]
    rest = [max(0.0, lat - c - q) for lat, c, q in zip(result["latencies"], result["cpu"], queued,
                                                       strict=True)]
    return (f"UI thread per key press, waiting for a core: median {statistics.median(queued):.1f} "
            f"ms, p90 {pct(queued, 0.9):.1f} ms; for the interpreter or anything else: median "
            f"{statistics.median(rest):.1f} ms, p90 {pct(rest, 0.9):.1f} ms")


def report(args: argparse.Namespace, result: dict[str, Any]) -> None:
    idle = result["idle"]
    shape = f"{result['parts']:,} partitions, {result['groups']:,} groups"
    met = "met" if idle["process"] <= IDLE_CPU_TARGET else "MISSED"
    print(f"idle CPU ({shape}, Cluster screen, {idle['seconds']:.0f} s): process "
          f"{idle['process']:.1f} % of one core, UI thread {idle['ui']:.1f} %; "
          f"{idle['renders']} renders, {idle['pulls']} snapshot pulls  "
          f"(target <= {IDLE_CPU_TARGET:.0f} % at 30,000 partitions and 1,000 groups: {met} here)")
    if idle["threads"]:
        print("idle CPU by thread: " + ", ".join(f"{name} {cpu:.1f} %"
                                                 for name, cpu in idle["threads"]))
    lat = result["latencies"]
    p90 = pct(lat, 0.9)
    met = "met" if p90 <= KEY_P90_TARGET_MS else "MISSED"
    print(f"key press -> screen change ({shape}, producer with {args.keys} keys asked "
          f"{args.rate:,.0f}/s, achieved "
          f"{result['rate']:,.0f}/s) over {len(lat)} presses: median {statistics.median(lat):.1f} "
          f"ms, p90 {p90:.1f} ms, max {max(lat):.1f} ms  (target p90 <= {KEY_P90_TARGET_MS:.0f} "
          f"ms: {met} here)")
    print("  by screen key (median / max ms): " + ", ".join(
        f"{key} {statistics.median(ms):.0f}/{max(ms):.0f}" for key, ms in sorted(result["by_key"].items())))
    print("CPU by thread during the presses: " + ", ".join(
        f"{name} {cpu:.1f} %" for name, cpu in result["load_threads"]))
    cpu = result["cpu"]
    print(f"UI-thread CPU per key press: median {statistics.median(cpu):.1f} ms, p90 "
          f"{pct(cpu, 0.9):.1f} ms (the latency on an otherwise idle machine)")
    print(wait_line(result))
    print(f"snapshot render (header + visible pane): median {statistics.median(result['renders']):.1f}"
          f" ms; {result['snapshots']} snapshots rendered in {result['elapsed']:.1f} s")
    if result["watch_ms"] is not None:
        print(f"watcher refresh: {result['watch_ms']:.0f} ms")
    if result["rss"] is not None:
        print(f"memory (RSS of the TUI process, engine included): {result['rss']:.0f} MiB")
    load = os.getloadavg()
    print(f"load average (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on "
          f"{os.cpu_count()} cores")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bootstrap", help="use this cluster instead of starting a lab")
    parser.add_argument("--state-dir", help="use the running lab in this state dir")
    parser.add_argument("--partitions", type=int, default=1000,
                        help="benchmark partitions in all (default 1000)")
    parser.add_argument("--per-topic", type=int, default=100, help="partitions per topic")
    parser.add_argument("--groups", type=int, default=20, help="consumer groups (default 20)")
    parser.add_argument("--group-partitions", type=int, default=10,
                        help="partitions each group commits an offset on (default 10)")
    parser.add_argument("--prefix", help="topic and group name prefix (default kxscale-ui-<pid>-)")
    parser.add_argument("--keep", action="store_true", help="leave the topics and groups")
    parser.add_argument("--rate", type=float, default=20_000.0, help="records/s (default 20000)")
    parser.add_argument("--keys", default="random",
                        help="key mode of the producer during the presses (default random)")
    parser.add_argument("--presses", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between presses")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle measured")
    parser.add_argument("--setup-timeout", type=float, default=180.0)
    parser.add_argument("--profile", metavar="FILE",
                        help="write a cProfile of the UI thread over the key presses (pstats)")
    args = parser.parse_args()
    if args.partitions < 1 or args.per_topic < 1 or args.groups < 0:
        parser.error("--partitions and --per-topic must be at least 1, --groups at least 0.")
    with connection(args) as conn:
        shape = Shape(conn.bootstrap, args)
        print(f"creating {len(shape.topics)} topics ({args.partitions:,} partitions) and "
              f"{len(shape.groups)} groups named {shape.prefix}…", file=sys.stderr, flush=True)
        try:
            shape.create()
            with Engine(conn, watch_interval=1.0) as engine:
                app = TimedApp(engine, settings=Settings(), remember=False)
                try:
                    result = asyncio.run(drive(app, engine, args, shape))
                finally:
                    with contextlib.suppress(Exception):
                        engine.call(StopProducer("bench"), timeout=10)
        finally:
            if not args.keep:
                print("deleting the benchmark topics and groups…", file=sys.stderr, flush=True)
                shape.delete()
    report(args, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
