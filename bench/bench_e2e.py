"""End-to-end latency of the explorer versus Kafka's own EndToEndLatency, and a tune point's throughput
versus ProducerPerformance at the same settings.

Same lab, same topic (1 partition), same settings: acks=all, linger.ms=0, one record in flight.

* ``org.apache.kafka.tools.EndToEndLatency`` sends one record, waits until its consumer got it, and
  repeats (linger 0, fetch wait 0); it prints integer-millisecond percentiles (Kafka 4.1 takes
  positional arguments: broker_list topic num_messages producer_acks message_size_bytes).
* The explorer: a producer runner (acks=all, linger.ms=0, max.in.flight=1) at a rate low enough that
  one record is in flight at a time, and one group member taking one record per poll; its produce ->
  first delivery latency (record CreateTime, milliseconds, to the member's receipt) is the group's
  end-to-end summary.

Prints the p50 ratio explorer / EndToEndLatency (target within 20 %: 0.8..1.2; when EndToEndLatency's
whole-millisecond p50 reads 0, against its average instead, and it says so) and the p99 ratio for
reference. The explorer's figure comes from the record's CreateTime, a millisecond timestamp, so at
1 ms latencies it carries up to 1 ms of rounding. Then it prints a tune point (acks=1, linger.ms=5,
100-byte values, open rate) next to ProducerPerformance's records/s at the same settings, for
reference.

Cluster: ``--bootstrap``, else the lab in ``$KX_BENCH_LAB_DIR``, else a temporary 1-node lab.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.common import LAB_DIR_ENV, bench_cluster, wait_for
from tui.engine import (
    AddMember,
    Connection,
    CreateTopic,
    DeleteTopic,
    Engine,
    LatencySummary,
    MemberSpec,
    ProducerProfile,
    RemoveMember,
    StartProducer,
    TopicSpec,
    TuneGrid,
    TuneWorkload,
    Workload,
    run_sweep,
)
from tui.lab.errors import LabError
from tui.lab.jars import classpath, ensure_jars
from tui.lab.java import java_executable
from tui.lab.tools import run_tool

E2E = "org.apache.kafka.tools.EndToEndLatency"
PERF = "org.apache.kafka.tools.ProducerPerformance"
LOW, HIGH = 0.8, 1.2
_PERCENTILES = re.compile(r"Percentiles:\s*50th\s*=\s*([\d.]+),\s*99th\s*=\s*([\d.]+),"
                          r"\s*99\.9th\s*=\s*([\d.]+)")
_AVG = re.compile(r"Avg latency:\s*([\d.]+)\s*ms")


def lab_version() -> str | None:
    reuse = os.environ.get(LAB_DIR_ENV)
    if not reuse:
        return None
    from tui.lab import LabCluster

    try:
        return LabCluster(Path(reuse)).spec.kafka_version
    except Exception:
        return None


def kafka_e2e(bootstrap: str, topic: str, count: int, size: int,
              version: str | None) -> tuple[float, float, float, float]:
    """EndToEndLatency's (avg, p50, p99, p99.9) in ms; positional arguments on Kafka 4.1, flags later."""
    flags = ["--bootstrap-server", bootstrap, "--topic", topic, "--num-records", str(count),
             "--producer-acks", "all", "--record-size", str(size)]
    positional = [bootstrap, topic, str(count), "all", str(size)]
    try:
        out = run_tool(E2E, flags, timeout=600, kafka_version=version)
    except LabError as exc:
        if "broker_list" not in str(exc):
            raise
        out = run_tool(E2E, positional, timeout=600, kafka_version=version)
    pct = _PERCENTILES.search(out)
    avg = _AVG.search(out)
    if pct is None or avg is None:
        raise SystemExit(f"EndToEndLatency printed no percentiles: {out.strip()[-300:]}")
    return float(avg.group(1)), float(pct.group(1)), float(pct.group(2)), float(pct.group(3))


def explorer_e2e(engine: Engine, topic: str, count: int, size: int, rate: float) -> LatencySummary:
    """The explorer's produce -> first delivery summary for ``count`` records on ``topic``."""
    tag = uuid.uuid4().hex[:6]
    group = f"bench-e2e-{tag}"
    member = str(engine.call(AddMember(MemberSpec(group=group, topics=(topic,), strategy="auto",
                                                  name=f"e2e-{tag}", batch_size=1,
                                                  auto_offset_reset="latest")), timeout=30))
    try:
        wait_for(lambda: (v := engine.snapshot().consumers.member(member)) is not None
                 and v.state == "running" and bool(v.assignment), 60, "the member's assignment")
        time.sleep(1.0)  # latest: let the member resolve its start position before the first record
        profile = ProducerProfile(f"e2e{tag}", acks="all", linger_ms=0, max_in_flight=1)
        name = str(engine.call(StartProducer(profile, Workload(topic, count=count, rate=rate,
                                                               value_size=size)), timeout=30))
        if not engine.wait_producer(name, count / rate + 60):
            raise SystemExit("the explorer's producer did not finish")

        def delivered() -> bool:
            return sum(m.delivered for m in engine.snapshot().consumers.members
                       if m.group == group) >= count
        wait_for(delivered, 60, "the member to receive every record")
        found = [g.e2e for g in engine.snapshot().consumers.group_e2e if g.group == group]
        if not found or not found[0].count:
            raise SystemExit("the group has no end-to-end latency summary")
        return found[0]
    finally:
        engine.call(RemoveMember(member), timeout=30)


def perf_throughput(bootstrap: str, topic: str, count: int, size: int) -> str:
    cmd = [java_executable(), "-Xmx512m", "-XX:+UseSerialGC", "-cp", classpath(ensure_jars()), PERF,
           "--topic", topic, "--num-records", str(count), "--record-size", str(size),
           "--throughput", "-1", "--producer-props", f"bootstrap.servers={bootstrap}", "acks=1",
           "linger.ms=5"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    lines = [line for line in proc.stdout.splitlines() if "records sent" in line]
    return lines[-1] if proc.returncode == 0 and lines else f"ProducerPerformance failed ({proc.returncode})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bootstrap", help="use this cluster instead of a lab")
    parser.add_argument("--count", type=int, default=2000, help="records per latency run")
    parser.add_argument("--value-size", type=int, default=100)
    parser.add_argument("--rate", type=float, default=200.0,
                        help="the explorer's records/s: slow enough for one record in flight")
    parser.add_argument("--tune-count", type=int, default=200_000)
    parser.add_argument("--no-java", action="store_true", help="skip Kafka's tools")
    args = parser.parse_args(argv)
    version = None if args.bootstrap else lab_version()
    with bench_cluster(args.bootstrap, "kx-bench-e2e-") as bootstrap, \
            Engine(Connection(bootstrap), watch=False) as engine:
        topic = f"bench-e2e-{int(time.time())}-{uuid.uuid4().hex[:6]}"
        engine.call(CreateTopic(TopicSpec(topic, partitions=1)))
        try:
            ours = explorer_e2e(engine, topic, args.count, args.value_size, args.rate)
            print(f"explorer e2e (acks=all, linger.ms=0, 1 in flight, {args.count} records): "
                  f"p50 {(ours.p50 or 0) * 1000:.2f} ms, p99 {(ours.p99 or 0) * 1000:.2f} ms, p99.9 "
                  f"{(ours.p999 or 0) * 1000:.2f} ms", flush=True)
            if not args.no_java:
                avg, p50, p99, p999 = kafka_e2e(bootstrap, topic, args.count, args.value_size, version)
                print(f"EndToEndLatency (same topic): avg {avg:.2f} ms, p50 {p50:g} ms, p99 {p99:g} ms, "
                      f"p99.9 {p999:g} ms (integer ms)", flush=True)
                mine = (ours.p50 or 0) * 1000
                # EndToEndLatency truncates its percentiles to whole milliseconds: below 1 ms its p50
                # reads 0, and then its average (a float) is the only figure to compare with
                base, what = (p50, "its p50") if p50 >= 1 else (avg, "its average (its p50 is below "
                                                                    "its 1 ms resolution)")
                ratio = mine / base if base else float("inf")
                print(f"explorer/EndToEndLatency: p50 ratio {ratio:.2f} (explorer p50 vs {what}); p99 "
                      f"ratio {(ours.p99 or 0) * 1000 / p99 if p99 else float('inf'):.2f} (reference); "
                      f"target {LOW}..{HIGH}", flush=True)
            view = run_sweep(engine, TuneGrid(acks=("1",), linger_ms=(5,), value_content=("kx",)),
                             TuneWorkload(count=args.tune_count, value_size=args.value_size,
                                          consumer=False), topic)
            point = view.results[0] if view.results else None
            if point is not None:
                print(f"tune point (acks=1, linger.ms=5, {args.value_size} B, open rate): "
                      f"{point.throughput:,.0f} records/s, ack p50 {(point.ack.p50 or 0) * 1000:.1f} ms",
                      flush=True)
            if not args.no_java:
                print(f"ProducerPerformance (same settings, reference): "
                      f"{perf_throughput(bootstrap, topic, args.tune_count, args.value_size)}", flush=True)
        finally:
            engine.call(DeleteTopic(topic))
    return 0


if __name__ == "__main__":
    sys.exit(main())
