"""One producer runner: a named thread that owns one Producer from construction to close.

Life: starting (client built on this thread) -> running (produce loop) -> draining (all sent, waiting
for delivery reports) -> done; or -> stopping -> stopped on request; or -> failed. Shutdown is bounded:
flush(timeout) -> purge -> serve the purged records' reports -> close. Records that never got a
report stay UNKNOWN in the ledger.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from typing import Any

from tui.engine.context import EngineContext
from tui.engine.history import Outcome
from tui.engine.latency import LatencySummary
from tui.engine.producer.ledger import Ledger
from tui.engine.producer.outcomes import (
    CAUSE_NO_BROKER,
    CAUSE_NO_TOPIC,
    MSG_SIZE_TOO_LARGE,
    MSG_TIMED_OUT,
    TIMED_OUT_QUEUE,
    UNKNOWN_TOPIC_OR_PART,
    error_name,
    explain_error,
)
from tui.engine.producer.profile import ProducerProfile, reword_client_error
from tui.engine.producer.ratelimit import TokenBucket
from tui.engine.producer.stats import ProducerStatsAccumulator
from tui.engine.producer.views import DeliveryReportView, ErrorCount, RunnerView
from tui.engine.producer.workload import Workload
from tui.engine.record_format import (
    HEADER_ID,
    HEADER_POISON,
    HEADER_RESEND_OF,
    HEADER_RUN,
    HEADER_SEQ,
    VALUE_PREFIX,
    ValueMaker,
    poison_value,
)
from tui.kafka import clients

LOG = logging.getLogger("kafka_explorer.producer")
_POLL = 0.1  # every wait is a poll of at most this long, so the stop flag is seen quickly
_MIN_WAIT = 0.001
"""Shortest wait for the next token. poll() waits whole milliseconds (a shorter timeout returns at
once), so at a few thousand records/s or more a shorter wait spun a core, taking the GIL from the
rest of the process (the TUI's key presses); the records whose tokens came meanwhile go together."""
_CHECK_EVERY = 256  # sends between stop checks in the as-fast-as-possible loop (a power of 2)
_POLL_EVERY = 8  # sends between poll(0) calls in the as-fast-as-possible loop (a power of 2)
_ERROR_QUIET_S = 5.0  # the same client error is published at most once per this many seconds
_ALL_BROKERS_DOWN = -187
_TIMEOUT_CODES = (MSG_TIMED_OUT, TIMED_OUT_QUEUE)
"""Errors whose cause the runner looks up (does the topic exist? does a broker answer?)."""


class ProducerRunner:
    def __init__(self, ctx: EngineContext, profile: ProducerProfile, workload: Workload,
                 incarnation: int) -> None:
        self.ctx = ctx
        self.profile = profile
        self.workload = workload
        self.incarnation = incarnation
        self.name = profile.name
        self.source = f"producer:{profile.name}"
        self.ledger = Ledger(ctx.run_id, profile.name, incarnation, workload.topic,
                             workload.key_mode, workload.partition,
                             offsets_expected=profile.effective_acks != "0",
                             retries=profile.effective_retries, resend_max=profile.resend)
        self.stats = ProducerStatsAccumulator(workload.topic, profile.batch_size, profile.linger_ms,
                                              profile.compression, profile.effective_max_in_flight)
        self.state = "starting"
        self.message: str | None = None
        self.started_at = time.time()
        self.ended_at: float | None = None
        self.built = threading.Event()
        """Set once the client was built (or failed to build): ``build_error`` tells which."""
        self.build_error: str | None = None
        self.finished = threading.Event()
        """Set when the thread has closed its client and ended."""
        self.drained = threading.Event()
        """Set when every record sent got a delivery report and nothing more will be sent."""
        self._stop = threading.Event()
        self._flush_timeout = 5.0
        self._fatal: str | None = None
        self._samples: deque[tuple[float, int, int]] = deque(maxlen=8)
        """(monotonic time, sent, successful reports) about every 0.25 s."""
        self._last_error: dict[int, float] = {}
        self._explained: dict[int, str | None] = {}
        """Delivery error code -> the cause published on the timeline (once per cause)."""
        self._brokers_down = False
        self._producer: Any = None
        self._cpu = 0.0
        self._cpu0 = 0.0
        """The process's CPU time when the runner started (the interpreter's start is not counted)."""
        self.drained_at: float | None = None
        """When the last delivery report arrived, if every record got one before the runner ended."""
        self._conf_interval_ms = 1000
        self._value_maker: ValueMaker | None = None
        self.poisoned = 0
        self._reported_definite = 0
        self._next_summary = 0.0
        self._next_bump = 0.0
        self._bumped_at: tuple[int, int] = (-1, -1)
        self.thread = threading.Thread(target=self._run, name=f"producer-runner:{self.name}",
                                       daemon=True)

    # ---- control (any thread) ---------------------------------------------------------------

    def start(self) -> None:
        self.thread.start()

    def request_stop(self, flush_timeout: float) -> None:
        self._flush_timeout = max(0.0, flush_timeout)
        self._stop.set()

    @property
    def active(self) -> bool:
        return not self.finished.is_set()

    @property
    def cpu_seconds(self) -> float:
        """CPU time of the producer's process since the runner started, as of the last summary
        tick (and exactly at the end)."""
        return self._cpu

    @property
    def explained(self) -> dict[int, str | None]:
        """Delivery error code -> the cause published for it."""
        return self._explained

    # ---- the thread -------------------------------------------------------------------------

    def _conf(self) -> dict[str, Any]:
        conf = self.ctx.connection.client_conf(self.profile.to_conf())
        conf.setdefault("statistics.interval.ms", 1000)
        try:
            self._conf_interval_ms = max(0, int(conf["statistics.interval.ms"]))
        except (TypeError, ValueError):
            self._conf_interval_ms = 1000
        conf["stats_cb"] = self._on_stats
        return conf

    def _run(self) -> None:
        from confluent_kafka import KafkaException

        if self.workload.value_content != "kx":
            self._maker()  # its filler pool is built before the clock starts, not on it
        self.started_at = time.time()
        self._cpu0 = time.process_time()
        try:
            producer = clients.producer(self._conf(), error_cb=self._on_error, logger=LOG)
        except (KafkaException, ValueError, TypeError) as exc:
            err = exc.args[0] if exc.args else exc
            text = err.str() if hasattr(err, "str") else str(err)
            self.build_error = reword_client_error(text)
            self._end("failed", self.build_error)
            self.built.set()
            return
        self.built.set()
        self._producer = producer
        self._set_state("running")
        self.ctx.bus.publish("producer.started", self.source,
                             f"{self.name} started ({self.profile.summary()}): "
                             f"{self.workload.describe()}", "notice",
                             producer=self.name, incarnation=self.incarnation, topic=self.workload.topic)
        state, message = "done", None
        try:
            self._connect(producer)
            self._produce(producer)
            if not self._stop.is_set() and self._fatal is None:
                self._set_state("draining")
                while (len(producer) > 0 and self.ledger.pending > 0 or self.ledger.to_resend) \
                        and not self._stop.is_set() and self._fatal is None:
                    producer.poll(_POLL)
                    self._tick()
                    if self.ledger.to_resend:
                        self._resend(producer)
                if self.ledger.pending == 0:
                    self.drained_at = time.time()
                self._final_stats(producer)
            if self._stop.is_set():
                state = "stopped"
            if self._fatal is not None:
                state, message = "failed", self._fatal
        except Exception as exc:  # never let a runner die silently; the engine keeps going
            state, message = "failed", f"{self.name} failed: {exc}"
            LOG.exception("producer runner %s failed", self.name)
        if state == "stopped":
            self._set_state("stopping")
        self._shutdown(producer)
        self._end(state, message)

    def _connect(self, producer: Any) -> None:
        """Ask for the topic's metadata first (bounded): the broker connection and the partition
        leaders are then known before the first record, so the first records' latency is theirs and
        not the connection's. A missing topic or an unreachable cluster is reported later, by the
        records' delivery reports."""
        try:
            producer.list_topics(self.workload.topic, timeout=2.0)
        except Exception:
            pass

    def _produce(self, producer: Any) -> None:
        """The send loop: rate-limited (a token per record, polling while it waits) or as fast as
        possible.

        This is the hot path of the producers. Everything it touches per record is a local name
        (ledger appends are inlined), and whatever does not change from one record to the next --
        the stop check, the value's padding (it changes when seq gains a digit), the ledger's
        capacity, pending resends -- is dealt with once per chunk of records, outside the inner loop.
        At full speed delivery reports are served every ``_POLL_EVERY`` sends rather than after each
        one: each poll() has a fixed cost (it lets go of the GIL and takes it back), and a report then
        waits at most a few sends (microseconds) longer to be served, which is when librdkafka
        measures its latency. Values other than kx padding come from a :class:`ValueMaker`; a poison
        record is one int comparison per record until its seq comes.
        """
        w = self.workload
        ledger = self.ledger
        stop = self._stop
        produce = producer.produce
        poll = producer.poll
        now = time.time
        on_delivery_for = ledger.make_callbacks()
        t_append = ledger.t_send.append
        key_append = ledger.key.append if ledger.constant_key is None else None
        key = w.key_mode.key_bytes(ledger.constant_key) if ledger.constant_key is not None else None
        capacity = len(ledger.outcome)
        topic = w.topic
        partition = w.partition if w.partition is not None else -1
        run_header = (HEADER_RUN, self.ctx.run_id.encode())
        id_prefix = f"{self.ctx.run_id}/{self.name}/{self.incarnation}/".encode()
        size = w.value_size
        extra_headers = list(w.headers)
        keys = w.key_mode.key_function(random.Random())
        bucket = TokenBucket(w.rate) if w.rate is not None else None
        count = w.count
        poll_mask = 0 if bucket is not None else _POLL_EVERY - 1
        make_value = None if w.value_content == "kx" else self._maker().value
        poison = w.poison
        to_resend = ledger.to_resend
        seq = ledger.sent
        made = 0
        """Records of the workload sent (resends are extra)."""
        next_poison = poison.first_from(seq) if poison is not None else -1
        # the value is b"kx|" + msg_id + tail, where tail = b"|" + padding to the value size; the
        # tail only changes when seq gains a digit
        head_len = len(VALUE_PREFIX) + len(id_prefix) + 1
        next_width = 0
        tail = b"|"
        while count is None or made < count:
            if to_resend:
                self._resend(producer)
                seq = ledger.sent
                capacity = len(ledger.outcome)
                next_width = 0
                next_poison = poison.first_from(seq) if poison is not None else -1
            if seq >= next_width:
                digits = len(str(seq))
                next_width = 10 ** digits
                tail = b"|" + b"." * max(0, size - head_len - digits)
            if seq >= capacity:
                capacity = ledger.grow()
            if bucket is not None:
                wait = bucket.take()
                while wait > 0.0:
                    poll(min(max(wait, _MIN_WAIT), _POLL))
                    self._tick()
                    if stop.is_set() or self._fatal is not None:
                        return
                    wait = bucket.take()
                if stop.is_set():
                    return
                end = seq + 1
            else:
                if not seq & (_CHECK_EVERY - 1):
                    self._tick()
                    if stop.is_set() or self._fatal is not None:
                        return
                end = min(next_width, capacity, (seq | (_CHECK_EVERY - 1)) + 1)
                if count is not None:
                    end = min(end, seq + count - made)
            first = seq
            for seq in range(first, end):
                seq_b = b"%d" % seq
                msg_id = id_prefix + seq_b
                headers = [(HEADER_ID, msg_id), run_header, (HEADER_SEQ, seq_b)]
                if extra_headers:
                    headers += extra_headers
                if key_append is not None:
                    key_number, key = keys(seq)
                    key_append(key_number)
                if seq == next_poison:
                    value = self._poison(msg_id, seq, headers)
                    next_poison = poison.first_from(seq + 1) if poison is not None else -1
                elif make_value is None:
                    value = VALUE_PREFIX + msg_id + tail
                else:
                    value = make_value(msg_id, seq)
                t_append(now())
                while True:
                    try:
                        # all positional (callback, on_delivery, timestamp=0: now, headers):
                        # keyword arguments cost produce() more than the rest of its parsing
                        produce(topic, value, key, partition, on_delivery_for(seq), None, 0, headers)
                        break
                    except BufferError:
                        # librdkafka's queue is full: serve reports until there is room
                        poll(_POLL)
                        self._tick()
                        if stop.is_set() or self._fatal is not None:
                            ledger.unsend_last()
                            return
                    except Exception as exc:
                        if _refusal_code(exc) == MSG_SIZE_TOO_LARGE:
                            # the producer's own error (a send-error lesson): failed, never sent
                            ledger.refused(seq, exc.args[0])
                            break
                        ledger.unsend_last()
                        raise RuntimeError(_produce_error(exc)) from None
                if not seq & poll_mask:
                    poll(0)
            made += end - first
            seq = end
        poll(0)

    def _maker(self) -> ValueMaker:
        if self._value_maker is None:
            self._value_maker = ValueMaker(self.workload.value_content, self.workload.value_size,
                                           seed=self.incarnation)
        return self._value_maker

    def _poison(self, msg_id: bytes, seq: int, headers: list[tuple[str, bytes]]) -> bytes | None:
        """A poison record's value; adds its ``kx-poison`` header (the msg_id stays in ``kx-id``)."""
        spec = self.workload.poison
        assert spec is not None
        headers.append((HEADER_POISON, spec.kind.encode()))
        self.poisoned += 1
        return poison_value(spec.kind, msg_id, seq, spec.oversize_bytes)

    def _is_poison(self, seq: int) -> bool:
        spec = self.workload.poison
        return spec is not None and spec.first_from(seq) == seq

    def _resend(self, producer: Any) -> None:
        """Send again, as new records (the next seqs), every record whose delivery failed since the
        last call: same key and payload, its own msg_id, ``kx-resend-of`` naming the one it re-sends."""
        led = self.ledger
        pending, led.to_resend[:] = list(led.to_resend), []
        w = self.workload
        run = self.ctx.run_id.encode()
        maker = self._maker()
        for original in pending:
            if self._stop.is_set() or self._fatal is not None:
                return
            seq = led.sent
            if seq >= len(led.outcome):
                led.grow()
            seq_b = b"%d" % seq
            msg_id = f"{self.ctx.run_id}/{self.name}/{self.incarnation}/".encode() + seq_b
            headers = [(HEADER_ID, msg_id), (HEADER_RUN, run), (HEADER_SEQ, seq_b),
                       (HEADER_RESEND_OF, led.msg_id(original).encode()), *w.headers]
            value: bytes | None
            if self._is_poison(original):
                value = self._poison(msg_id, seq, headers)
            else:
                value = maker.value(msg_id, seq, slot=original)
            number = led.constant_key if led.constant_key is not None else led.key[original]
            led.sent_one(number, time.time())
            try:
                producer.produce(w.topic, value, led.key_of(original),
                                 w.partition if w.partition is not None else -1,
                                 led.make_callbacks()(seq), None, 0, headers)
            except BufferError:
                led.unsend_last()
                led.to_resend.append(original)  # next time round
                continue
            except Exception as exc:
                if _refusal_code(exc) == MSG_SIZE_TOO_LARGE:
                    led.refused(seq, exc.args[0])
                else:
                    led.unsend_last()
                    raise RuntimeError(_produce_error(exc)) from None
            led.resent(seq, original)
        if pending:
            self.ctx.bus.publish("producer.resend", self.source,
                                 f"{self.name}: re-sent {len(pending)} record(s) whose delivery failed "
                                 f"({led.resends} resends so far; each is a new record with its own "
                                 "msg_id, so idempotence cannot de-duplicate it).",
                                 "notice", producer=self.name, new=len(pending), total=led.resends)

    def _final_stats(self, producer: Any) -> None:
        """Wait (bounded by one statistics interval) for an emission after the last report, so the
        statistics cover every batch: librdkafka cannot be asked for one."""
        if self._conf_interval_ms <= 0:
            return
        interval = float(self._conf_interval_ms) / 1000.0
        seen = self.stats.emissions
        deadline = time.monotonic() + interval + 0.2
        while self.stats.emissions == seen and time.monotonic() < deadline and not self._stop.is_set():
            producer.poll(min(_POLL, interval))

    def _shutdown(self, producer: Any) -> None:
        """Bounded: flush(timeout) -> purge -> serve purged reports -> close."""
        try:
            if self._stop.is_set() or self._fatal is not None:
                producer.flush(self._flush_timeout)
            if len(producer) > 0:
                producer.purge(in_queue=True, in_flight=True, blocking=False)
                deadline = time.monotonic() + 1.0
                while len(producer) > 0 and time.monotonic() < deadline:
                    producer.poll(0.05)
            self._tick(force=True)
            producer.close()
        except Exception as exc:  # the thread must end whatever close did
            LOG.warning("closing producer %s: %s", self.name, exc)

    def _end(self, state: str, message: str | None) -> None:
        self.ended_at = time.time()
        self.message = message
        if self.ledger.pending == 0:
            self.drained.set()
        self._set_state(state)
        led = self.ledger
        got = (f"{led.acked} acked" if led.offsets_expected
               else f"{led.sent_unacknowledged} sent (no acknowledgement, acks=0)")
        summary = (f"{got}, {led.failed_definite} failed, {led.failed_indefinite} maybe "
                   f"written, {led.pending} unknown")
        data = {"producer": self.name, "incarnation": self.incarnation, "sent": led.sent,
                "acked": led.acked, "sent_unacknowledged": led.sent_unacknowledged,
                "failed_definite": led.failed_definite,
                "failed_indefinite": led.failed_indefinite, "unknown": led.pending}
        if state == "done":
            self.ctx.bus.publish("producer.done", self.source, f"{self.name} done: {summary}.",
                                 "notice", **data)
        elif state == "stopped":
            self.ctx.bus.publish("producer.stopped", self.source,
                                 f"{self.name} stopped after {led.sent} records: {summary}.",
                                 "notice", **data)
        else:
            self.ctx.bus.publish("producer.error", self.source, message or f"{self.name} failed.",
                                 "error", fatal=True, retriable=False, **data)
        self.finished.set()

    def _set_state(self, state: str) -> None:
        self.state = state
        self.ctx.bump()

    # ---- callbacks (served from poll/flush on this thread) ----------------------------------

    def _on_error(self, err: Any) -> None:
        code = err.code()
        fatal = bool(err.fatal())
        now = time.monotonic()
        if code == _ALL_BROKERS_DOWN:
            self._brokers_down = True
        if fatal:
            self._fatal = f"{self.name} hit a fatal client error: {err.str()}."
        elif now - self._last_error.get(code, -1e9) < _ERROR_QUIET_S:
            return
        self._last_error[code] = now
        self.ctx.bus.publish("producer.error", self.source, f"{self.name}: {err.str()}",
                             "error" if fatal else "warning", producer=self.name, error=err.name(),
                             fatal=fatal, retriable=bool(err.retriable()))

    def _on_stats(self, text: str) -> None:
        # statistics are a nicety: a malformed blob is skipped, never raised
        self.stats.feed(text)

    # ---- periodic work on the runner thread -------------------------------------------------

    def _tick(self, force: bool = False) -> None:
        now = time.monotonic()
        led = self.ledger
        if force or now >= self._next_bump:
            self._next_bump = now + 0.1
            led.absorb()
            if (led.sent, led.reported) != self._bumped_at:
                self._bumped_at = (led.sent, led.reported)
                if not self._samples or now - self._samples[-1][0] >= 0.25:
                    self._samples.append((now, led.sent, led.acked + led.acked_no_offset
                                          + led.sent_unacknowledged))
                self.ctx.bump()
        if force or now >= self._next_summary:
            self._next_summary = now + 1.0
            # the runner has a process of its own (producer/child_main.py): all of its CPU is the
            # producer's, librdkafka's threads (compression, I/O) included
            self._cpu = time.process_time() - self._cpu0
            definite = led.failed_definite
            if definite > self._reported_definite:
                self._publish_failures(definite - self._reported_definite)
                self._reported_definite = definite
            if len(led.errors) != len(self._explained):
                self._explain_new_errors()

    def _explain_new_errors(self) -> None:
        """Publish each new delivery error class once, with its explanation and likely cause (a
        timeline entry per cause, never per record)."""
        for code, n in list(self.ledger.errors.items()):
            if code in self._explained:
                continue
            cause = self._cause(code)
            self._explained[code] = cause
            text = explain_error(code, self.profile.message_timeout_ms, cause)
            self.ctx.bus.publish("producer.delivery-error", self.source,
                                 f"{self.name}: {error_name(code)}: {text}.", "warning",
                                 producer=self.name, error=error_name(code), explanation=text,
                                 count=n, cause=cause)

    def _cause(self, code: int) -> str | None:
        """What the runner can find out about a timeout (runner thread: it owns the client)."""
        if code not in _TIMEOUT_CODES:
            return None
        if self._brokers_down:
            return CAUSE_NO_BROKER
        producer = self._producer
        if producer is None:
            return None
        try:
            meta = producer.list_topics(self.workload.topic, timeout=1.0)
        except Exception:
            return CAUSE_NO_BROKER
        found = meta.topics.get(self.workload.topic)
        err = getattr(found, "error", None) if found is not None else None
        if found is None or (err is not None and err.code() == UNKNOWN_TOPIC_OR_PART):
            return CAUSE_NO_TOPIC
        return None

    def _publish_failures(self, new: int) -> None:
        definite = self.ledger.definite
        top = sorted(((n, c) for c, n in dict(self.ledger.errors).items() if c in definite), reverse=True)
        names = ", ".join(f"{error_name(c)} x{n}" for n, c in top[:3])
        self.ctx.bus.publish("producer.failures", self.source,
                             f"{self.name}: {new} more records definitely not written ({names}).",
                             "warning", producer=self.name, new=new,
                             total=self.ledger.failed_definite)

    # ---- view (any thread) ------------------------------------------------------------------

    def view(self) -> RunnerView:
        led = self.ledger
        prof = self.profile
        latency = LatencySummary.of(led.histogram, cdf=True)
        send_rate, ack_rate = self._rates()
        timeout = prof.message_timeout_ms
        errors = tuple(sorted(
            (ErrorCount(error_name(code), _error_outcome(code, prof.effective_retries).value, n,
                        explain_error(code, timeout, self._explained.get(code)))
             for code, n in dict(led.errors).items()), key=lambda e: -e.count))
        recent = tuple(self.delivery_view(seq, (p, o, lat)) for seq, p, o, lat in led.recent_reports())
        finished = self.finished.is_set()
        first = led.first_send
        end = (self.drained_at or self.ended_at or time.time()) if finished else time.time()
        ok = led.acked + led.acked_no_offset + led.sent_unacknowledged
        avg_rate = ok / (end - first) if first is not None and end > first else 0.0
        stats = self.stats.view()
        record_bytes = self.stats.record_bytes or float(self.workload.value_size)
        w = self.workload
        return RunnerView(
            name=self.name, incarnation=self.incarnation, topic=w.topic,
            state=self.state, summary=prof.summary(), acks=prof.effective_acks,
            idempotent=prof.effective_idempotence,
            transactional=prof.effective_transactional_id is not None,
            retries=prof.effective_retries, max_in_flight=prof.effective_max_in_flight,
            linger_ms=prof.linger_ms, batch_size=prof.batch_size, compression=prof.compression,
            key_mode=str(w.key_mode), target_count=w.count,
            target_rate=w.rate, sent=led.sent, acked=led.acked,
            acked_no_offset=led.acked_no_offset, failed_definite=led.failed_definite,
            failed_indefinite=led.failed_indefinite,
            pending=0 if finished else led.pending, unknown=led.pending if finished else 0,
            send_rate=send_rate, ack_rate=ack_rate, avg_rate=avg_rate,
            latency_p50=latency.p50, latency_p90=latency.p90, latency_p99=latency.p99,
            latency_max=latency.max,
            errors=errors, partitions=tuple(sorted(dict(led.per_partition).items())),
            avg_batch_records=stats.records_per_batch if stats is not None else None,
            avg_batch_bytes=stats.batch_bytes if stats is not None else None,
            recent=recent, started_at=self.started_at, ended_at=self.ended_at,
            message=self.message, sent_unacknowledged=led.sent_unacknowledged, latency=latency,
            send_mb_rate=send_rate * record_bytes / 1e6, ack_mb_rate=ack_rate * record_bytes / 1e6,
            avg_record_bytes=self.stats.record_bytes, value_content=w.value_content,
            value_size=w.value_size, poison=None if w.poison is None else str(w.poison),
            poisoned=self.poisoned, resend=prof.resend, resent=led.resends,
            cpu_seconds=self._cpu, stats=stats, last_report_at=self.drained_at)

    def _rates(self) -> tuple[float, float]:
        samples = list(self._samples)
        if self.finished.is_set() or len(samples) < 2:
            return 0.0, 0.0
        now = time.monotonic()
        recent = [s for s in samples if now - s[0] <= 2.5] or samples[-2:]
        first, last = (recent[0], recent[-1]) if len(recent) >= 2 else (samples[-2], samples[-1])
        span = last[0] - first[0]
        if span <= 0:
            return 0.0, 0.0
        return (last[1] - first[1]) / span, (last[2] - first[2]) / span

    def delivery_view(self, seq: int,
                      report: tuple[int, int, float] | None = None) -> DeliveryReportView:
        """Record ``seq`` as the view shows it (``report``: its ledger report, when known)."""
        led = self.ledger
        if report is None:
            report = led.report_of(seq)
        partition, offset, latency = report or (-1, -1, -1.0)
        code = led.error[seq]
        return DeliveryReportView(seq=seq, msg_id=led.msg_id(seq),
                            partition=partition if partition >= 0 else None,
                            offset=offset if offset >= 0 else None,
                            latency=latency if latency >= 0.0 else None,
                            outcome=led.outcome_of(seq, report).value,
                            error=error_name(code) if code else None, key=led.key_of(seq))


def _error_outcome(code: int, retries: int | None = None) -> Outcome:
    from tui.engine.producer.outcomes import classify

    return classify(code, None, retries)


def _refusal_code(exc: Exception) -> int | None:
    """The librdkafka error code of a produce() exception (a KafkaException), else None."""
    err: Any = exc.args[0] if exc.args else None
    try:
        return int(err.code()) if err is not None and hasattr(err, "code") else None
    except Exception:
        return None


def _produce_error(exc: Exception) -> str:
    """A produce() exception (not BufferError) as one sentence."""
    err: Any = exc.args[0] if exc.args else exc
    text = err.str() if hasattr(err, "str") else str(exc)
    return f"produce() refused the record: {text}"


__all__ = ["ProducerRunner"]
