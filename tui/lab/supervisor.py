"""``python -m tui.lab.supervisor STATE_DIR FD OWNER_PID OWNER_START``: stop a lab when its owner ends.

Started by :meth:`tui.lab.ownership.Supervision.start` in its own session (closing the terminal or
Ctrl-C in it does not reach it). It blocks on the read end ``FD`` of a pipe whose write end only the
owner holds: EOF means the owner closed it (normal shutdown) or died (any signal, SIGKILL included).
It also checks every second that the owner process still exists, in case a forked child of the owner
inherited the write end. Then, if ``owner.json`` still names this supervisor, it stops every node
(SIGTERM, then SIGKILL of the node's process group after :data:`GRACE` seconds), clears the record and
exits 0; if the lab was taken over meanwhile it exits :data:`~tui.lab.ownership.RELEASED_EXIT` and
leaves the lab running. SIGTERM to the supervisor itself also stops the lab. What it does goes to
``supervisor.log`` in the state dir.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from tui.lab import process
from tui.lab.cluster import LabCluster
from tui.lab.ownership import READY_LINE, RELEASED_EXIT, SUPERVISOR_LOG, clear_record, read_record

GRACE = 12.0
"""Seconds between SIGTERM and SIGKILL: a lone node stops cleanly in 1-3 s; 3 nodes stopping at once
can lose their quorum and would otherwise wait minutes. EOF to last JVM gone stays well under 30 s."""
OWNER_CHECK_INTERVAL = 1.0


class _Terminated(Exception):
    """SIGTERM reached the supervisor."""


def _on_term(_signum: int, _frame: FrameType | None) -> None:
    raise _Terminated


def wait_for_owner_end(fd: int, owner_pid: int, owner_start: int) -> str:
    """Block until the owner is gone; return why (for the log)."""
    while True:
        readable, _, _ = select.select([fd], [], [], OWNER_CHECK_INTERVAL)
        if readable and not os.read(fd, 4096):
            return "the owner closed its pipe"
        if not process.same_process(owner_pid, owner_start):
            return f"the owner process {owner_pid} is gone"


def stop_lab(state_dir: Path, log: Log) -> int:
    """Stop the lab if this supervisor still owns it; the exit code of the supervisor."""
    record = read_record(state_dir)
    if record is None or record.supervisor_pid != os.getpid():
        log("the lab was taken over (owner record no longer names this supervisor): left running")
        return RELEASED_EXIT
    cluster = LabCluster(state_dir, progress=log)
    started = time.monotonic()
    stopped = cluster.down(timeout=GRACE)
    clear_record(state_dir, os.getpid())
    log(f"stopped nodes {stopped} in {time.monotonic() - started:.1f} s" if stopped
        else "no node was running")
    return 0


class Log:
    """Timestamped lines appended to ``supervisor.log``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, line: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        try:
            with self.path.open("a") as handle:
                handle.write(f"[{stamp}] supervisor {os.getpid()}: {line}\n")
        except OSError:
            pass  # a full disk must not keep the lab running


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    state_dir, fd, owner_pid, owner_start = Path(argv[0]), int(argv[1]), int(argv[2]), int(argv[3])
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    log = Log(state_dir / SUPERVISOR_LOG)
    signal.signal(signal.SIGTERM, _on_term)
    try:
        try:
            print(READY_LINE, flush=True)
        except OSError:
            pass  # the owner died before reading it: the pipe below says so at once
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # the owner stopped reading: nothing more goes to its pipe
        os.close(devnull)
        log(f"watching owner {owner_pid}")
        reason = wait_for_owner_end(fd, owner_pid, owner_start)
    except _Terminated:
        reason = "SIGTERM"
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the stop short
    log(f"{reason}: stopping the lab")
    return stop_lab(state_dir, log)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
