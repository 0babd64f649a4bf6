"""ShareRunner: the thread ``share-runner:<member>`` that owns one share member incarnation's process.

It starts :mod:`tui.engine.share.member_main`, forwards control requests, turns the member's event
frames into the share consumption log (ACQUIRED, PROCESSED, FAILED, ACK, ACK_COMMIT, CRASH, LEAVE),
the member's view state and bus events, and notices when the process exits (left, crashed or died).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.engine.consumer.log import ConsumptionLog
from tui.engine.consumer.wire import Delivered, Processed
from tui.engine.context import EngineContext
from tui.engine.history import ConsumerEventKind as K
from tui.engine.member_process.runner import MemberProcess
from tui.engine.share.state import RecordKey, ShareMemberState


class ShareRunner(MemberProcess[ShareMemberState]):
    """One incarnation. ``on_exit(runner)`` runs on the runner thread once the process is gone;
    ``on_subscribed(group, ts)`` when the member subscribed (the group's start, for the verdict)."""

    MODULE = "tui.engine.share.member_main"
    BUS = "share"
    WHO = "share member"
    KILLED = "its acquired records go back to the group"

    def __init__(self, ctx: EngineContext, log: ConsumptionLog, state: ShareMemberState,
                 crash_after: int | None, on_exit: Callable[[ShareRunner], None],
                 on_subscribed: Callable[[str, float], None]) -> None:
        super().__init__(ctx, state, crash_after, on_exit, "share-runner")
        self.log = log
        self.spec = state.spec
        self.on_subscribed = on_subscribed
        self._acquired_since = 0
        self._again_since = 0

    def _release(self) -> None:
        for key in self.state.in_flight:
            self.state.set_outcome(key, None, "lost" if self.crashed else "released")
        self.state.in_flight.clear()

    def _frame(self, frame: dict[str, Any] | Delivered | Processed) -> None:
        if isinstance(frame, dict):  # share members send plain events only
            self._event(frame)

    def _log(self, ts: float, topic: str, kind: K, **fields: Any) -> None:
        self.log.append(ts, self.name, self.incarnation, self.spec.group, topic, kind, **fields)

    # ---- events from the member process ------------------------------------------------------

    def _ev_subscribed(self, ev: dict[str, Any], ts: float) -> None:
        self.on_subscribed(self.spec.group, ts)

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

    def _aggregate(self) -> None:
        if self._acquired_since:
            again = f", {self._again_since} redelivered" if self._again_since else ""
            self._bus("share.acquired", f"{self.name} acquired {self._acquired_since} record(s){again}",
                      "debug", count=self._acquired_since)
            self._acquired_since = self._again_since = 0
