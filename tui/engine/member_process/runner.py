"""MemberProcess: the parent's side of one member incarnation's child process.

It starts the member main with the connection properties on the pipe (never on the command line),
sends control lines under a lock, asks for a leave by closing stdin, kills on request, and runs the
thread that reads the child's stdout (frames) and stderr (a tail for the crash reason) until both
close. Subclasses turn frames into their log, state and bus events.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any, ClassVar, Generic, Protocol, TypeVar

from tui.engine.child_pipes import ChildPipes
from tui.engine.consumer.wire import Delivered, Frame, Processed
from tui.engine.context import EngineContext
from tui.engine.history import ConsumerEventKind as K


class MemberSpecLike(Protocol):
    @property
    def group(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...


class MemberStateLike(Protocol):
    name: str
    incarnation: int
    state: str
    last_error: str | None
    lock: threading.Lock

    @property
    def spec(self) -> MemberSpecLike: ...


S = TypeVar("S", bound=MemberStateLike)


class MemberProcess(Generic[S]):
    """One incarnation. ``on_exit(runner)`` runs on the runner thread once the process is gone.
    Subclasses set the class names below and handle ``_frame``, ``_log``, ``_aggregate`` (the periodic
    bus summary) and ``_release`` (what the member held, once it stopped)."""

    MODULE: ClassVar[str]
    """The member main, run as ``python -m MODULE``."""
    BUS: ClassVar[str]
    """Prefix of the bus event kinds (``member``, ``share``)."""
    WHO: ClassVar[str]
    """How the parent's log and crash details name the member (``member``, ``share member``)."""
    KILLED: ClassVar[str]
    """What a SIGKILL means for this kind of member (after "was killed (SIGKILL): ")."""
    READ_SIZE: ClassVar[int] = 1 << 16
    PIPE_SIZE: ClassVar[int | None] = None
    """Grow the stdout pipe to this (Linux), so the member never waits for the reader; None: leave it."""
    PUBLISH_EVERY: ClassVar[float] = 1.0
    """Seconds between the aggregated bus events."""

    def __init__(self, ctx: EngineContext, state: S, crash_after: int | None,
                 on_exit: Callable[[Any], None], thread: str) -> None:
        self.ctx = ctx
        self.on_exit = on_exit
        self.state = state
        self.name = state.name
        self.incarnation = state.incarnation
        self.group = state.spec.group
        self._boot_spec = state.spec
        self.crash_after = crash_after
        self.proc: subprocess.Popen[bytes] | None = None
        self.thread = threading.Thread(target=self._run, name=f"{thread}:{self.name}", daemon=True)
        self._stdin_lock = threading.Lock()
        self.kill_requested = False
        self.crashed = False
        self.left = False
        self.exit_code: int | None = None
        self.stderr_tail = b""
        self._next_publish = 0.0
        self.done = threading.Event()

    # ---- control (called from the engine thread) ---------------------------------------------

    def start(self) -> None:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            # faulthandler: a crash inside librdkafka leaves the Python stacks in the stderr tail
            [sys.executable, "-X", "faulthandler", "-m", self.MODULE], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
        if self.PIPE_SIZE is not None:
            _grow_pipe(self.proc.stdout, self.PIPE_SIZE)
        # connection properties (maybe secrets) travel on the pipe, never on the command line
        self.send({"member": self.name, "incarnation": self.incarnation,
                   "conf": self.ctx.connection.client_conf(), "spec": self._boot_spec.to_json(),
                   "crash_after": self.crash_after})
        self.thread.start()

    def send(self, obj: dict[str, Any]) -> bool:
        proc = self.proc
        if proc is None or proc.stdin is None:
            return False
        with self._stdin_lock:
            try:
                proc.stdin.write(json.dumps(obj).encode() + b"\n")
                proc.stdin.flush()
                return True
            except (BrokenPipeError, ValueError, OSError):
                return False

    def leave(self) -> None:
        """Ask for a clean leave: closing stdin is the signal (it also covers a dead parent)."""
        if not self.send({"op": "leave"}):
            return
        proc = self.proc
        if proc is not None and proc.stdin is not None:
            with self._stdin_lock:
                try:
                    proc.stdin.close()
                except OSError:
                    pass

    def kill(self) -> None:
        """Hard crash now: SIGKILL. No commit or acknowledgement, no leave; heartbeats stop at once."""
        self.kill_requested = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()

    @property
    def alive(self) -> bool:
        return not self.done.is_set()

    # ---- the runner thread -------------------------------------------------------------------

    def _run(self) -> None:
        proc = self.proc
        assert proc is not None
        pipes = ChildPipes(proc, self.READ_SIZE)
        try:
            pipes.run(self._frames, lambda: self._publish(False), 0.5)
            self.stderr_tail = pipes.stderr_tail
            self.exit_code = proc.wait()
            self._publish(True)
            self._finish()
        except Exception as exc:  # never kill the engine; say what happened
            self.ctx.log.exception("%s runner %s failed", self.BUS, self.name)
            with self.state.lock:
                self.state.last_error = f"runner failed: {exc}"
                self.state.state = "crashed"
        finally:
            self.done.set()
            self.ctx.bump()
            self.on_exit(self)

    def _frames(self, frames: list[Frame]) -> None:
        for frame in frames:
            self._frame(frame)
        self.ctx.bump()  # once per chunk, not per event

    def _finish(self) -> None:
        """After the exit: a kill or an exit without a leave is a crash, logged and announced once
        (a crash the member injected itself was logged at the injection point)."""
        if self.crashed:
            pass
        elif self.kill_requested:
            self.crashed = True
            self._log(time.time(), "", K.CRASH, detail="killed with SIGKILL by the engine")
            self._bus(f"{self.BUS}.crashed", f"{self.name} was killed (SIGKILL): {self.KILLED}",
                      "warning")
        elif not self.left:
            self.crashed = True
            tail = self.stderr_tail.decode(errors="replace").strip().splitlines()
            why = tail[-1] if tail else (self.state.last_error or "no reason given")
            detail = f"{self.WHO} process exited with code {self.exit_code}: {why}"
            self._log(time.time(), "", K.CRASH, detail=detail[:300])
            self._bus(f"{self.BUS}.crashed", f"{self.name} stopped unexpectedly ({detail[:200]})",
                      "error")
        elif self.exit_code is not None and self.exit_code < 0:
            # it left the group first, so its evidence is complete; the signal is said all the same
            self.ctx.log.warning("%s %s left its group, then its process ended by signal %d; "
                                 "its last output:\n%s", self.WHO, self.name, -self.exit_code,
                                 self.stderr_tail.decode(errors="replace"))  # capped at child_pipes.STDERR_TAIL
            self._bus(f"{self.BUS}.exit-signal", f"{self.name} left its group, then its process "
                      f"ended by signal {-self.exit_code}", "warning", signal=-self.exit_code)
        with self.state.lock:
            self.state.state = "crashed" if self.crashed else "stopped"
            self._release()

    def _event(self, frame: dict[str, Any]) -> None:
        """An event frame goes to ``_ev_<kind>`` (dashes as underscores), if there is one."""
        ts = float(frame.get("ts") or time.time())
        handler = getattr(self, "_ev_" + str(frame.get("k")).replace("-", "_"), None)
        if handler is not None:
            handler(frame, ts)

    def _publish(self, final: bool) -> None:
        now = time.monotonic()
        if not final and now < self._next_publish:
            return
        self._next_publish = now + self.PUBLISH_EVERY
        self._aggregate()

    def _bus(self, kind: str, text: str, severity: str = "info", **data: Any) -> None:
        self.ctx.bus.publish(kind, f"member:{self.name}", text, severity, member=self.name,
                             group=self.group, incarnation=self.incarnation, **data)

    # ---- what subclasses say -----------------------------------------------------------------

    def _frame(self, frame: dict[str, Any] | Delivered | Processed) -> None:
        raise NotImplementedError

    def _log(self, ts: float, topic: str, kind: K, **fields: Any) -> None:
        raise NotImplementedError

    def _aggregate(self) -> None:
        """Publish what was counted since the last time (at most every PUBLISH_EVERY s, and at exit)."""

    def _release(self) -> None:
        """The member stopped: drop what it held (called with the state's lock held)."""

    # ---- events both kinds of member send ----------------------------------------------------

    def _ev_state(self, ev: dict[str, Any], ts: float) -> None:
        with self.state.lock:
            if self.state.state not in ("crashed", "stopped"):
                self.state.state = str(ev["state"])

    def _ev_error(self, ev: dict[str, Any], ts: float) -> None:
        text = str(ev.get("text") or "error")[:300]
        with self.state.lock:
            self.state.last_error = text
        self._bus(f"{self.BUS}.error", f"{self.name}: {text}",
                  "error" if ev.get("fatal") else "warning")

    def _ev_log(self, ev: dict[str, Any], ts: float) -> None:
        # info, not warning: an unconfigured root logger would print warnings on the terminal
        self.ctx.log.info("%s %s: %s", self.WHO, self.name, str(ev.get("text"))[:300])


def _grow_pipe(stream: IO[bytes] | None, size: int) -> None:
    try:
        if stream is not None:
            fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, size)
    except (AttributeError, OSError):  # not Linux, or over the system's pipe-max-size
        pass
