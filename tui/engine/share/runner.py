"""ShareRunner: the thread ``share-runner:<member>`` that owns one share member incarnation's process.

It starts :mod:`tui.engine.share.member_main`, forwards control requests, turns the member's event
frames into the share consumption log (ACQUIRED, PROCESSED, FAILED, ACK, ACK_COMMIT, CRASH, LEAVE),
the member's view state and bus events, and notices when the process exits (left, crashed or died).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from tui.engine.consumer.log import ConsumptionLog
from tui.engine.consumer.wire import Delivered, FrameReader, Processed
from tui.engine.context import EngineContext
from tui.engine.history import ConsumerEventKind as K
from tui.engine.share.state import RecordKey, ShareMemberState

READ_SIZE = 1 << 16
PUBLISH_EVERY = 1.0


class ShareRunner:
    """One incarnation. ``on_exit(runner)`` runs on the runner thread once the process is gone;
    ``on_subscribed(group, ts)`` when the member subscribed (the group's start, for the verdict)."""

    def __init__(self, ctx: EngineContext, log: ConsumptionLog, state: ShareMemberState,
                 crash_after: int | None, on_exit: Callable[[ShareRunner], None],
                 on_subscribed: Callable[[str, float], None]) -> None:
        self.ctx = ctx
        self.log = log
        self.state = state
        self.name = state.name
        self.spec = state.spec
        self.incarnation = state.incarnation
        self.crash_after = crash_after
        self.on_exit = on_exit
        self.on_subscribed = on_subscribed
        self.proc: subprocess.Popen[bytes] | None = None
        self.thread = threading.Thread(target=self._run, name=f"share-runner:{self.name}", daemon=True)
        self._stdin_lock = threading.Lock()
        self.kill_requested = False
        self.crashed = False
        self.left = False
        self.exit_code: int | None = None
        self.stderr_tail = b""
        self._reader = FrameReader()
        self._acquired_since = 0
        self._again_since = 0
        self._next_publish = 0.0
        self.done = threading.Event()

    # ---- control (called from the engine thread) ---------------------------------------------

    def start(self) -> None:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui.engine.share.member_main"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
        # connection properties (maybe secrets) travel on the pipe, never on the command line
        self.send({"member": self.name, "incarnation": self.incarnation,
                   "conf": self.ctx.connection.client_conf(), "spec": self.spec.to_json(),
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
        """Hard crash now: SIGKILL. No acknowledgement, no leave."""
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
        assert proc.stdout is not None
        assert proc.stderr is not None
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ, "out")
        sel.register(proc.stderr, selectors.EVENT_READ, "err")
        open_streams = 2
        try:
            while open_streams:
                for key, _ in sel.select(0.5):
                    stream: IO[bytes] = key.fileobj  # type: ignore[assignment]
                    data = os.read(stream.fileno(), READ_SIZE)
                    if not data:
                        sel.unregister(stream)
                        open_streams -= 1
                        continue
                    if key.data == "err":
                        self.stderr_tail = (self.stderr_tail + data)[-2000:]
                        continue
                    frames = self._reader.feed(data)
                    for frame in frames:
                        self._frame(frame)
                    if frames:
                        self.ctx.bump()
                self._publish(False)
            self.exit_code = proc.wait()
            self._publish(True)
            self._finish()
        except Exception as exc:  # never kill the engine; say what happened
            self.ctx.log.exception("share runner %s failed", self.name)
            with self.state.lock:
                self.state.last_error = f"runner failed: {exc}"
                self.state.state = "crashed"
        finally:
            sel.close()
            self.done.set()
            self.ctx.bump()
            self.on_exit(self)

    def _finish(self) -> None:
        if self.crashed:
            pass  # the member logged its own CRASH at the injection point
        elif self.kill_requested:
            self.crashed = True
            self._log(time.time(), "", K.CRASH, detail="killed with SIGKILL by the engine")
            self._bus("share.crashed", f"{self.name} was killed (SIGKILL): its acquired records go back "
                      "to the group", "warning")
        elif not self.left:
            self.crashed = True
            tail = self.stderr_tail.decode(errors="replace").strip().splitlines()
            why = tail[-1] if tail else (self.state.last_error or "no reason given")
            detail = f"share member process exited with code {self.exit_code}: {why}"
            self._log(time.time(), "", K.CRASH, detail=detail[:300])
            self._bus("share.crashed", f"{self.name} stopped unexpectedly ({detail[:200]})", "error")
        with self.state.lock:
            self.state.state = "crashed" if self.crashed else "stopped"
            for key in self.state.in_flight:
                self.state.set_outcome(key, None, "lost" if self.crashed else "released")
            self.state.in_flight.clear()

    def _frame(self, frame: dict[str, Any] | Delivered | Processed) -> None:
        if not isinstance(frame, dict):
            return  # share members send plain events only
        ts = float(frame.get("ts") or time.time())
        handler = getattr(self, "_ev_" + str(frame.get("k")).replace("-", "_"), None)
        if handler is not None:
            handler(frame, ts)

    def _log(self, ts: float, topic: str, kind: K, **fields: Any) -> None:
        self.log.append(ts, self.name, self.incarnation, self.spec.group, topic, kind, **fields)

    def _bus(self, kind: str, text: str, severity: str = "info", **data: Any) -> None:
        self.ctx.bus.publish(kind, f"member:{self.name}", text, severity, member=self.name,
                             group=self.spec.group, incarnation=self.incarnation, **data)

    # ---- events from the member process ------------------------------------------------------

    def _ev_subscribed(self, ev: dict[str, Any], ts: float) -> None:
        self.on_subscribed(self.spec.group, ts)

    def _ev_state(self, ev: dict[str, Any], ts: float) -> None:
        with self.state.lock:
            if self.state.state not in ("crashed", "stopped"):
                self.state.state = str(ev["state"])

    def _ev_acquired(self, ev: dict[str, Any], ts: float) -> None:
        rows = ev.get("rows") or []
        again: list[str] = []
        with self.state.lock:
            st = self.state
            if st.state == "joining":
                st.state = "running"
            for topic, p, o, mid, count, k, v in rows:
                key: RecordKey = (str(topic), int(p), int(o))
                st.acquired += 1
                st.counts[int(count)] += 1
                st.in_flight.add(key)
                st.note_recent(ts, key, mid, int(count), k, v)
                if int(count) > 1:
                    again.append(f"{topic}[{p}]@{o} (delivery {count})")
        for topic, p, o, mid, count, _k, _v in rows:
            self._log(ts, str(topic), K.ACQUIRED, partition=int(p), offset=int(o), msg_id=mid,
                      attempt=int(count))
        self._acquired_since += len(rows)
        self._again_since += len(again)
        if again:
            self._bus("share.redelivered", f"{self.name} acquired {len(again)} record(s) again: "
                      f"{', '.join(again[:5])}{' ...' if len(again) > 5 else ''}", "notice",
                      records=len(again))

    def _ev_processed(self, ev: dict[str, Any], ts: float) -> None:
        self._log(ts, str(ev["t"]), K.PROCESSED, partition=int(ev["p"]), offset=int(ev["o"]),
                  msg_id=ev.get("id"))
        with self.state.lock:
            self.state.processed += 1

    def _ev_failed(self, ev: dict[str, Any], ts: float) -> None:
        self._log(ts, str(ev["t"]), K.FAILED, partition=int(ev["p"]), offset=int(ev["o"]),
                  msg_id=ev.get("id"), error=ev.get("error"), detail=str(ev.get("detail") or "")[:256],
                  attempt=int(ev.get("dc") or 1))
        key: RecordKey = (str(ev["t"]), int(ev["p"]), int(ev["o"]))
        with self.state.lock:
            self.state.failed += 1
            self.state.set_outcome(key, int(ev.get("dc") or 1), "failed")

    def _ev_ack(self, ev: dict[str, Any], ts: float) -> None:
        action, count = str(ev["action"]), int(ev.get("dc") or 1)
        key: RecordKey = (str(ev["t"]), int(ev["p"]), int(ev["o"]))
        self._log(ts, key[0], K.ACK, partition=key[1], offset=key[2], msg_id=ev.get("id"),
                  action=action, attempt=count, mode=ev.get("mode"))
        with self.state.lock:
            self.state.acks[action] += 1
            self.state.set_outcome(key, count, action)
        if action != "accept":
            self._bus(f"share.{action}", f"{self.name} {action}d {key[0]}[{key[1]}]@{key[2]} "
                      f"(delivery {count})" if action == "release" else
                      f"{self.name} rejected {key[0]}[{key[1]}]@{key[2]} (delivery {count}): archived",
                      "notice", action=action, topic=key[0], partition=key[1], offset=key[2],
                      delivery_count=count)

    def _ev_ack_commit(self, ev: dict[str, Any], ts: float) -> None:
        ok, error = bool(ev.get("ok")), ev.get("error")
        covered = 0
        with self.state.lock:
            for topic, p, offsets in ev.get("rows") or []:
                for o in offsets:
                    self.state.in_flight.discard((str(topic), int(p), int(o)))
                    covered += 1
            if ok:
                self.state.ack_commits_ok += 1
            else:
                self.state.ack_commits_failed += 1
                self.state.last_error = f"acknowledgement commit failed: {error}"
            self.state.last_ack_commit = (f"{'ok' if ok else 'failed: ' + str(error)}: {covered} "
                                          "record(s)")
        for topic, p, offsets in ev.get("rows") or [["", 0, []]]:
            self._log(ts, str(topic), K.ACK_COMMIT, offsets=tuple((int(p), int(o)) for o in offsets),
                      ok=ok, error=error)
        if not ok:
            self._bus("share.ack-commit-failed", f"{self.name}: the broker refused an acknowledgement "
                      f"commit of {covered} record(s): {error}", "warning", error=error)

    def _ev_policy(self, ev: dict[str, Any], ts: float) -> None:
        self._bus("share.policy", f"{self.name} now acknowledges as {ev.get('label')}", "notice")

    def _ev_crash(self, ev: dict[str, Any], ts: float) -> None:
        self.crashed = True
        detail = str(ev.get("detail") or "")
        self._log(ts, "", K.CRASH, detail=detail)
        self._bus("share.crashed", f"{self.name} crashed {detail}: no acknowledgement, no leave; its "
                  "acquired records go back to the group", "warning", detail=detail)

    def _ev_leave(self, ev: dict[str, Any], ts: float) -> None:
        self.left = True
        self._log(ts, "", K.LEAVE)
        self._bus("share.left", f"{self.name} left share group {self.spec.group} cleanly")

    def _ev_error(self, ev: dict[str, Any], ts: float) -> None:
        text = str(ev.get("text") or "error")[:300]
        with self.state.lock:
            self.state.last_error = text
        self._bus("share.error", f"{self.name}: {text}", "error" if ev.get("fatal") else "warning")

    def _ev_log(self, ev: dict[str, Any], ts: float) -> None:
        # info, not warning: an unconfigured root logger would print warnings on the terminal
        self.ctx.log.info("share member %s: %s", self.name, str(ev.get("text"))[:300])

    def _publish(self, final: bool) -> None:
        now = time.monotonic()
        if not final and now < self._next_publish:
            return
        self._next_publish = now + PUBLISH_EVERY
        if self._acquired_since:
            again = f", {self._again_since} redelivered" if self._again_since else ""
            self._bus("share.acquired", f"{self.name} acquired {self._acquired_since} record(s){again}",
                      "debug", count=self._acquired_since)
            self._acquired_since = self._again_since = 0
