"""A small fluent builder of hand-written histories, for checker tests and scripted UI verdicts.

It keeps a model of each partition's log (what the final re-read will return), a ledger, and a
consumption log with a global event order, so a test reads like the experiment it describes::

    b = HistoryBuilder("orders", partitions=1)
    b.producer("p1", acks="all")
    b.produce("p1", 10, partition=0)
    b.member("m1", group="g", strategy="commit-before")
    b.assign("m1", [0], committed={0: 0})
    b.deliver("m1", 0, range(10)); b.commit("m1", {0: 10}); b.process("m1", 0, range(3)); b.crash("m1")
    verdict = check(b.build())

Error policies (``fail``, ``policy``, ``dlt_send``, ``dead_letter``, ``skip_failed``), application
resends (``resend``), stalls (``stall``) and share groups (``share_member``, ``acquire``, ``ack``,
``ack_commit``, ``share_consume``) write the same events and facts the engine records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tui.engine.history import (
    AuditLog,
    AuditPartition,
    ConsumerEvent,
    ConsumerEventKind,
    DltOrigin,
    DltTarget,
    Fault,
    GroupCommit,
    History,
    LeaderChange,
    Outcome,
    ProducedRecord,
    ProducerSettings,
    ShareGroup,
    Stall,
    Transaction,
    TxnOutcome,
)
from tui.engine.record_format import make_msg_id
from tui.vocab import AckType, PolicyAction

K = ConsumerEventKind


@dataclass
class _Member:
    group: str
    strategy: str | None
    incarnation: int = 0
    generation: int | None = None


@dataclass
class _Log:
    records: list[tuple[int, str | None]] = field(default_factory=list)
    hidden: set[int] = field(default_factory=set)
    """Offsets not visible under read_committed (aborted or open transactions)."""
    tags: dict[int, str] = field(default_factory=dict)
    """Offset -> kx-txn header of a transactional copy."""
    origins: dict[int, DltOrigin] = field(default_factory=dict)
    """Offset -> origin headers of a dead-letter copy."""
    next_offset: int = 0


class HistoryBuilder:
    """Builds a :class:`History` step by step (one topic by default; pass ``topic=`` to use others)."""

    def __init__(self, topic: str = "t", partitions: int = 1, run: str = "run00001") -> None:
        self.topic = topic
        self.run = run
        self._logs: dict[tuple[str, int], _Log] = {(topic, p): _Log() for p in range(partitions)}
        self._produced: list[ProducedRecord] = []
        self._settings: dict[str, ProducerSettings] = {}
        self._seq: dict[tuple[str, int], int] = {}
        self._incarnation: dict[str, int] = {}
        self._events: list[ConsumerEvent] = []
        self._members: dict[str, _Member] = {}
        self._finals: list[GroupCommit] = []
        self._clock = 1000.0
        self.isolation: dict[str, str] = {}
        self.reset_policy: dict[str, str] = {}
        self.group_started_at: dict[str, float] = {}
        self.unclean_topics: set[str] = set()
        self.faults: list[Fault] = []
        self.leader_changes: list[LeaderChange] = []
        self.notes: list[str] = []
        self.transactions: list[Transaction] = []
        self._txn_count: dict[tuple[str, int], int] = {}
        self.min_insync: dict[str, int] = {}
        self.incomplete: set[tuple[str, int]] = set()
        self.rc_view = False
        """Also record a read_committed view in the audit (set automatically by transactional records)."""
        self.dead_letter_topics: set[str] = set()
        self.stalls: list[Stall] = []
        self.stall_threshold = 10.0
        self.share_groups: dict[str, ShareGroup] = {}
        self._delivery_counts: dict[tuple[str, str, int, int], int] = {}

    # ------------------------------------------------------------------ time and the log model
    def tick(self, seconds: float = 0.01) -> float:
        self._clock += seconds
        return self._clock

    def _log(self, partition: int, topic: str | None = None) -> _Log:
        key = (topic or self.topic, partition)
        if key not in self._logs:
            self._logs[key] = _Log()
        return self._logs[key]

    def store(self, partition: int, msg_id: str | None, *, topic: str | None = None, visible: bool = True,
              offset: int | None = None, txn_tag: str | None = None) -> int:
        """Append a record to the partition's log as the final re-read will see it; returns its offset."""
        log = self._log(partition, topic)
        off = log.next_offset if offset is None else offset
        if log.records and off <= log.records[-1][0]:
            log.records = [(o, m) for o, m in log.records if o != off]
            log.records.append((off, msg_id))
            log.records.sort()
        else:
            log.records.append((off, msg_id))
        log.next_offset = max(log.next_offset, off + 1)
        log.hidden.discard(off)
        log.tags.pop(off, None)
        log.origins.pop(off, None)
        if not visible:
            log.hidden.add(off)
            self.rc_view = True
        if txn_tag is not None:
            log.tags[off] = txn_tag
        return off

    def skip_offsets(self, partition: int, n: int, topic: str | None = None) -> None:
        """Leave ``n`` offsets empty (transaction markers, compaction)."""
        self._log(partition, topic).next_offset += n

    def drop(self, partition: int, offset: int, topic: str | None = None) -> None:
        """Remove one stored record (its offset stays used: a hole the re-read will not return)."""
        log = self._log(partition, topic)
        log.records = [(o, m) for o, m in log.records if o != offset]

    def truncate(self, partition: int, offset: int, topic: str | None = None) -> None:
        """Drop everything at and after ``offset`` (a leader change truncated the log)."""
        log = self._log(partition, topic)
        log.records = [(o, m) for o, m in log.records if o < offset]
        log.next_offset = offset

    def offset_of(self, msg_id: str, topic: str | None = None) -> int:
        for (t, _p), log in self._logs.items():
            if t == (topic or self.topic):
                for off, mid in log.records:
                    if mid == msg_id:
                        return off
        raise KeyError(msg_id)

    def msg_at(self, partition: int, offset: int, topic: str | None = None) -> str | None:
        for off, mid in self._log(partition, topic).records:
            if off == offset:
                return mid
        raise KeyError(offset)

    # ------------------------------------------------------------------ producers
    def producer(self, name: str, acks: str = "all", idempotent: bool = False, retries: int = 2147483647,
                 max_in_flight: int = 5, transactional: bool = False, resend: bool = False) -> None:
        self._settings[name] = ProducerSettings(name=name, acks=acks, idempotent=idempotent, retries=retries,
                                                max_in_flight=max_in_flight, transactional=transactional,
                                                resend=resend)
        self._incarnation.setdefault(name, 0)

    def new_incarnation(self, producer: str) -> int:
        self._incarnation[producer] = self._incarnation.get(producer, 0) + 1
        return self._incarnation[producer]

    def produce(self, producer: str, n: int = 1, *, partition: int = 0, topic: str | None = None,
                outcome: Outcome = Outcome.OK, stored: bool | None = None, error: str | None = None,
                txn_id: str | None = None, txn_outcome: TxnOutcome | None = None,
                visible: bool | None = None, report_offset: bool = True) -> list[str]:
        """``n`` sends; stored in the log unless ``stored=False`` (default: stored unless the send failed
        definitely or timed out). Acked sends carry the stored offset in their delivery report."""
        topic = topic or self.topic
        inc = self._incarnation.setdefault(producer, 0)
        ids: list[str] = []
        for _ in range(n):
            seq = self._seq.get((producer, inc), 0)
            self._seq[(producer, inc)] = seq + 1
            mid = make_msg_id(self.run, producer, inc, seq)
            keep = stored if stored is not None else outcome in (Outcome.OK, Outcome.OK_NO_OFFSET)
            vis = visible if visible is not None else txn_outcome is not TxnOutcome.ABORTED
            if txn_id is not None:
                self.rc_view = True
            off = self.store(partition, mid, topic=topic, visible=vis) if keep else None
            t_send = self.tick()
            t_ack = self.tick() if outcome is not Outcome.UNKNOWN else None
            dr_offset = off if outcome is Outcome.OK and report_offset else None
            self._produced.append(ProducedRecord(
                msg_id=mid, producer=producer, incarnation=inc, seq=seq, topic=topic, partition=partition,
                key=None, t_send=t_send, outcome=outcome, offset=dr_offset, t_ack=t_ack, error=error,
                txn_id=txn_id, txn_outcome=txn_outcome))
            ids.append(mid)
        return ids

    def resend(self, producer: str, of: str, *, outcome: Outcome = Outcome.OK, stored: bool | None = None,
               error: str | None = None) -> str:
        """The application re-sends record ``of`` (a new produce() with its own msg_id, to the same
        topic and partition); returns the resend's msg_id."""
        rec = self.ledger_row(of)
        (mid,) = self.produce(producer, 1, partition=rec.partition or 0, topic=rec.topic, outcome=outcome,
                              stored=stored, error=error)
        self.replace_row(mid, resend_of=of)
        return mid

    def ledger_row(self, msg_id: str) -> ProducedRecord:
        return next(r for r in self._produced if r.msg_id == msg_id)

    def replace_row(self, msg_id: str, **changes: object) -> None:
        """Rewrite a ledger row (e.g. a DR claiming an offset the record is not at)."""
        from dataclasses import replace

        self._produced = [replace(r, **changes) if r.msg_id == msg_id else r  # type: ignore[arg-type]
                          for r in self._produced]

    # ------------------------------------------------------------------ consumers
    def member(self, name: str, group: str = "g", strategy: str = "sync-per-batch") -> None:
        self._members[name] = _Member(group=group, strategy=strategy)
        self.group_started_at.setdefault(group, self._clock + 0.001)

    def _event(self, member: str, kind: ConsumerEventKind, topic: str | None = None,
               **fields: object) -> ConsumerEvent:
        m = self._members[member]
        ev = ConsumerEvent(seq=len(self._events), ts=self.tick(), member=member, incarnation=m.incarnation,
                           group=m.group, topic=topic or self.topic, kind=kind, strategy=m.strategy,
                           **fields)  # type: ignore[arg-type]
        self._events.append(ev)
        return ev

    def assign(self, member: str, partitions: Iterable[int], committed: Mapping[int, int] | None = None,
               generation: int | None = None, topic: str | None = None) -> None:
        m = self._members[member]
        m.generation = generation if generation is not None else (m.generation or 0) + 1
        parts = tuple(partitions)
        offs = tuple(sorted((committed or {}).items()))
        self._event(member, K.ASSIGN, topic, partitions=parts, offsets=offs, generation=m.generation)

    def revoke(self, member: str, partitions: Iterable[int], topic: str | None = None,
               commit_on_revoke: bool | None = None) -> None:
        self._event(member, K.REVOKE, topic, partitions=tuple(partitions),
                    generation=self._members[member].generation, commit_on_revoke=commit_on_revoke)

    def lose(self, member: str, partitions: Iterable[int], topic: str | None = None,
             commit_on_revoke: bool | None = None) -> None:
        self._event(member, K.LOST, topic, partitions=tuple(partitions),
                    generation=self._members[member].generation, commit_on_revoke=commit_on_revoke)

    def seek(self, member: str, partition: int, offset: int, topic: str | None = None) -> None:
        self._event(member, K.SEEK, topic, partition=partition, offset=offset)

    def deliver(self, member: str, partition: int, offsets: Iterable[int], topic: str | None = None,
                msg_id: str | None = None) -> None:
        """DELIVER events; the msg_id is read from the log model unless given."""
        for off in offsets:
            mid = msg_id if msg_id is not None else self._lookup(partition, off, topic)
            self._event(member, K.DELIVER, topic, partition=partition, offset=off, msg_id=mid)

    def _lookup(self, partition: int, offset: int, topic: str | None) -> str | None:
        try:
            return self.msg_at(partition, offset, topic)
        except KeyError:
            return None

    def process(self, member: str, partition: int, offsets: Iterable[int], topic: str | None = None) -> None:
        for off in offsets:
            self._event(member, K.PROCESSED, topic, partition=partition, offset=off,
                        msg_id=self._lookup(partition, off, topic))

    def consume(self, member: str, partition: int, offsets: Iterable[int], commit: str | None = "sync",
                topic: str | None = None) -> None:
        """Deliver, process and (optionally) commit each offset: the fault-free at-least-once loop."""
        for off in offsets:
            self.deliver(member, partition, [off], topic)
            self.process(member, partition, [off], topic)
            if commit is not None:
                self.commit(member, {partition: off + 1}, mode=commit, topic=topic)

    def commit(self, member: str, offsets: Mapping[int, int], mode: str = "sync", ok: bool = True,
               error: str | None = None, topic: str | None = None, request: bool = True,
               detail: str | None = None) -> None:
        """``detail``: ``on-revoke`` / ``on-lost`` for the rebalance listener's commit."""
        offs = tuple(sorted(offsets.items()))
        if request and mode != "auto":
            self._event(member, K.COMMIT_REQ, topic, offsets=offs, mode=mode, detail=detail)
        self._event(member, K.COMMIT_RESULT, topic, offsets=offs, mode=mode, ok=ok, error=error, detail=detail)

    def crash(self, member: str, detail: str | None = None) -> None:
        self._event(member, K.CRASH, detail=detail)

    def kicked(self, member: str) -> None:
        self._event(member, K.KICKED)

    def leave(self, member: str) -> None:
        self._event(member, K.LEAVE)

    def restart(self, member: str) -> None:
        self._members[member].incarnation += 1
        self._members[member].generation = None
        self._event(member, K.RESTART)

    def set_strategy(self, member: str, strategy: str) -> None:
        self._members[member].strategy = strategy
        self._event(member, K.STRATEGY, detail=strategy)

    def reset_offsets(self, group: str, offsets: Mapping[int, int], detail: str = "to earliest",
                      topic: str | None = None) -> None:
        """An admin reset of the group's committed offsets (no member makes it)."""
        for p, off in sorted(offsets.items()):
            self._events.append(ConsumerEvent(
                seq=len(self._events), ts=self.tick(), member="", incarnation=0, group=group,
                topic=topic or self.topic, kind=K.RESET, partition=p, offset=off, detail=detail))

    def final_commit(self, group: str, offsets: Mapping[int, int | None], topic: str | None = None) -> None:
        for p, off in offsets.items():
            self._finals.append(GroupCommit(group=group, topic=topic or self.topic, partition=p, offset=off))

    # ------------------------------------------------------------------ error policies
    def dlt_of(self, topic: str | None = None) -> str:
        """The default dead-letter topic of ``topic``: ``<topic>.DLT``."""
        return f"{topic or self.topic}.DLT"

    def fail(self, member: str, partition: int, offset: int, error: str = "invalid-json",
             detail: str = "Expecting value: line 1 column 1 (char 0)", attempt: int = 1,
             topic: str | None = None) -> None:
        """FAILED: processing the record at ``offset`` failed."""
        self._event(member, K.FAILED, topic, partition=partition, offset=offset,
                    msg_id=self._lookup(partition, offset, topic), error=error, detail=detail, attempt=attempt)

    def policy(self, member: str, partition: int, offset: int, action: str, attempt: int = 1,
               detail: str | None = None, topic: str | None = None) -> None:
        """POLICY: what the error policy did about the failed record at ``offset``."""
        self._event(member, K.POLICY, topic, partition=partition, offset=offset,
                    msg_id=self._lookup(partition, offset, topic), action=action, attempt=attempt,
                    detail=detail)

    def dlt_store(self, partition: int, offset: int, *, topic: str | None = None, dlt_topic: str | None = None,
                  dlt_partition: int | None = None, member: str | None = None, error: str = "invalid-json",
                  origin: bool = True) -> int:
        """A dead-letter copy of ``topic/partition@offset`` in the DLT's log model (same partition unless
        told), with its origin headers unless ``origin=False``; returns its DLT offset."""
        src = topic or self.topic
        dlt = dlt_topic or self.dlt_of(src)
        self.dead_letter_topics.add(dlt)
        dp = partition if dlt_partition is None else dlt_partition
        off = self.store(dp, self._lookup(partition, offset, topic), topic=dlt)
        if origin:
            m = self._members.get(member) if member is not None else None
            self._log(dp, dlt).origins[off] = DltOrigin(
                offset=off, topic=src, partition=partition, source_offset=offset,
                group=m.group if m is not None else None, member=member,
                incarnation=m.incarnation if m is not None else None, error=error)
        return off

    def dlt_send(self, member: str, partition: int, offset: int, *, topic: str | None = None,
                 dlt_topic: str | None = None, dlt_partition: int | None = None, ok: bool = True,
                 error: str | None = None, stored: bool | None = None, error_kind: str = "invalid-json") -> int:
        """The member's dead-letter produce and its DLT_SENT: the copy is stored unless the send failed
        (or ``stored=False``: acknowledged, yet absent from the re-read); returns the DLT offset."""
        dlt = dlt_topic or self.dlt_of(topic)
        dp = partition if dlt_partition is None else dlt_partition
        if ok if stored is None else stored:
            off = self.dlt_store(partition, offset, topic=topic, dlt_topic=dlt, dlt_partition=dp, member=member,
                                 error=error_kind)
        else:
            self.dead_letter_topics.add(dlt)
            off = self._log(dp, dlt).next_offset
            self._log(dp, dlt).next_offset += 1
        target = DltTarget(dlt, dp, off) if ok else DltTarget(dlt)
        self._event(member, K.DLT_SENT, topic, partition=partition, offset=offset,
                    msg_id=self._lookup(partition, offset, topic), dlt=target, ok=ok, error=error)
        return off

    def dead_letter(self, member: str, partition: int, offset: int, error: str = "invalid-json",
                    attempt: int = 1, topic: str | None = None) -> int:
        """FAILED, POLICY dead-letter and an acknowledged DLT send: the dead-letter policy's steps."""
        self.fail(member, partition, offset, error=error, attempt=attempt, topic=topic)
        self.policy(member, partition, offset, PolicyAction.DEAD_LETTER, attempt=attempt,
                    detail=self.dlt_of(topic), topic=topic)
        return self.dlt_send(member, partition, offset, topic=topic, error_kind=error)

    def skip_failed(self, member: str, partition: int, offset: int, error: str = "invalid-json",
                    attempt: int = 1, topic: str | None = None) -> None:
        """FAILED and POLICY skip: the skip policy's steps."""
        self.fail(member, partition, offset, error=error, attempt=attempt, topic=topic)
        self.policy(member, partition, offset, PolicyAction.SKIP, attempt=attempt, topic=topic)

    def stall(self, group: str, partition: int, offset: int, since: float, until: float | None = None, *,
              ongoing: bool = True, lag: int = 1, topic: str | None = None) -> Stall:
        """The engine's stall detector saw ``group`` stuck on ``partition`` at committed ``offset``."""
        stall = Stall(group=group, topic=topic or self.topic, partition=partition, offset=offset, since=since,
                      until=until if until is not None else self.tick(), ongoing=ongoing, lag=lag)
        self.stalls.append(stall)
        return stall

    # ------------------------------------------------------------------ share groups
    def share_member(self, name: str, group: str = "sg", *, topics: Sequence[str] | None = None,
                     limit: int = 5, lock_ms: int = 30_000, ack_mode: str = "explicit",
                     reset: str = "earliest") -> None:
        """A member of share group ``group`` (created with these settings on first use)."""
        self._members[name] = _Member(group=group, strategy=None)
        self.share_groups.setdefault(group, ShareGroup(
            group=group, topics=tuple(topics or (self.topic,)), delivery_count_limit=limit,
            lock_duration_ms=lock_ms, ack_mode=ack_mode, auto_offset_reset=reset))
        self.group_started_at.setdefault(group, self._clock + 0.001)

    def acquire(self, member: str, partition: int, offsets: Iterable[int], topic: str | None = None,
                delivery_count: int | None = None) -> None:
        """ACQUIRED per offset; the delivery count grows by one per acquisition unless given."""
        group = self._members[member].group
        for off in offsets:
            key = (group, topic or self.topic, partition, off)
            count = delivery_count if delivery_count is not None else self._delivery_counts.get(key, 0) + 1
            self._delivery_counts[key] = count
            self._event(member, K.ACQUIRED, topic, partition=partition, offset=off,
                        msg_id=self._lookup(partition, off, topic), attempt=count)

    def ack(self, member: str, partition: int, offsets: Iterable[int], ack_type: str = AckType.ACCEPT,
            topic: str | None = None, mode: str | None = None) -> None:
        m = self._members[member]
        share = self.share_groups.get(m.group)
        for off in offsets:
            count = self._delivery_counts.get((m.group, topic or self.topic, partition, off))
            self._event(member, K.ACK, topic, partition=partition, offset=off,
                        msg_id=self._lookup(partition, off, topic), action=ack_type, attempt=count,
                        mode=mode or (share.ack_mode if share is not None else None))

    def ack_commit(self, member: str, partition: int, offsets: Iterable[int], ok: bool = True,
                   error: str | None = None, topic: str | None = None) -> None:
        """ACK_COMMIT: the broker answered the acknowledgements of these records."""
        self._event(member, K.ACK_COMMIT, topic, offsets=tuple((partition, o) for o in offsets), ok=ok,
                    error=error)

    def share_consume(self, member: str, partition: int, offsets: Iterable[int], topic: str | None = None,
                      confirm: bool = True) -> None:
        """Acquire, process and accept each offset, then (``confirm``) the broker confirms the acks."""
        offs = list(offsets)
        for off in offs:
            self.acquire(member, partition, [off], topic)
            self.process(member, partition, [off], topic)
            self.ack(member, partition, [off], AckType.ACCEPT, topic)
        if confirm and offs:
            self.ack_commit(member, partition, offs, topic=topic)

    # ------------------------------------------------------------------ transactions (copies)
    def transaction(self, member: str, copies: Sequence[str], outcome: TxnOutcome = TxnOutcome.COMMITTED, *,
                    output: str = "out", partition: int = 0, drop: Iterable[str] = (),
                    hidden: Iterable[str] = (), visible: bool | None = None, report_copies: bool = True,
                    tag: bool = True, error: str | None = None) -> str:
        """One transaction of ``member`` copying ``copies`` (input msg_ids) into ``output``; returns its
        txn_id. Copies are stored (tagged with the txn_id unless ``tag=False``) and visible under
        read_committed only when the transaction committed, unless ``visible`` says otherwise; ``drop``
        leaves copies out of the log, ``hidden`` stores them invisible (a torn transaction)."""
        m = self._members[member]
        n = self._txn_count.get((member, m.incarnation), 0)
        self._txn_count[(member, m.incarnation)] = n + 1
        txn_id = f"kx-{m.group}-{member}/{m.incarnation}/{n}"
        gone, unseen = set(drop), set(hidden)
        show = visible if visible is not None else outcome is TxnOutcome.COMMITTED
        begin = self.tick()
        for mid in copies:
            if mid not in gone:
                self.store(partition, mid, topic=output, visible=show and mid not in unseen,
                           txn_tag=txn_id if tag else None)
        self.rc_view = True
        self.transactions.append(Transaction(
            txn_id=txn_id, member=member, incarnation=m.incarnation, group=m.group, output_topic=output,
            outcome=outcome, copies=tuple(copies) if report_copies else None, ts_begin=begin,
            ts_end=self.tick() if outcome is not TxnOutcome.OPEN else None, error=error))
        return txn_id

    # ------------------------------------------------------------------ faults and leaders
    def fault(self, node: int, action: str = "kill", partitions: Iterable[int] | None = None,
              topic: str | None = None, origin: str = "engine") -> Fault:
        """A node fault now; ``partitions`` it hosted (of ``topic``), None = unknown (touches all)."""
        touched = (frozenset((topic or self.topic, p) for p in partitions) if partitions is not None
                   else None)
        fault = Fault(ts=self.tick(), node=node, action=action, partitions=touched, origin=origin)
        self.faults.append(fault)
        return fault

    def leader_change(self, partition: int, old: int | None, new: int | None,
                      topic: str | None = None) -> LeaderChange:
        change = LeaderChange(ts=self.tick(), topic=topic or self.topic, partition=partition, old=old, new=new)
        self.leader_changes.append(change)
        return change

    # ------------------------------------------------------------------ result
    def build(self, audit: bool = True) -> History:
        parts: list[AuditPartition] = []
        for (topic, p), log in sorted(self._logs.items()):
            records = tuple(log.records)
            cv = frozenset(o for o, _ in records if o not in log.hidden) if self.rc_view else None
            complete = (topic, p) not in self.incomplete
            parts.append(AuditPartition(topic=topic, partition=p, low=0, high=log.next_offset, lso=None,
                                        records=records, committed_visible=cv, complete=complete,
                                        txn_tags=tuple(sorted(log.tags.items())),
                                        dlt_origins=tuple(log.origins[o] for o in sorted(log.origins))))
        return History(
            produced=tuple(self._produced),
            producers=tuple(self._settings.values()),
            consumption=tuple(self._events),
            audit=AuditLog(partitions=tuple(parts), taken_at=self.tick()) if audit else None,
            final_commits=tuple(self._finals),
            isolation=dict(self.isolation),
            group_started_at=dict(self.group_started_at),
            reset_policy=dict(self.reset_policy),
            unclean_topics=frozenset(self.unclean_topics),
            faults=tuple(self.faults),
            leader_changes=tuple(self.leader_changes),
            notes=tuple(self.notes),
            min_insync=dict(self.min_insync),
            transactions=tuple(self.transactions),
            dead_letter_topics=frozenset(self.dead_letter_topics),
            stalls=tuple(self.stalls),
            stall_threshold=self.stall_threshold,
            share_groups=tuple(self.share_groups.values()),
        )
