"""Explorer responsiveness under load: key press -> screen change while producing 20,000 records/s
and watching 1,000 partitions (issue 6). Target: under 100 ms.

It starts its own 1-node lab (or uses ``--state-dir`` of a running lab, or ``--bootstrap``), creates
10 topics x 100 partitions, starts one engine producer at ``--rate`` records/s with random keys, and
runs the real :class:`ExplorerApp` headless (160x48) on the real engine. Then it presses the screen
keys 1..5 in a loop and measures, for each press, the time from posting the key to the end of the
first screen refresh that shows the new tab (``call_after_refresh`` from the tab-activated handler).
It also reports the UI thread's CPU time per press (``time.thread_time``: what the latency would be
without waiting for a core), the snapshot render time, the producer's achieved rate, the watcher's refresh time
and the machine's load average (other processes share the 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from textual import events
from textual.widgets import TabbedContent

from tui.engine import (
    Connection,
    CreateTopic,
    Engine,
    ProducerProfile,
    StartProducer,
    StopProducer,
    TopicSpec,
    Workload,
    parse_key_mode,
)
from tui.lab import LabCluster
from tui.lab.cluster import temporary_lab
from tui.ui.app import ExplorerApp
from tui.ui.settings import Settings

KEYS = ("2", "3", "4", "5", "1")


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


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def drive(app: TimedApp, engine: Engine, args: argparse.Namespace, prefix: str) -> dict[str, Any]:
    latencies: list[float] = []
    cpu: list[float] = []
    renders: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            cluster = app.snapshot.cluster if app.snapshot else None
            parts = sum(1 for p in cluster.partitions() if p.topic.startswith(prefix)) if cluster \
                else 0
            if parts >= args.topics * args.partitions:
                break
            await pilot.pause(0.25)
        else:
            raise SystemExit("the watcher never showed every benchmark partition")
        print(f"watching {parts} benchmark partitions; warming up {args.warmup:.0f} s…",
              file=sys.stderr, flush=True)
        await pilot.pause(args.warmup)
        sent_before = _sent(engine)
        started = time.monotonic()
        renders_before = app.renders
        for i in range(args.presses):
            key = KEYS[i % len(KEYS)]
            app.shown_at = None
            app.shown = asyncio.Event()
            t0 = time.perf_counter()
            c0 = time.thread_time()  # the UI thread's own CPU, without waiting for a core
            app.post_message(events.Key(key, key))
            await asyncio.wait_for(app.shown.wait(), 30)
            assert app.shown_at is not None
            latencies.append((app.shown_at - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
            renders.append(app.last_render_ms)
            await pilot.pause(args.gap)  # let snapshots stream in between presses
        elapsed = time.monotonic() - started
        rate = (_sent(engine) - sent_before) / elapsed
        snapshots = app.renders - renders_before
    cluster = engine.snapshot().cluster
    return {"latencies": latencies, "cpu": cpu, "renders": renders, "rate": rate, "elapsed": elapsed,
            "snapshots": snapshots, "watch_ms": (cluster.duration * 1000) if cluster else None}


def _sent(engine: Engine) -> int:
    return sum(r.sent for r in engine.snapshot().producers.runners)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="use this cluster instead of starting a lab")
    parser.add_argument("--state-dir", help="use the running lab in this state dir")
    parser.add_argument("--rate", type=float, default=20_000.0, help="records/s (default 20000)")
    parser.add_argument("--topics", type=int, default=10)
    parser.add_argument("--partitions", type=int, default=100, help="per topic (default 100)")
    parser.add_argument("--presses", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between presses")
    parser.add_argument("--warmup", type=float, default=5.0)
    args = parser.parse_args()
    prefix = f"bench-ui-{os.getpid()}-"
    with connection(args) as conn, Engine(conn, watch_interval=1.0) as engine:
        for t in range(args.topics):
            engine.call(CreateTopic(TopicSpec(f"{prefix}{t}", partitions=args.partitions)),
                        timeout=60)
        engine.call(StartProducer(
            ProducerProfile(name="bench", acks="1", linger_ms=5),
            Workload(topic=f"{prefix}0", count=None, rate=args.rate,
                     key_mode=parse_key_mode("random"), value_size=100)), timeout=30)
        app = TimedApp(engine, settings=Settings(), remember=False)
        try:
            result = asyncio.run(drive(app, engine, args, prefix))
        finally:
            with contextlib.suppress(Exception):
                engine.call(StopProducer("bench"), timeout=10)
    lat = result["latencies"]
    load = os.getloadavg()
    print(f"explorer under load: {args.topics * args.partitions} partitions watched, producer "
          f"asked {args.rate:,.0f}/s, achieved {result['rate']:,.0f}/s")
    print(f"key press -> screen change over {len(lat)} presses: median {statistics.median(lat):.1f} "
          f"ms, p90 {pct(lat, 0.9):.1f} ms, max {max(lat):.1f} ms  (target < 100 ms)")
    cpu = result["cpu"]
    print(f"UI-thread CPU per key press: median {statistics.median(cpu):.1f} ms, p90 "
          f"{pct(cpu, 0.9):.1f} ms (the latency on an otherwise idle machine)")
    print(f"snapshot render (header + visible pane): median {statistics.median(result['renders']):.1f}"
          f" ms; {result['snapshots']} snapshots rendered in {result['elapsed']:.1f} s")
    if result["watch_ms"] is not None:
        print(f"watcher refresh: {result['watch_ms']:.0f} ms")
    print(f"load average (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on "
          f"{os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
