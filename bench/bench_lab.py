"""Time to readiness of the lab cluster: 1 node and 3 nodes, fresh state dirs, jars already cached.

Readiness = every node logged "Kafka Server started" and describe_cluster lists every node.
Prints one line per size plus the jar folder size. Starts and stops its own clusters, each owned by
this process (a supervisor stops it should the benchmark be killed).

    python bench/bench_lab.py [--kafka-version 4.4.0 ...] [--nodes 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tui.lab import LabCluster
from tui.lab.jars import default_version, ensure_jars
from tui.vocab import KafkaVersion, names


def measure(nodes: int, version: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix=f"kx-bench-lab{nodes}-") as tmp:
        lab = LabCluster(Path(tmp))
        with lab.owned(command="bench_lab.py"):
            start = time.monotonic()
            lab.up(nodes=nodes, timeout=180, kafka_version=version)
            ready = time.monotonic() - start
            start = time.monotonic()
            lab.down()
            return ready, time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka-version", action="append", choices=names(KafkaVersion),
                        help="repeat to measure several versions (default: the default version)")
    parser.add_argument("--nodes", type=int, action="append", choices=(1, 3),
                        help="cluster sizes to measure (default: 1 and 3)")
    args = parser.parse_args(argv)
    for version in args.kafka_version or [default_version()]:
        started = time.monotonic()
        libs = ensure_jars(version=version)
        fetched = time.monotonic() - started
        jars = list(libs.glob("*.jar"))
        size = sum(p.stat().st_size for p in jars)
        print(f"Kafka {version} jars: {len(jars)} files, {size / 1e6:.1f} MB in {libs} "
              f"({fetched:.1f} s to fetch or find)")
        for nodes in args.nodes or (1, 3):
            ready, down = measure(nodes, version)
            verdict = "within" if nodes == 1 or ready <= 30 else "OVER"
            print(f"Kafka {version} lab {nodes} node(s): ready in {ready:.1f} s (format included), "
                  f"down in {down:.1f} s" + (f" — {verdict} the 30 s target" if nodes == 3 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
