"""Process bookkeeping for lab JVMs: PID files, proof of ownership, state, signals.

A PID is only ever signalled when /proc shows its command line runs ``kafka.Kafka`` with this lab's
own properties file: a stale PID file can never make us kill an unrelated process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_our_node(pid: int, properties: Path) -> bool:
    """True when ``pid`` is a live ``kafka.Kafka`` JVM started with exactly ``properties``."""
    args = cmdline(pid)
    return "kafka.Kafka" in args and str(properties) in args


def proc_state(pid: int) -> str | None:
    """The kernel's one-letter state (R, S, T for stopped, Z for zombie), or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name is in parentheses and may contain spaces; the state follows the last ')'
    return stat.rsplit(")", 1)[1].split()[0]


def alive(pid: int) -> bool:
    state = proc_state(pid)
    return state is not None and state not in ("Z", "X")


def signal_pid(pid: int, sig: signal.Signals) -> bool:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def reap(pid: int) -> None:
    """Collect a child's exit status so it does not linger as a zombie (no-op for non-children)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def wait_state(pid: int, accept: Callable[[str | None], bool], timeout: float) -> bool:
    """Wait until the kernel state of ``pid`` satisfies ``accept`` (e.g. 'T' after SIGSTOP)."""
    deadline = time.monotonic() + timeout
    while not accept(proc_state(pid)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reap(pid)
        if not alive(pid):
            return True
        time.sleep(0.05)
    reap(pid)
    return not alive(pid)


def start_time(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot: tells a live process from a reused PID."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # fields after the command name start at field 3 (state); starttime is field 22
    fields = stat.rsplit(")", 1)[1].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def same_process(pid: int, started: int) -> bool:
    """True while the process that had ``pid`` when it started at ``started`` is still alive."""
    return alive(pid) and start_time(pid) == started


def find_nodes(properties: dict[int, Path]) -> dict[int, int]:
    """Node id -> PID of every live ``kafka.Kafka`` JVM started with one of these properties files.

    The same proof as :func:`is_our_node`, found through /proc rather than a PID file: it also finds a
    JVM whose PID file was never written (its launcher died right after starting it).
    """
    wanted = {str(path): node_id for node_id, path in properties.items()}
    found: dict[int, int] = {}
    try:
        entries = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return found
    for pid in entries:
        args = cmdline(pid)
        if "kafka.Kafka" not in args:
            continue
        for arg in args:
            if arg in wanted and alive(pid):
                found[wanted[arg]] = pid
    return found


def kill_group(pid: int) -> None:
    """SIGKILL ``pid`` and, when it leads its own process group (lab JVMs do), the whole group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
            return
    signal_pid(pid, signal.SIGKILL)
