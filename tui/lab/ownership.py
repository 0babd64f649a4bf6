"""Who keeps a lab running: the owner record in its state dir, and the owner's side of the supervisor.

A program that starts a lab for its own use (the TUI, ``run``, the test suite, a benchmark) *owns* it:
:meth:`Supervision.start` launches ``python -m tui.lab.supervisor`` holding the read end of a pipe whose
write end only the owner holds. When the owner ends, by any signal (SIGKILL included), the kernel
closes the write end, the supervisor reads EOF and stops every node; the owner's normal shutdown takes
the same path (it closes the pipe and waits). Why a pipe rather than PR_SET_PDEATHSIG on the JVM: that
fires when the *thread* that forked the JVM exits, which in a threaded app is not the owner's death,
and it would leave a JVM started by a launcher thread running after a clean exit of that thread only.

``owner.json`` records the owner (PID and start time, so a reused PID is not mistaken for it) and its
supervisor. The supervisor stops the lab only while the record still names it: ``lab up`` on a lab
takes it over by clearing the record, and a new owner adopts an orphan by writing its own.

A lab with no record was started by ``lab up`` and runs until ``lab down``. A record whose owner and
supervisor are both gone while nodes still run marks an **orphan**: the next command says so and
offers to stop or adopt it (see :mod:`tui.lab.session`).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tui import paths
from tui.lab import process
from tui.lab.errors import LabError
from tui.vocab import LabOwnerState

OWNER_FILE = "owner.json"
SUPERVISOR_LOG = "supervisor.log"
SUPERVISOR_MODULE = "tui.lab.supervisor"
READY_LINE = "ready"
RELEASED_EXIT = 3
"""The supervisor's exit code when the record no longer named it: it left the lab running."""
START_TIMEOUT = 15.0
STOP_TIMEOUT = 45.0
"""How long an owner waits for its supervisor to stop the lab (its grace is shorter: see supervisor)."""


@dataclass(frozen=True)
class OwnerRecord:
    """``owner.json``: the program that owns the lab and the supervisor that stops it."""

    pid: int
    start: int
    """The owner's start time (/proc clock ticks): a different process on a reused PID is not it."""
    command: str
    supervisor_pid: int
    supervisor_start: int
    since: float
    """Wall-clock time the ownership began."""

    def owner_alive(self) -> bool:
        return process.same_process(self.pid, self.start)

    def supervisor_alive(self) -> bool:
        return (process.same_process(self.supervisor_pid, self.supervisor_start)
                and SUPERVISOR_MODULE in " ".join(process.cmdline(self.supervisor_pid)))


def record_path(state_dir: Path) -> Path:
    return Path(state_dir) / OWNER_FILE


def read_record(state_dir: Path) -> OwnerRecord | None:
    """The owner record, or None when there is none (or it is unreadable: treated as no owner)."""
    try:
        data = json.loads(record_path(state_dir).read_text())
        return OwnerRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def write_record(state_dir: Path, record: OwnerRecord) -> None:
    path = record_path(state_dir)
    tmp = path.with_name(f".{OWNER_FILE}.{os.getpid()}")
    tmp.write_text(json.dumps(asdict(record), indent=2))
    tmp.replace(path)


def clear_record(state_dir: Path, supervisor_pid: int | None = None) -> bool:
    """Delete the record (only if it names ``supervisor_pid``, when given); True if it was deleted."""
    record = read_record(state_dir)
    if record is None or (supervisor_pid is not None and record.supervisor_pid != supervisor_pid):
        return False
    record_path(state_dir).unlink(missing_ok=True)
    return True


@dataclass(frozen=True)
class Ownership:
    """Who keeps the lab running, as ``lab status`` and lab sessions see it."""

    state: LabOwnerState
    record: OwnerRecord | None = None

    def describe(self) -> str:
        """A short phrase: ``orphaned (owner 12345 gone)``, ``owned by pid 12345 (kafka-explorer)``."""
        rec = self.record
        if rec is None or self.state == LabOwnerState.NONE:
            return "none (started by `lab up`: runs until `lab down`)"
        if self.state == LabOwnerState.OWNED:
            return f"owned by pid {rec.pid} ({rec.command}): stops when it ends"
        if self.state == LabOwnerState.STOPPING:
            return f"stopping (owner {rec.pid} gone, supervisor {rec.supervisor_pid} stopping it)"
        return f"orphaned (owner {rec.pid} gone)"


def ownership(state_dir: Path, any_running: bool) -> Ownership:
    """Classify the lab in ``state_dir``; ``any_running`` tells whether any of its nodes runs."""
    record = read_record(state_dir)
    if record is None:
        return Ownership(LabOwnerState.NONE)
    if record.owner_alive():
        return Ownership(LabOwnerState.OWNED, record)
    if record.supervisor_alive():
        return Ownership(LabOwnerState.STOPPING, record)
    if any_running:
        return Ownership(LabOwnerState.ORPHANED, record)
    return Ownership(LabOwnerState.NONE, record)  # stale: everything it owned is gone


def describe_command(argv: list[str] | None = None) -> str:
    """The owner's program and first arguments for one status line (``name=value`` words left out:
    they may carry secrets)."""
    args = list(sys.argv if argv is None else argv) or ["python"]
    name = Path(args[0]).name
    if name == "__main__.py":  # python -m <package>
        name = f"python -m {Path(args[0]).parent.name}"
    return " ".join([name, *[a for a in args[1:4] if "=" not in a]])[:80]


class Supervision:
    """This process owns a lab: its supervisor stops the lab when this process ends, however."""

    def __init__(self, state_dir: Path, proc: subprocess.Popen[bytes], write_fd: int) -> None:
        self.state_dir = state_dir
        self._proc = proc
        self._write_fd: int | None = write_fd

    @property
    def pid(self) -> int:
        return self._proc.pid

    @classmethod
    def start(cls, state_dir: Path, command: str | None = None) -> Supervision:
        """Start the supervisor of the lab in ``state_dir`` and record this process as its owner."""
        state_dir = paths.ensure(Path(state_dir))
        read_fd, write_fd = os.pipe()  # both ends close on exec: no other child inherits the write end
        owner_start = process.start_time(os.getpid()) or 0
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        try:
            with (state_dir / SUPERVISOR_LOG).open("ab") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", SUPERVISOR_MODULE, str(state_dir), str(read_fd),
                     str(os.getpid()), str(owner_start)],
                    pass_fds=(read_fd,), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=log, start_new_session=True, env=env)  # own session: no terminal signals
        except OSError as exc:
            os.close(write_fd)
            raise LabError(f"The lab supervisor could not be started ({exc}).") from exc
        finally:
            os.close(read_fd)
        supervision = cls(state_dir, proc, write_fd)
        write_record(state_dir, OwnerRecord(
            pid=os.getpid(), start=owner_start, command=command or describe_command(),
            supervisor_pid=proc.pid, supervisor_start=process.start_time(proc.pid) or 0,
            since=time.time()))
        if not supervision._wait_ready():
            supervision._abandon()
            raise LabError(f"The lab supervisor did not start; see {state_dir / SUPERVISOR_LOG}.")
        return supervision

    def _wait_ready(self) -> bool:
        stdout = self._proc.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], START_TIMEOUT)
        line = stdout.readline().decode(errors="replace").strip() if ready else ""
        stdout.close()
        return line == READY_LINE

    def _abandon(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self._proc.send_signal(signal.SIGKILL)
        self._proc.wait()
        self._close_pipe()
        clear_record(self.state_dir, self.pid)

    def _close_pipe(self) -> None:
        if self._write_fd is not None:
            os.close(self._write_fd)
            self._write_fd = None

    def close(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """End the ownership: the supervisor stops the lab (unless it was taken over) and exits.

        Returns the supervisor's exit code (:data:`RELEASED_EXIT`: it left the lab running, someone
        took it over), or None when it did not exit in time (then it keeps trying on its own).
        """
        self._close_pipe()
        try:
            return self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
