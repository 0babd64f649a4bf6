"""MemberRunner: the thread ``consumer-runner:<member>`` that owns one member incarnation's process.

It starts ``tui.engine.consumer.member_main`` (which creates, polls and closes the Consumer), forwards
control requests to it, turns its event frames (:mod:`tui.engine.consumer.wire`) into the consumption
log, the member's view state and bus events, and notices when it exits (left, crashed, or died).
Deliveries and processed records come a batch at a time and are handled a batch at a time: one log
append, one state update, whatever the batch size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.engine.consumer import e2e
from tui.engine.consumer.log import ConsumptionLog, rising_run
from tui.engine.consumer.stalls import StallDetector
from tui.engine.consumer.state import MemberState
from tui.engine.consumer.transactions import TransactionBook
from tui.engine.consumer.wire import Delivered, Processed
from tui.engine.context import EngineContext
from tui.engine.history import ConsumerEventKind as K
from tui.engine.history import DltTarget
from tui.engine.member_process.runner import MemberProcess
from tui.vocab import PolicyAction


def _parts_text(topic: str, parts: list[int]) -> str:
    return f"{topic}[{','.join(str(p) for p in parts)}]"


@dataclass
class Shared:
    """What every runner feeds besides its own member's state (owned by GroupMembers)."""

    transactions: TransactionBook = field(default_factory=TransactionBook)
    stalls: StallDetector = field(default_factory=StallDetector)
    latency: e2e.GroupLatency = field(default_factory=e2e.GroupLatency)


class MemberRunner(MemberProcess[MemberState]):
    """One incarnation. ``on_exit(runner)`` is called on the runner thread when the process is gone."""

    MODULE = "tui.engine.consumer.member_main"
    BUS = "member"
    WHO = "member"
    KILLED = "no commit, no leave; the group notices after the session timeout"
    READ_SIZE = 1 << 20
    PIPE_SIZE = 1 << 20
    """The member's stdout pipe (Linux; 64 KiB otherwise): room for many batches, so the member never
    waits for this thread to catch up."""

    def __init__(self, ctx: EngineContext, log: ConsumptionLog, state: MemberState,
                 crash_after: int | None, on_exit: Callable[[MemberRunner], None],
                 shared: Shared | None = None) -> None:
        super().__init__(ctx, state, crash_after, on_exit, "consumer-runner")
        self.log = log
        self.shared = shared or Shared()
        self.spec = state.spec
        self.policy_crash = False
        """The member's error policy (fail) crashed it: GroupMembers restarts it (a crash loop)."""
        self._batch: Delivered | None = None
        """The member's current batch (PROCESSED frames point into it)."""
        self._batch_parts: dict[tuple[str, int], tuple[int, int, int]] = {}
        """(count, lowest, highest offset) per partition of the current batch."""
        self._delivered_since = 0
        self._delivered_range: dict[tuple[str, int], tuple[int, int]] = {}
        self._commits_since = 0

    def _release(self) -> None:
        self.state.assignment.clear()

    def _frame(self, frame: dict[str, Any] | Delivered | Processed) -> None:
        if isinstance(frame, Delivered):
            self._delivered(frame)
            return
        if isinstance(frame, Processed):
            self._processed(frame)
            return
        self._event(frame)

    def _log(self, ts: float, topic: str, kind: K, **fields: Any) -> None:
        self.log.append(ts, self.name, self.incarnation, self.spec.group, topic, kind,
                        strategy=self.state.strategy, **fields)

    # ---- events from the member process ------------------------------------------------------

    def _ev_assign(self, ev: dict[str, Any], ts: float) -> None:
        topic, parts, gen = ev["t"], list(ev["parts"]), int(ev["gen"])
        offsets = tuple((int(p), int(o)) for p, o in ev.get("offsets") or [])
        self._log(ts, topic, K.ASSIGN, partitions=tuple(parts), offsets=offsets, generation=gen)
        committed = dict(offsets)
        with self.state.lock:
            self.state.generation = gen
            if self.state.state in ("joining", "kicked"):
                self.state.state = "running"
            for p in parts:
                self.state.assignment.add((topic, p))
                ps = self.state.part(topic, p)
                ps.committed = committed.get(p, ps.committed)
                # the fetch starts at the committed offset (else auto.offset.reset decides)
                ps.position = committed.get(p)
        for p, offset in committed.items():
            self.shared.stalls.committed(self.spec.group, topic, p, offset)
        self._bus("member.assigned", f"{self.name} was assigned {_parts_text(topic, parts)} "
                  f"(generation {gen}, {self.spec.assignment_label})", topic=topic,
                  partitions=parts, generation=gen, protocol=self.spec.assignment_label)

    def _ev_revoke(self, ev: dict[str, Any], ts: float, lost: bool = False) -> None:
        topic, parts, gen = ev["t"], list(ev["parts"]), int(ev["gen"])
        listener = ev.get("cor")
        self._log(ts, topic, K.LOST if lost else K.REVOKE, partitions=tuple(parts), generation=gen,
                  commit_on_revoke=None if listener is None else bool(listener))
        with self.state.lock:
            for p in parts:
                self.state.assignment.discard((topic, p))
                self.state.held.pop((topic, p), None)
        word = "lost" if lost else "revoked"
        self._bus(f"member.{word}", f"{self.name}: {_parts_text(topic, parts)} {word} "
                  f"(generation {gen})", "warning" if lost else "info", topic=topic,
                  partitions=parts, generation=gen, protocol=self.spec.assignment_label)

    def _ev_lost(self, ev: dict[str, Any], ts: float) -> None:
        self._ev_revoke(ev, ts, lost=True)

    def _delivered(self, d: Delivered) -> None:
        """A consume() batch: DELIVER per record, counters, the recent tail, redelivery flags."""
        self._batch = d
        group, topics, parts, offsets = self.spec.group, d.topics, d.partitions, d.offsets
        self.log.append_records(K.DELIVER, d.ts, self.name, self.incarnation, group,
                                self.state.strategy, topics, parts, offsets, d.msg_ids)
        rising = rising_run(topics, parts, offsets)
        again = self.log.note_deliveries(group, topics, parts, offsets, rising)
        per_part = self._batch_parts = _per_partition(topics, parts, offsets, rising)
        recent = [(d.ts, topics[i], parts[i], offsets[i], msg_id, key, value, again[i])
                  for i, (msg_id, key, value) in sorted(d.previews.items())]
        highs = {(t, p): h for t, p, h in d.highs}
        latencies = (e2e.latency_counts(d.ts, d.create_ms, again, d.stride, len(offsets))
                     if d.create_ms else None)
        with self.state.lock:
            st = self.state
            st.delivered += len(offsets)
            st.redelivered += sum(again)
            for key, (n, _low, high) in per_part.items():
                ps = st.part(*key)
                ps.delivered += n
                # after consume() the position is past the batch; the high watermark is the one
                # the same fetch brought, so the two never contradict each other
                ps.position = high + 1
                fresh = highs.get(key, ps.high if ps.high is not None else -1)
                ps.high = max(fresh, high + 1)
            st.recent.extend(recent)
            if latencies:
                e2e.record(st.e2e, latencies)
        if latencies:
            self.shared.latency.add(group, latencies)
        for (topic, p), high_mark in highs.items():
            self.shared.stalls.high(group, topic, p, high_mark)
        self._delivered_since += len(offsets)
        ranges = self._delivered_range
        for key, (_n, low, high) in per_part.items():
            old = ranges.get(key)
            ranges[key] = (low, high) if old is None else (min(old[0], low), max(old[1], high))

    def _processed(self, p: Processed) -> None:
        d = self._batch
        if d is None or d.batch != p.batch:
            self.ctx.log.warning("member %s: processed records of batch %s, which it never "
                                 "delivered", self.name, p.batch)
            return
        start, end = p.start, p.start + p.count
        if start == 0 and end == len(d.offsets):  # the whole batch: share its columns
            columns = (d.topics, d.partitions, d.offsets, d.msg_ids)
        else:
            columns = (d.topics[start:end], d.partitions[start:end], d.offsets[start:end],
                       d.msg_ids[start:end])
        self.log.append_records(K.PROCESSED, p.stamps, self.name, self.incarnation, self.spec.group,
                                self.state.strategy, *columns)
        with self.state.lock:
            self.state.processed += p.count
        whole = p.count == len(d.offsets)
        topics, parts, offsets = columns[0], columns[1], columns[2]
        per_part = self._batch_parts if whole else _per_partition(
            topics, parts, offsets, rising_run(topics, parts, offsets))
        for (topic, part), (_n, _low, high) in per_part.items():
            self.shared.stalls.processed(self.spec.group, topic, part, high)

    def _ev_commit_req(self, ev: dict[str, Any], ts: float) -> None:
        mode, detail = ev.get("mode"), ev.get("detail")
        if mode == "txn":
            self.shared.transactions.commit_requested(self.name, self.incarnation)
        for topic, pairs in _offsets_by_topic(ev.get("offsets") or []).items():
            self._log(ts, topic, K.COMMIT_REQ, offsets=pairs, mode=mode, detail=detail)

    def _ev_commit_result(self, ev: dict[str, Any], ts: float) -> None:
        ok, mode, error = bool(ev.get("ok")), str(ev.get("mode")), ev.get("error")
        detail = ev.get("detail")
        by_topic = _offsets_by_topic(ev.get("offsets") or [])
        for topic, pairs in by_topic.items() or {"": ()}.items():
            self._log(ts, topic, K.COMMIT_RESULT, offsets=pairs, mode=mode, ok=ok, error=error,
                      detail=detail)
            if ok:
                for p, o in pairs:
                    self.shared.stalls.committed(self.spec.group, topic, p, o)
        where = ", ".join(f"{t}[{p}]@{o}" for t, pairs in by_topic.items() for p, o in pairs)
        with self.state.lock:
            if ok:
                self.state.commits_ok += 1
                for topic, pairs in by_topic.items():
                    for p, o in pairs:
                        self.state.part(topic, p).committed = o
            else:
                self.state.commits_failed += 1
            self.state.last_commit = f"{mode} {'ok' if ok else 'failed: ' + str(error)}: {where}"
        if ok:
            self._commits_since += 1
        else:
            self._bus("member.commit-failed", f"{self.name}: {mode} commit of {where or 'offsets'} "
                      f"failed: {error}", "warning", mode=mode, error=error)

    def _ev_seek(self, ev: dict[str, Any], ts: float) -> None:
        topic, p, o = str(ev["t"]), int(ev["p"]), int(ev["o"])
        self._log(ts, topic, K.SEEK, partition=p, offset=o)
        with self.state.lock:
            self.state.part(topic, p).position = o

    # ---- error policies and transactions -----------------------------------------------------

    def _record_fields(self, ev: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return str(ev["t"]), {"partition": int(ev["p"]), "offset": int(ev["o"]),
                              "msg_id": ev.get("id")}

    def _ev_failed(self, ev: dict[str, Any], ts: float) -> None:
        topic, where = self._record_fields(ev)
        error, detail = str(ev.get("error") or "error"), str(ev.get("detail") or "")[:256]
        self._log(ts, topic, K.FAILED, **where, error=error, detail=detail,
                  attempt=int(ev.get("attempt") or 1))
        with self.state.lock:
            self.state.failed += 1
            self.state.last_failure = (f"{error} at {topic}/{where['partition']}@{where['offset']}: "
                                       f"{detail}")[:300]

    def _ev_policy(self, ev: dict[str, Any], ts: float) -> None:
        topic, where = self._record_fields(ev)
        action = str(ev.get("action"))
        attempt = ev.get("attempt")
        self._log(ts, topic, K.POLICY, **where, action=action,
                  attempt=None if attempt is None else int(attempt), detail=ev.get("detail"))
        key = (topic, where["partition"])
        with self.state.lock:
            st = self.state
            if action == PolicyAction.SKIP:
                st.skipped_by_policy += 1
            elif action == PolicyAction.RETRY:
                st.retried += 1
            elif action == PolicyAction.PAUSE:
                st.held[key] = where["offset"]
            elif action == PolicyAction.RESUME:
                st.held.pop(key, None)
            error = (st.last_failure or "").partition(" ")[0]
        if action in (PolicyAction.SKIP, PolicyAction.DEAD_LETTER):
            self.shared.stalls.moved_on(self.spec.group, topic, where["partition"])
        self._announce(action, error, topic, where, ev.get("detail"))

    def _announce(self, action: str, error: str, topic: str, where: dict[str, Any],
                  detail: Any) -> None:
        """One bus event per cause (action, error kind, partition), not one per record."""
        cause = (action, error, topic, int(where["partition"]))
        if action == PolicyAction.RESUME:
            text = f"{self.name} resumed {topic}[{where['partition']}] ({detail or 'by user'})"
        elif cause in self.state.announced:
            return
        else:
            at = f"{topic}[{where['partition']}]@{where['offset']}"
            verbs: dict[str, str] = {
                PolicyAction.SKIP: "skipped it", PolicyAction.DEAD_LETTER: f"dead-letters to {detail}",
                PolicyAction.RETRY: f"retries it ({detail})",
                PolicyAction.PAUSE: "paused its partition", PolicyAction.FAIL: "crashes the member"}
            what = verbs.get(action, action)
            text = (f"{self.name}: a record failed ({error or 'error'}) at {at}; the error policy "
                    f"{what}" + (" (further ones of this cause are counted, not shown)"
                                 if action in (PolicyAction.SKIP, PolicyAction.DEAD_LETTER,
                                               PolicyAction.RETRY) else ""))
        self.state.announced.add(cause)
        self._bus("member.policy", text, "warning", action=action, error=error, topic=topic,
                  partition=where["partition"], offset=where["offset"])

    def _ev_dlt_sent(self, ev: dict[str, Any], ts: float) -> None:
        topic, where = self._record_fields(ev)
        dlt = list(ev.get("dlt") or ["", None, None])
        ok = bool(ev.get("ok"))
        target = DltTarget(str(dlt[0]), None if dlt[1] is None else int(dlt[1]),
                           None if dlt[2] is None else int(dlt[2]))
        self._log(ts, topic, K.DLT_SENT, **where, dlt=target, ok=ok, error=ev.get("error"))
        with self.state.lock:
            if ok:
                self.state.dead_lettered += 1
            else:
                self.state.dlt_failed += 1
        if not ok:
            self._bus("member.dlt-failed", f"{self.name}: the dead-letter send of "
                      f"{topic}[{where['partition']}]@{where['offset']} to {target.topic} failed "
                      f"({ev.get('error')})", "error", topic=topic, dlt=target.topic)

    def _ev_txn_begin(self, ev: dict[str, Any], ts: float) -> None:
        self.shared.transactions.begin(str(ev["txn"]), self.name, self.incarnation, self.spec.group,
                                       str(ev.get("out") or ""), ts)

    def _ev_txn_end(self, ev: dict[str, Any], ts: float) -> None:
        self.shared.transactions.end(str(ev["txn"]), str(ev.get("outcome")),
                                     [str(c) for c in ev.get("copies") or ()], ev.get("error"), ts)

    def _ev_crash(self, ev: dict[str, Any], ts: float) -> None:
        self.crashed = True
        self.policy_crash = bool(ev.get("policy"))
        if self.policy_crash:
            with self.state.lock:  # from now on a restart is coming: the group stays live
                self.state.crashed_by_policy = True
        detail = str(ev.get("detail") or "")
        self._log(ts, "", K.CRASH, detail=detail)
        self._bus("member.crashed", f"{self.name} crashed {detail}: no commit, no leave",
                  "warning", detail=detail)

    def _ev_leave(self, ev: dict[str, Any], ts: float) -> None:
        self.left = True
        self._log(ts, "", K.LEAVE)
        self._bus("member.left", f"{self.name} left the group cleanly")

    def _ev_kicked(self, ev: dict[str, Any], ts: float) -> None:
        self._log(ts, "", K.KICKED, detail=str(ev.get("text") or ""))
        with self.state.lock:
            self.state.state = "kicked"
        self._bus("member.kicked", f"{self.name} was kicked out of {self.spec.group}: it spent more "
                  f"than max.poll.interval.ms ({self.spec.max_poll_interval_ms} ms) between polls",
                  "warning")

    def _ev_strategy(self, ev: dict[str, Any], ts: float) -> None:
        name, detail = str(ev["name"]), str(ev.get("detail") or "")
        with self.state.lock:
            self.state.strategy = name
            self.state.pending_strategy = None
        self._log(ts, "", K.STRATEGY, detail=name)
        self._bus("member.strategy", f"{self.name} now commits with {name} ({detail})",
                  strategy=name)

    def _ev_strategy_pending(self, ev: dict[str, Any], ts: float) -> None:
        with self.state.lock:
            self.state.pending_strategy = str(ev["name"])

    def _ev_positions(self, ev: dict[str, Any], ts: float) -> None:
        rows = [(str(t), int(p), int(position), int(high)) for t, p, position, high in ev.get("parts") or []]
        with self.state.lock:
            self.state.member_id = ev.get("memberid") or self.state.member_id
            for topic, p, position, high in rows:
                ps = self.state.part(topic, p)
                if position >= 0:
                    ps.position = position
                # nothing consumed yet in this assignment: the fetch position is where it started
                # (the committed offset), as ps.position already says
                if high >= 0:
                    ps.high = max(high, ps.position if ps.position is not None else -1)
        for topic, p, _position, high in rows:
            if high >= 0:
                self.shared.stalls.high(self.spec.group, topic, p, high)

    def _aggregate(self) -> None:
        if self._delivered_since:
            ranges = ", ".join(f"{t}[{p}] {lo}-{hi}"
                               for (t, p), (lo, hi) in sorted(self._delivered_range.items()))
            self._bus("member.delivered", f"{self.name} received {self._delivered_since} records "
                      f"({ranges})", "debug", count=self._delivered_since)
            self._delivered_since = 0
            self._delivered_range.clear()
        if self._commits_since:
            with self.state.lock:
                last = self.state.last_commit
            self._bus("member.commit", f"{self.name}: {self._commits_since} commit(s) ok, last "
                      f"{last}", "debug", count=self._commits_since)
            self._commits_since = 0


def _offsets_by_topic(rows: list[list[Any]]) -> dict[str, tuple[tuple[int, int], ...]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for topic, p, o in rows:
        out.setdefault(str(topic), []).append((int(p), int(o)))
    return {t: tuple(sorted(v)) for t, v in out.items()}


def _per_partition(topics: Sequence[str], parts: Sequence[int], offsets: Sequence[int],
                   rising: bool) -> dict[tuple[str, int], tuple[int, int, int]]:
    """(count, lowest offset, highest offset) per partition of a batch -- usually one partition
    with rising offsets (``rising``), which takes no Python loop."""
    n = len(offsets)
    if not n:
        return {}
    if rising:
        return {(topics[0], parts[0]): (n, offsets[0], offsets[-1])}
    out: dict[tuple[str, int], list[int]] = {}
    for key, o in zip(zip(topics, parts, strict=True), offsets, strict=True):
        seen = out.get(key)
        if seen is None:
            out[key] = [1, o, o]
            continue
        seen[0] += 1
        if o < seen[1]:
            seen[1] = o
        elif o > seen[2]:
            seen[2] = o
    return {key: (c, low, high) for key, (c, low, high) in out.items()}
