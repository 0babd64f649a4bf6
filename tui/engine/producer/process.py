"""ProducerProcess: the parent's side of a producer that runs in a process of its own.

The child (:mod:`tui.engine.producer.child_main`) runs the :class:`ProducerRunner` and owns the
client; this side is the same runner's state and views (ledger, statistics, state, rates), filled
from the child's frames by this object's thread, which only reads pipes. So everything that reads a
runner -- the producers' view, the checker's history, delivery reports, ``wait_done`` -- reads this
one, and the producer's Python loop no longer shares a GIL with the screen.

The ledger here is a mirror: the child ships new sends and report rows as packed columns (a few
array copies per frame, about ten frames a second) and this side absorbs them as the runner would.
A child that ends without its ``end`` frame (killed, crashed) leaves its unreported records UNKNOWN
and is said as a failed producer with the last line of its stderr.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import threading
import time
from typing import Any

from tui.engine.child_pipes import ChildPipes
from tui.engine.consumer.wire import Frame
from tui.engine.context import EngineContext
from tui.engine.producer.child_main import INIT_HEADER
from tui.engine.producer.profile import ProducerProfile
from tui.engine.producer.runner import ProducerRunner
from tui.engine.producer.views import ProducerStats
from tui.engine.producer.workload import Workload

MODULE = "tui.engine.producer.child_main"
KILL_GRACE = 5.0
"""Seconds past its flush timeout a stopping child gets before it is killed."""
_READ_SIZE = 1 << 16
_SAMPLE_EVERY = 0.25
"""Seconds between the (time, sent, ok) samples the rates are read from."""


class ProducerProcess(ProducerRunner):
    def __init__(self, ctx: EngineContext, profile: ProducerProfile, workload: Workload,
                 incarnation: int) -> None:
        super().__init__(ctx, profile, workload, incarnation)
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr_tail = b""
        self.exit_code: int | None = None
        self._stdin_lock = threading.Lock()
        self._kill_at: float | None = None
        self._ended = False

    # ---- control (engine threads) -------------------------------------------------------------

    def start(self) -> None:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        conf = self.ctx.connection.client_conf()
        bootstrap = str(conf.pop("bootstrap.servers", ""))
        # connection properties (maybe secrets) travel on the pipe, never on the command line
        init = pickle.dumps({"bootstrap": bootstrap, "properties": conf, "profile": self.profile,
                             "workload": self.workload, "run_id": self.ctx.run_id,
                             "incarnation": self.incarnation})
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-X", "faulthandler", "-m", MODULE], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
            assert self.proc.stdin is not None
            self.proc.stdin.write(INIT_HEADER.pack(len(init)) + init)
            self.proc.stdin.flush()
        except OSError as exc:
            self.build_error = f"The producer process could not start: {exc}."
            self._end("failed", self.build_error)
            self.built.set()
            return
        self.thread.start()

    def request_stop(self, flush_timeout: float) -> None:
        super().request_stop(flush_timeout)
        self._kill_at = time.monotonic() + self._flush_timeout + KILL_GRACE
        self._send({"op": "stop", "flush": self._flush_timeout})

    def _send(self, obj: dict[str, Any]) -> None:
        proc = self.proc
        if proc is None or proc.stdin is None:
            return
        with self._stdin_lock:
            try:
                proc.stdin.write(json.dumps(obj).encode() + b"\n")
                proc.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass

    # ---- the reading thread -------------------------------------------------------------------

    def _run(self) -> None:
        proc = self.proc
        assert proc is not None
        pipes = ChildPipes(proc, _READ_SIZE)
        try:
            pipes.run(self._frames, self._kill_if_late, 0.25)
            self.stderr_tail = pipes.stderr_tail
            self.exit_code = proc.wait()
            if not self._ended:
                self._lost(pipes.last_line())
        except Exception as exc:  # never kill the engine; say what happened
            self.ctx.log.exception("producer %s: reading its process failed", self.name)
            if not self.finished.is_set():
                self._end("failed", f"{self.name}: reading its process failed: {exc}")
        finally:
            with self._stdin_lock:
                for pipe in (proc.stdin, proc.stdout, proc.stderr):
                    try:
                        if pipe is not None:
                            pipe.close()
                    except OSError:
                        pass
            self.built.set()
            self.finished.set()
            self.ctx.bump()

    def _frames(self, frames: list[Frame]) -> None:
        for frame in frames:
            if isinstance(frame, dict):
                self._frame(frame)

    def _kill_if_late(self) -> None:
        proc = self.proc
        if self._kill_at is not None and time.monotonic() > self._kill_at and proc is not None \
                and proc.poll() is None:
            self.ctx.log.warning("producer %s did not stop in time: killed", self.name)
            proc.kill()

    def _frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("k")
        if kind == "ledger":
            self._ledger(frame)
        elif kind == "bus":
            self.ctx.bus.publish(str(frame["kind"]), str(frame["source"]), str(frame["text"]),
                                 str(frame["severity"]), **dict(frame.get("data") or {}))
        elif kind == "built":
            self.build_error = frame.get("error")
            self.built.set()
        elif kind == "log":
            # info, not warning: an unconfigured root logger would print warnings on the terminal
            self.ctx.log.info("producer %s: %s", self.name, str(frame.get("text"))[:300])
        elif kind == "end":
            self.state = str(frame.get("state"))
            self.message = frame.get("message")
            if frame.get("drained"):
                self.drained.set()
            self._ended = True
            self.finished.set()
            self.ctx.bump()

    def _ledger(self, frame: dict[str, Any]) -> None:
        led = self.ledger
        led.mirror_sends(int(frame["sent"]), frame["t"], frame["key"])
        led.mirror_reports(frame["done"], frame["part"], frame["off"], frame["lat"],
                           list(frame["failures"]), list(frame["resent"]))
        led.absorb()
        self.state = str(frame["state"])
        self.message = frame["message"]
        self.started_at = float(frame["started_at"])  # the runner's, after the interpreter's start
        self.ended_at = frame["ended_at"]
        self.drained_at = frame["drained_at"]
        self.poisoned = int(frame["poisoned"])
        self._cpu = float(frame["cpu"])
        self._explained = dict(frame["explained"])
        if frame["stats"] is not None:
            fields, emissions = frame["stats"]
            self.stats.adopt(ProducerStats(**fields) if fields is not None else None, emissions)
        now = time.monotonic()
        if not self._samples or now - self._samples[-1][0] >= _SAMPLE_EVERY:
            self._samples.append((now, led.sent, led.acked + led.acked_no_offset
                                  + led.sent_unacknowledged))
        self.ctx.bump()

    def _lost(self, last_line: str | None) -> None:
        """The child ended without its ``end`` frame: what it did not report stays unknown."""
        code = self.exit_code
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        message = f"{self.name}'s process ended unexpectedly ({how})" + \
            (f": {last_line[:200]}." if last_line else ".")
        if last_line:
            self.ctx.log.warning("producer %s's process ended (%s); its last output:\n%s",
                                 self.name, how, self.stderr_tail.decode(errors="replace"))
        if not self.built.is_set():
            self.build_error = message
        self._end("failed", message)


__all__ = ["ProducerProcess"]
