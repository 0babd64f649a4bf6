"""One group member in a child process: ``python -m tui.engine.consumer.member_main``.

Why a process: a crash must be a crash. librdkafka's ``close()`` -- and even destroying the handle --
commits stored offsets and sends LeaveGroup, and an abandoned in-process client keeps heartbeating
from librdkafka's own threads. A child process that dies by ``os._exit`` (crash after record k) or
SIGKILL (crash now) stops heartbeating at once, commits nothing more, and the group notices only after
its session timeout -- exactly like a real crashed service.

Protocol: the parent writes one JSON init object on stdin (connection conf, spec, member name,
incarnation), then JSON control lines (``{"op": "pause"}``...); EOF on stdin means "leave cleanly".
The child writes events on stdout as frames (:mod:`tui.engine.consumer.wire`). The Consumer is
created, polled and closed by this process's main thread only.

What reaches the parent, and when: DELIVER and PROCESSED are buffered a batch at a time; every other
event is written at once, after whatever is buffered. The buffer is always written before the member
does anything that can make an offset committed (commit, store_offsets, close, a transaction's
offsets) and before it waits for anything (consume, processing time, init_transactions) or
crashes. So the parent's log is always a prefix of what the member did, and a SIGKILL loses only
evidence of work since the last such point, which no commit covers -- the log then reads as if
the kill had come at that point.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, BinaryIO, cast

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from tui.engine.consumer import columns, e2e, wire
from tui.engine.consumer import policy as error_policy
from tui.engine.consumer.commands import NO_LISTENER_COMMIT
from tui.engine.consumer.dead_letter import DeadLetters
from tui.engine.consumer.policy import Outcome, PolicySettings
from tui.engine.consumer.processing import Failure, Processing
from tui.engine.consumer.state import RECENT
from tui.engine.consumer.strategies import strategy_class
from tui.engine.consumer.strategies.base import Strategy, next_offsets, next_offsets_of
from tui.engine.member_process import child
from tui.engine.record_format import decode_msg_id
from tui.kafka import clients

CRASH_EXIT = 137


class Channel:
    """Writes frames to stdout; DELIVER batches and PROCESSED runs wait in a buffer until
    :meth:`flush` (or any other event) writes everything, in order, with one write."""

    def __init__(self, out: BinaryIO | None = None) -> None:
        self._lock = threading.Lock()
        self._out = out if out is not None else sys.stdout.buffer
        self._frames: list[bytes] = []
        self._run_batch = 0
        self._run_start = 0
        self._stamps: list[float] = []
        """The open run of PROCESSED: records ``_run_start..`` of batch ``_run_batch``."""

    def emit(self, kind: str, **fields: Any) -> None:
        """Write one event now (after anything buffered)."""
        fields["k"] = kind
        fields["ts"] = time.time()
        frame = wire.encode_event(fields)
        with self._lock:
            self._seal()
            self._frames.append(frame)
            self._write()

    def add(self, kind: str, **fields: Any) -> None:
        """Buffer one event (written with the next flush)."""
        fields["k"] = kind
        fields["ts"] = time.time()
        frame = wire.encode_event(fields)
        with self._lock:
            self._seal()
            self._frames.append(frame)

    def delivered(self, frame: bytes) -> None:
        """Buffer a batch's DELIVER frame (:func:`wire.encode_delivered`)."""
        with self._lock:
            self._seal()
            self._frames.append(frame)

    def processed(self, batch: int, index: int, ts: float) -> None:
        """Buffer: record ``index`` of ``batch`` was processed at ``ts``."""
        with self._lock:
            if batch != self._run_batch or index != self._run_start + len(self._stamps):
                self._seal()
                self._run_batch, self._run_start = batch, index
            self._stamps.append(ts)

    def processed_all(self, batch: int, count: int, ts: float) -> None:
        """Buffer: all ``count`` records of ``batch`` were processed at ``ts``."""
        frame = wire.encode_processed(batch, 0, ts, count)
        with self._lock:
            self._seal()
            self._frames.append(frame)
            self._run_batch, self._run_start = batch, count

    def flush(self) -> None:
        with self._lock:
            self._seal()
            self._write()

    def _seal(self) -> None:
        if self._stamps:
            self._frames.append(wire.encode_processed(self._run_batch, self._run_start, self._stamps))
            self._run_start += len(self._stamps)
            self._stamps = []

    def _write(self) -> None:
        if not self._frames:
            return
        data = b"".join(self._frames)
        self._frames.clear()
        child.write_frames(self._out, data)


def _pairs(offsets: Sequence[TopicPartition]) -> list[list[Any]]:
    return [[tp.topic, tp.partition, tp.offset] for tp in offsets]


class MemberLoop:
    """The member: subscribe, consume batches, run the strategy's hooks, log everything."""

    def __init__(self, init: dict[str, Any], channel: Channel) -> None:
        self.init = init
        self.spec: dict[str, Any] = init["spec"]
        self.member: str = init["member"]
        self.channel = channel
        self.controls: queue.Queue[dict[str, Any]] = queue.Queue()
        self.strategy_name: str = self.spec["strategy"]
        self._strategies: dict[str, Strategy] = {}
        self.pending_strategy: str | None = None
        self.processing_ms: int = int(self.spec.get("processing_ms") or 0)
        self.slow = False
        self.paused = False
        self.leaving = False
        self.crash_left: int | None = init.get("crash_after")
        self.processing = _processing(self.spec)
        self.policy = PolicySettings.of(self.spec)
        self.commit_on_revoke = bool(self.spec.get("commit_on_revoke"))
        self.held: dict[tuple[str, int], tuple[int, str | None]] = {}
        """Partitions the pause policy paused -> (offset, msg_id) of the record it paused on."""
        self._dead_letters: DeadLetters | None = None
        self.generation = 0
        self.async_pending = 0
        self.processed: dict[tuple[str, int], int] = {}
        self.batch_no = 0
        self._in_hand: tuple[Sequence[Message], list[TopicPartition]] = ((), [])
        """The batch being processed and the offsets after it (read once from its columns)."""
        topics = list(self.spec["topics"])
        self._only_topic: str | None = topics[0] if len(topics) == 1 and \
            not topics[0].startswith("^") else None
        """The one topic every record comes from (a subscription to one name, not a pattern)."""
        self.cooperative = (self.spec["protocol"] == "consumer"
                            or self.spec["assignor"] == "cooperative-sticky")
        self.log = logging.getLogger(f"kafka_explorer.member.{self.member}")
        self.log.propagate = False
        self.log.addHandler(child.ForwardLogs(channel.emit))
        self._consumer: Any = None
        self.fatal: KafkaError | None = None
        self._join_deadline = 0.0

    # ---- MemberIO for strategies -------------------------------------------------------------

    @property
    def consumer(self) -> Any:
        return self._consumer

    @property
    def output_topic(self) -> str | None:
        out = self.spec.get("output_topic")
        return str(out) if out else None

    @property
    def transactional_id(self) -> str:
        return f"kx-{self.spec['group']}-{self.member}"

    @property
    def incarnation(self) -> int:
        return int(self.init.get("incarnation") or 0)

    @property
    def group(self) -> str:
        return str(self.spec["group"])

    @property
    def dead_letters(self) -> DeadLetters:
        if self._dead_letters is None:
            self._dead_letters = DeadLetters(dict(self.init["conf"]), self.log, self._on_error)
        return self._dead_letters

    def emit(self, kind: str, **fields: Any) -> None:
        self.channel.emit(kind, **fields)

    def commit_sync(self, offsets: list[TopicPartition], mode: str = "sync",
                    detail: str | None = None) -> bool:
        if not offsets:
            return True
        extra = {"detail": detail} if detail else {}
        self.emit("commit-req", offsets=_pairs(offsets), mode=mode, **extra)
        try:
            result = self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            self.emit("commit-result", offsets=_pairs(offsets), mode=mode, ok=False,
                      error=_err_name(exc), **extra)
            return False
        failed = [tp for tp in result or [] if tp.error is not None]
        if failed:
            self.emit("commit-result", offsets=_pairs(offsets), mode=mode, ok=False,
                      error=failed[0].error.name(), **extra)
            return False
        self.emit("commit-result", offsets=_pairs(offsets), mode=mode, ok=True, **extra)
        return True

    def commit_async(self, offsets: list[TopicPartition]) -> None:
        if not offsets:
            return
        self.emit("commit-req", offsets=_pairs(offsets), mode="async")
        try:
            self._consumer.commit(offsets=offsets, asynchronous=True)
            self.async_pending += 1
        except KafkaException as exc:
            self.emit("commit-result", offsets=_pairs(offsets), mode="async", ok=False,
                      error=_err_name(exc))

    def store(self, offsets: list[TopicPartition]) -> None:
        self.channel.flush()  # the auto-commit timer may commit what is stored at any moment
        try:
            self._consumer.store_offsets(offsets=offsets)
        except KafkaException as exc:  # e.g. the partition was revoked meanwhile
            self.emit("error", text=f"store_offsets failed: {_err_name(exc)}")
            return
        self.channel.add("commit-req", offsets=_pairs(offsets), mode="store")

    def next_offsets(self, records: Sequence[Message]) -> list[TopicPartition]:
        in_hand, after = self._in_hand
        return list(after) if records is in_hand else next_offsets(records)

    def make_producer(self) -> Any:
        conf = dict(self.init["conf"])
        conf.update({"transactional.id": self.transactional_id, "enable.idempotence": True,
                     "acks": "all", "transaction.timeout.ms": 15000, "message.timeout.ms": 10000})
        producer = clients.producer(conf, error_cb=self._on_error, logger=self.log)
        self.channel.flush()  # init_transactions may wait for seconds
        producer.init_transactions(20.0)
        return producer

    def seek_back(self, offsets: list[TopicPartition]) -> None:
        for tp in offsets:
            try:
                self._consumer.seek(tp)
                self.emit("seek", t=tp.topic, p=tp.partition, o=tp.offset)
            except KafkaException as exc:
                self.emit("error", text=f"seek failed: {_err_name(exc)}")

    # ---- callbacks (served inside consume(), on this thread) ---------------------------------

    def _on_commit(self, err: KafkaError | None, partitions: list[TopicPartition]) -> None:
        mode = "auto"
        if self.async_pending > 0:
            self.async_pending -= 1
            mode = "async"
        if err is not None and err.code() == KafkaError._NO_OFFSET:
            return  # auto-commit timer found nothing stored: not a commit at all
        offsets = [tp for tp in partitions if tp.offset >= 0]
        bad = [tp for tp in partitions if tp.error is not None]
        ok = err is None and not bad
        error = None
        if not ok:
            first = err if err is not None else bad[0].error
            error = first.name() if first is not None else 'unknown'
        self.emit("commit-result", offsets=_pairs(offsets), mode=mode, ok=ok, error=error)

    def _on_error(self, err: KafkaError) -> None:
        # error_cb reports a fatal error with code _FATAL (its fatal() flag is not always set)
        fatal = err.fatal() or err.code() == KafkaError._FATAL
        if fatal:
            self.fatal = err
        self.emit("error", text=f"{err.name()}: {err.str()}", fatal=fatal)

    def _on_assign(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        if self.cooperative:
            consumer.incremental_assign(partitions)
        else:
            consumer.assign(partitions)
        self.emit("state", state="paused" if self.paused else "running")
        if not partitions:
            return
        self.generation += 1
        committed: dict[tuple[str, int], int] = {}
        try:
            for tp in consumer.committed(partitions, timeout=5.0):
                if tp.offset >= 0:
                    committed[(tp.topic, tp.partition)] = tp.offset
        except KafkaException:
            pass
        if self.paused:
            consumer.pause(partitions)
        for topic, parts in _by_topic(partitions).items():
            self.emit("assign", t=topic, parts=parts, gen=self.generation,
                      offsets=[[p, committed[(topic, p)]] for p in parts if (topic, p) in committed])

    def _on_revoke(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        self._give_up("revoke", partitions)

    def _on_lost(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        self._give_up("lost", partitions)

    def _give_up(self, kind: str, partitions: list[TopicPartition]) -> None:
        """The rebalance listener: with commit-on-revoke, commit what was processed on these
        partitions (synchronously, logged before the REVOKE / LOST), then forget them."""
        listener = self.commit_on_revoke and self.strategy_name not in NO_LISTENER_COMMIT
        if listener:
            offsets = [TopicPartition(tp.topic, tp.partition, self.processed[(tp.topic, tp.partition)])
                       for tp in partitions if (tp.topic, tp.partition) in self.processed]
            self.commit_sync(offsets, detail=f"on-{kind}")
        self._drop(partitions)
        for topic, parts in _by_topic(partitions).items():
            self.emit(kind, t=topic, parts=parts, gen=self.generation, cor=listener)

    def _drop(self, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.processed.pop((tp.topic, tp.partition), None)
            self.held.pop((tp.topic, tp.partition), None)

    # ---- the loop ----------------------------------------------------------------------------

    def _conf(self) -> dict[str, Any]:
        spec = self.spec
        conf: dict[str, Any] = dict(self.init["conf"])
        conf.update({
            "group.id": spec["group"],
            "client.id": f"kx-{self.member}",
            "enable.auto.commit": True,
            "enable.auto.offset.store": False,
            "auto.commit.interval.ms": int(spec["auto_commit_interval_ms"]),
            "auto.offset.reset": spec["auto_offset_reset"],
            "isolation.level": spec["isolation_level"],
            "max.poll.interval.ms": int(spec["max_poll_interval_ms"]),
            "on_commit": self._on_commit,
        })
        if spec["protocol"] == "consumer":
            conf["group.protocol"] = "consumer"
            if spec.get("remote_assignor"):
                conf["group.remote.assignor"] = spec["remote_assignor"]
        else:
            conf["partition.assignment.strategy"] = spec["assignor"]
            if spec.get("session_timeout_ms"):
                session = int(spec["session_timeout_ms"])
                conf["session.timeout.ms"] = session
                conf["heartbeat.interval.ms"] = max(500, session // 3)
        if spec.get("group_instance_id"):
            conf["group.instance.id"] = spec["group_instance_id"]
        conf.update(spec.get("extra") or {})
        return conf

    def strategy(self) -> Strategy:
        inst = self._strategies.get(self.strategy_name)
        if inst is None:
            inst = self._strategies[self.strategy_name] = strategy_class(self.strategy_name)()
        return inst

    def _connect(self) -> bool:
        self.fatal = None
        try:
            self._consumer = clients.consumer(self._conf(), error_cb=self._on_error, logger=self.log)
        except (KafkaException, ValueError, TypeError) as exc:
            self.emit("error", text=f"the consumer could not be created: {_err_name(exc)}",
                      fatal=True)
            return False
        self._consumer.subscribe(list(self.spec["topics"]), on_assign=self._on_assign,
                                 on_revoke=self._on_revoke, on_lost=self._on_lost)
        self.emit("state", state="joining", memberid=None)
        return True

    def _fenced_static_restart(self) -> bool:
        """KIP-848 fences a new member whose group.instance.id the crashed incarnation still holds
        (UNRELEASED_INSTANCE_ID, fatal) until the broker-side session timeout. Before the first
        assignment, drop the fatal client and join again every 2 s for up to 90 s."""
        if not self.spec.get("group_instance_id") or self.generation or self.leaving:
            return False
        if time.monotonic() > self._join_deadline:
            return False
        self.emit("error", text="group.instance.id still held by the previous incarnation; joining "
                                "again when its session expires")
        try:
            self._consumer.close()  # a fatal client commits nothing
        except (KafkaException, RuntimeError):
            pass
        until = time.monotonic() + 2.0
        while time.monotonic() < until and not self.leaving:
            time.sleep(0.1)
            self._apply_controls()
        return self._connect()

    def run(self) -> int:
        self._join_deadline = time.monotonic() + 90.0
        if not self._connect():
            return 3
        next_positions = 0.0
        while True:
            self._apply_controls()
            if self.leaving:
                return self._leave()
            if self.fatal is not None:
                if self._fenced_static_restart():
                    continue
                self.emit("error", text=f"fatal: {self.fatal.str()}", fatal=True)
                return 3
            self.channel.flush()  # never wait with evidence unsent
            try:
                msgs = self._consumer.consume(num_messages=int(self.spec["batch_size"]),
                                              timeout=0.25 if self.paused else 0.5)
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                self.emit("error", text=f"consume failed: {_err_name(exc)}",
                          fatal=bool(err is not None and err.fatal()))
                if err is not None and err.fatal():
                    return 3
                continue
            records = self._records(msgs)
            if records:
                self._batch(records)
            if time.monotonic() >= next_positions:
                self._positions()
                gc.collect()  # automatic collection is off (see main)
                next_positions = time.monotonic() + 1.0

    def _records(self, msgs: list[Message]) -> list[Message]:
        if not any(map(Message.error, msgs)):
            return msgs
        out = [msg for msg in msgs if msg.error() is None]
        for msg in msgs:
            err = msg.error()
            if err is None:
                continue
            if err.code() == KafkaError._MAX_POLL_EXCEEDED:
                self.emit("kicked", text=err.str())
            elif err.code() != KafkaError._PARTITION_EOF:
                # a fatal client error arrives as a message error with code _FATAL
                fatal = err.fatal() or err.code() == KafkaError._FATAL
                if fatal:
                    self.fatal = err
                self.emit("error", text=f"{err.name()}: {err.str()}", fatal=fatal)
        return out

    def _batch(self, records: list[Message]) -> None:
        if self.pending_strategy is not None:
            self.strategy_name, self.pending_strategy = self.pending_strategy, None
            first = records[0]
            self.emit("strategy", name=self.strategy_name,
                      detail=f"from the batch starting at {first.topic()}[{first.partition()}]"
                             f"@{first.offset()}")
        self.batch_no += 1
        batch = self.batch_no
        # a consumed record always has its topic, partition and offset (None is for errors)
        topics = [self._only_topic] * len(records) if self._only_topic else \
            cast(list[str], list(map(Message.topic, records)))
        n = len(records)
        step = e2e.stride(n)
        cols = columns.of(records, step)
        parts, offsets, values, ids = cols.partitions, cols.offsets, cols.values, cols.ids
        after = next_offsets_of(topics, parts, offsets)  # one per partition of the batch
        self._in_hand = (records, after)
        tail = [(i, records[i].key(), values[i]) for i in range(max(0, n - RECENT), n)]
        self.channel.delivered(wire.encode_delivered(time.time(), batch, topics, parts, offsets,
                                                     ids, tail, cols.stamps, self._highs(after),
                                                     step))
        strategy = self.strategy()
        strategy.batch_start(self, records)
        record_done = strategy.record_done if _overrides(strategy, "record_done") else None
        passes = self.processing.batch_passes(values)
        if passes and not (self.processing_ms or self.slow or self.crash_left is not None
                           or record_done or self.held):
            # nothing happens between records (controls are only read while waiting): the whole
            # batch is processed at one moment
            self.channel.processed_all(batch, n, time.time())
            self.processed.update({(tp.topic, tp.partition): tp.offset for tp in after})
            strategy.batch_end(self, records)
            return
        done = self._records_one_by_one(records, batch, topics, parts, offsets, values, ids,
                                        None if passes else self.processing.check, record_done)
        strategy.batch_end(self, done)

    def _records_one_by_one(self, records: list[Message], batch: int, topics: list[str],
                            parts: Sequence[int], offsets: Sequence[int], values: list[bytes | None],
                            ids: list[bytes | None], check: Any, record_done: Any) -> list[Message]:
        """Process, check and hand each record to the error policy when it fails; returns the
        records the member is done with (a partition the pause policy held stops there)."""
        processed = self.channel.processed
        strategy = self.strategy()
        now = time.time
        n = len(records)
        held: set[tuple[str, int]] = set()
        done: list[Message] = []
        for index, msg in enumerate(records):
            tp = (topics[index], parts[index])
            if tp in held or tp in self.held:
                continue
            if self.processing_ms or (self.slow and index == 0):
                self._process(first=index == 0)
            outcome = Outcome.PROCESSED
            if check is not None:
                key = (tp[0], tp[1], offsets[index])
                msg_id = decode_msg_id(ids[index])
                failure: Failure | None = check(values[index], msg_id, key)
                if failure is not None:
                    outcome = error_policy.handle(self, self.policy, msg, key, msg_id, failure,
                                                  functools.partial(check, values[index], msg_id, key))
                    if outcome is Outcome.HELD:
                        held.add(tp)
                        continue
            if outcome is Outcome.PROCESSED:
                processed(batch, index, now())
            done.append(msg)
            self.processed[tp] = offsets[index] + 1
            if self.crash_left is not None:
                self.crash_left -= 1
                if self.crash_left <= 0:
                    if outcome is Outcome.PROCESSED:
                        self._crash(f"after processing {index + 1} of {n} records of a batch")
                    verb = "dead-lettering" if outcome is Outcome.DEAD_LETTERED else "skipping"
                    self._crash(f"after {verb} {tp[0]}/{tp[1]}@{offsets[index]} (record {index + 1} "
                                f"of {n} of a batch), before its commit")
            if outcome is Outcome.PROCESSED:
                if record_done is not None:
                    record_done(self, msg)
            else:
                strategy.record_skipped(self, msg)
        return done

    def _highs(self, after: list[TopicPartition]) -> tuple[tuple[str, int, int], ...]:
        """The high watermark of each of the batch's partitions (``after``: one per partition) from
        librdkafka's cache (the fetch that brought the batch, or a later one)."""
        out = []
        for tp in after:
            try:
                _low, high = self._consumer.get_watermark_offsets(tp, cached=True)
            except KafkaException:
                continue
            if high >= 0:
                out.append((tp.topic, tp.partition, int(high)))
        return tuple(out)

    def _process(self, first: bool) -> None:
        """'Processing' is sleeping: per record, plus one long stall per batch in slow mode. A member
        asked to leave still processes the record in full (it finishes its batch) but drops the
        slow-mode stall."""
        base = self.processing_ms / 1000.0
        stall = (int(self.spec["max_poll_interval_ms"]) + 2000) / 1000.0 if first and self.slow \
            else 0.0
        if base + stall <= 0:
            return
        self.channel.flush()  # the parent sees each record as it is processed
        start = time.monotonic()
        while True:
            left = start + base + (0.0 if self.leaving else stall) - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.1, left))
            self._apply_controls()

    # ---- PolicyHost: what the error policy uses -----------------------------------------------

    def wait(self, seconds: float) -> None:
        self.channel.flush()
        deadline = time.monotonic() + seconds
        while not self.leaving:  # a leaving member does not wait out a backoff
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.1, left))
            self._apply_controls()

    def idle(self) -> None:
        self._apply_controls()

    def hold(self, msg: Message, msg_id: str | None) -> None:
        topic, partition, offset = msg.topic() or "", msg.partition() or 0, msg.offset() or 0
        self.held[(topic, partition)] = (offset, msg_id)
        try:
            self._consumer.pause([TopicPartition(topic, partition)])
        except KafkaException as exc:
            self.emit("error", text=f"pause of {topic}[{partition}] failed: {_err_name(exc)}")
        self.seek_back([TopicPartition(topic, partition, offset)])

    def crash(self, detail: str) -> None:
        self._crash(detail, policy=True)

    def _resume_held(self, topic: str | None, partition: int | None, by: str) -> None:
        for (t, p), (offset, msg_id) in sorted(self.held.items()):
            if (topic is not None and t != topic) or (partition is not None and p != partition):
                continue
            del self.held[(t, p)]
            if not self.paused:
                try:
                    self._consumer.resume([TopicPartition(t, p)])
                except KafkaException as exc:
                    self.emit("error", text=f"resume of {t}[{p}] failed: {_err_name(exc)}")
            self.emit("policy", t=t, p=p, o=offset, id=msg_id, action="resume", attempt=None,
                      detail=f"by {by}")

    def _crash(self, detail: str, policy: bool = False) -> None:
        self.channel.flush()  # PROCESSED up to this record reaches the parent whatever comes next
        try:
            self.strategy().before_crash(self)
        finally:
            self.emit("crash", detail=detail, policy=policy)
            os._exit(CRASH_EXIT)  # no close(): no commit, no LeaveGroup

    def _positions(self) -> None:
        try:
            assignment = self._consumer.assignment()
            if not assignment:
                return
            positions = self._consumer.position(assignment)
        except KafkaException:
            return
        rows = []
        for tp in positions:
            try:
                _low, high = self._consumer.get_watermark_offsets(tp, cached=True)
            except KafkaException:
                high = -1
            rows.append([tp.topic, tp.partition, tp.offset, high])
        self.emit("positions", parts=rows, memberid=self._consumer.memberid())

    def _apply_controls(self) -> None:
        for ctl in child.pending_controls(self.controls):
            self._control(ctl)

    def _control(self, ctl: dict[str, Any]) -> None:
        op = ctl.get("op")
        if op == "leave":
            self.leaving = True
        elif op == "strategy":
            self.pending_strategy = str(ctl["name"])
            self.emit("strategy-pending", name=self.pending_strategy)
        elif op == "processing":
            self.processing_ms = max(0, int(ctl["ms"]))
        elif op == "slow":
            self.slow = bool(ctl["on"])
        elif op == "crash_after":
            self.crash_left = max(1, int(ctl["n"]))
        elif op in ("pause", "resume") and self._consumer is not None:
            self._pause(op == "pause")
        elif op == "policy":
            self.policy.update(ctl)
        elif op == "failures":
            self.processing = _processing({**self.spec, **{k: v for k, v in ctl.items()
                                                          if v is not None and k != "op"}})
        elif op == "commit_on_revoke":
            self.commit_on_revoke = bool(ctl["on"])
        elif op == "resume_partition" and self._consumer is not None:
            part = ctl.get("p")
            self._resume_held(ctl.get("t"), None if part is None else int(part),
                              str(ctl.get("by") or "user"))

    def _pause(self, pause: bool) -> None:
        self.paused = pause
        try:
            assignment = self._consumer.assignment()
            if not pause:  # partitions the pause policy holds stay paused until resumed as such
                assignment = [tp for tp in assignment if (tp.topic, tp.partition) not in self.held]
            if assignment:
                (self._consumer.pause if pause else self._consumer.resume)(assignment)
        except KafkaException as exc:
            self.emit("error", text=f"pause/resume failed: {_err_name(exc)}")
        self.emit("state", state="paused" if pause else "running")

    def _leave(self) -> int:
        pending = [TopicPartition(t, p, o) for (t, p), o in sorted(self.processed.items())]
        try:
            self.strategy().close(self, pending)
        except KafkaException as exc:
            self.emit("error", text=f"final commit failed: {_err_name(exc)}")
        if self._dead_letters is not None:
            self._dead_letters.close()
        self.channel.flush()  # close() commits whatever is stored
        try:
            self._consumer.close()
        except (KafkaException, RuntimeError) as exc:
            self.emit("error", text=f"close failed: {_err_name(exc)}")
        self.emit("leave")
        return 0


def _processing(spec: dict[str, Any]) -> Processing:
    return Processing(spec.get("value_format") or "kx", spec.get("fail_ids") or (),
                      float(spec.get("fail_rate") or 0.0), int(spec.get("fail_seed") or 0),
                      int(spec.get("fail_transient") or 0))


def _overrides(strategy: Strategy, hook: str) -> bool:
    """Whether the strategy does something in ``hook`` (the base class's hooks do nothing)."""
    return getattr(type(strategy), hook) is not getattr(Strategy, hook)


def _by_topic(partitions: list[TopicPartition]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for tp in partitions:
        out.setdefault(tp.topic, []).append(tp.partition)
    return {t: sorted(ps) for t, ps in out.items()}


def _err_name(exc: BaseException) -> str:
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return f"{exc.args[0].name()}: {exc.args[0].str()}"
    return str(exc)


def main() -> int:
    channel = Channel()
    init = child.read_init()
    if not init:
        return 2
    loop = MemberLoop(init, channel)
    # every batch allocates hundreds of messages, which would start a collection every few
    # batches; nothing the member makes per batch is cyclic, so collect once a second instead
    child.freeze_gc()
    child.start_controls(loop.controls, "member-controls")
    return child.run_reporting(loop.run, channel.emit, "member")


if __name__ == "__main__":
    child.exit_with(main)
