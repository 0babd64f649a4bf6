"""Time to readiness of the lab cluster: 1 node and 3 nodes, fresh state dirs, jars already cached.

Readiness = every node logged "Kafka Server started" and describe_cluster lists every node.
Prints one line per size plus the jar folder size. Starts and stops its own clusters.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tui.lab import LabCluster
from tui.lab.jars import ensure_jars


def measure(nodes: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix=f"kx-bench-lab{nodes}-") as tmp:
        lab = LabCluster(Path(tmp))
        start = time.monotonic()
        lab.up(nodes=nodes, timeout=180)
        ready = time.monotonic() - start
        start = time.monotonic()
        lab.down()
        return ready, time.monotonic() - start


def main() -> int:
    libs = ensure_jars()
    jars = list(libs.glob("*.jar"))
    size = sum(p.stat().st_size for p in jars)
    print(f"jars: {len(jars)} files, {size / 1e6:.1f} MB in {libs}")
    for nodes in (1, 3):
        ready, down = measure(nodes)
        verdict = "within" if nodes == 1 or ready <= 30 else "OVER"
        print(f"lab {nodes} node(s): ready in {ready:.1f} s (format included), down in {down:.1f} s"
              + (f" — {verdict} the 30 s target" if nodes == 3 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
