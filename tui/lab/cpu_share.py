"""The lab's nodes together weigh on the CPU what one program does.

Linux's autogroup scheduler (``/proc/sys/kernel/sched_autogroup_enabled``, on by default on desktop
kernels) shares the cores between sessions, each at the same weight. Every node JVM runs in a
session of its own (so no terminal signal reaches it), so a 3-node lab on a busy 2-core machine
took three shares out of five: beside a producer and the explorer, the screen got a fifth of the
machine and each key press waited for it (``bench/bench_scale.py`` measures it at 30,000
partitions).

:func:`weigh_as_one` lowers each node session's autogroup weight so that the nodes of the lab add up
to one session's weight (a 1-node lab is untouched). It only ever lowers a priority, which needs no
privilege; where there is no autogroup (another kernel, the feature off) it changes nothing.
"""

from __future__ import annotations

import errno
import time
from pathlib import Path

NICE_WEIGHTS = (1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110)
"""The kernel's scheduling weight of nice 0..10 (``sched_prio_to_weight``)."""
RATE_LIMIT_WAIT_S = 1.0
"""An unprivileged write is refused (EAGAIN) within 0.1 s of the previous one on the machine."""


def share_nice(nodes: int) -> int:
    """The autogroup nice at which ``nodes`` sessions weigh closest to one at nice 0."""
    return min(range(len(NICE_WEIGHTS)), key=lambda n: abs(nodes * NICE_WEIGHTS[n] - NICE_WEIGHTS[0]))


def autogroup_file(pid: int) -> Path:
    return Path(f"/proc/{pid}/autogroup")


def weigh_as_one(pid: int, nodes: int) -> bool:
    """Give node process ``pid``'s session its share of a lab of ``nodes`` nodes; True when set
    (False: a 1-node lab, no autogroup here, or the process is gone)."""
    nice = share_nice(nodes)
    if nice == 0:
        return False
    path = autogroup_file(pid)
    deadline = time.monotonic() + RATE_LIMIT_WAIT_S
    while True:
        try:
            path.write_text(f"{nice}\n")
            return True
        except OSError as exc:
            if exc.errno != errno.EAGAIN or time.monotonic() >= deadline:
                return False  # no autogroup here (ENOENT), or the node is gone: nothing to weigh
        time.sleep(0.02)  # the kernel's once-per-0.1 s limit on unprivileged writes


def autogroup_nice(pid: int) -> int | None:
    """The nice of ``pid``'s autogroup (``/autogroup-N nice K``), None without autogroup."""
    try:
        return int(autogroup_file(pid).read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None
