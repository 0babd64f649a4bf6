"""One producer runner: a named thread that owns one Producer from construction to close.

Life: starting (client built on this thread) -> running (produce loop) -> draining (all sent, waiting
for delivery reports) -> done; or -> stopping -> stopped on request; or -> failed. Shutdown is bounded:
flush(timeout) -> purge -> serve the purged records' reports -> close. Records that never got a
report stay UNKNOWN in the ledger.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import deque
from typing import Any

from tui.engine.context import EngineContext
from tui.engine.history import Outcome
from tui.engine.producer.ledger import Ledger
from tui.engine.producer.outcomes import CODE_OK_NO_OFFSET, error_name
from tui.engine.producer.profile import ProducerProfile, reword_client_error
from tui.engine.producer.ratelimit import TokenBucket
from tui.engine.producer.views import DeliveryReportView, ErrorCount, RunnerView
from tui.engine.producer.workload import Workload
from tui.engine.record_format import HEADER_ID, HEADER_RUN, HEADER_SEQ, VALUE_PREFIX
from tui.kafka import clients

LOG = logging.getLogger("kafka_explorer.producer")
_POLL = 0.1  # every wait is a poll of at most this long, so the stop flag is seen quickly
_CHECK_EVERY = 256  # sends between stop checks in the as-fast-as-possible loop (a power of 2)
_POLL_EVERY = 8  # sends between poll(0) calls in the as-fast-as-possible loop (a power of 2)
_ERROR_QUIET_S = 5.0  # the same client error is published at most once per this many seconds


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
                             retries=profile.effective_retries)
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
        self._batch_records = 0.0
        self._batch_bytes = 0.0
        self._batch_count = 0
        self._last_error: dict[int, float] = {}
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

    # ---- the thread -------------------------------------------------------------------------

    def _conf(self) -> dict[str, Any]:
        conf = self.ctx.connection.client_conf(self.profile.to_conf())
        conf.setdefault("statistics.interval.ms", 1000)
        conf["stats_cb"] = self._on_stats
        return conf

    def _run(self) -> None:
        from confluent_kafka import KafkaException

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
        self._set_state("running")
        self.ctx.bus.publish("producer.started", self.source,
                             f"{self.name} started ({self.profile.summary()}): "
                             f"{self.workload.describe()}", "notice",
                             producer=self.name, incarnation=self.incarnation, topic=self.workload.topic)
        state, message = "done", None
        try:
            self._produce(producer)
            if not self._stop.is_set() and self._fatal is None:
                self._set_state("draining")
                while len(producer) > 0 and self.ledger.pending > 0 and not self._stop.is_set() \
                        and self._fatal is None:
                    producer.poll(_POLL)
                    self._tick()
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

    def _produce(self, producer: Any) -> None:
        """The send loop: rate-limited (a token per record, polling while it waits) or as fast as
        possible.

        This is the hot path of the producers. Everything it touches per record is a local name
        (ledger appends are inlined), and whatever does not change from one record to the next --
        the stop check, the value's padding (it changes when seq gains a digit), the ledger's
        capacity -- is dealt with once per chunk of records, outside the inner loop. At full speed
        delivery reports are served every ``_POLL_EVERY`` sends rather than after each one: each
        poll() has a fixed cost (it lets go of the GIL and takes it back), and a report then waits
        at most a few sends (microseconds) longer to be served, which is when librdkafka measures
        its latency.
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
        seq = ledger.sent
        # the value is b"kx|" + msg_id + tail, where tail = b"|" + padding to the value size; the
        # tail only changes when seq gains a digit
        head_len = len(VALUE_PREFIX) + len(id_prefix) + 1
        next_width = 0
        tail = b"|"
        while count is None or seq < count:
            if seq >= next_width:
                digits = len(str(seq))
                next_width = 10 ** digits
                tail = b"|" + b"." * max(0, size - head_len - digits)
            if seq >= capacity:
                capacity = ledger.grow()
            if bucket is not None:
                wait = bucket.take()
                while wait > 0.0:
                    poll(min(wait, _POLL))
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
                    end = min(end, count)
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
                t_append(now())
                while True:
                    try:
                        # all positional (callback, on_delivery, timestamp=0: now, headers):
                        # keyword arguments cost produce() more than the rest of its parsing
                        produce(topic, VALUE_PREFIX + msg_id + tail, key, partition,
                                on_delivery_for(seq), None, 0, headers)
                        break
                    except BufferError:
                        # librdkafka's queue is full: serve reports until there is room
                        poll(_POLL)
                        self._tick()
                        if stop.is_set() or self._fatal is not None:
                            ledger.unsend_last()
                            return
                    except Exception as exc:
                        ledger.unsend_last()
                        raise RuntimeError(_produce_error(exc)) from None
                if not seq & poll_mask:
                    poll(0)
            seq = end
        poll(0)

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
        summary = (f"{led.acked} acked, {led.failed_definite} failed, {led.failed_indefinite} maybe "
                   f"written, {led.pending} unknown")
        data = {"producer": self.name, "incarnation": self.incarnation, "sent": led.sent,
                "acked": led.acked, "failed_definite": led.failed_definite,
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
        if fatal:
            self._fatal = f"{self.name} hit a fatal client error: {err.str()}."
        elif now - self._last_error.get(code, -1e9) < _ERROR_QUIET_S:
            return
        self._last_error[code] = now
        self.ctx.bus.publish("producer.error", self.source, f"{self.name}: {err.str()}",
                             "error" if fatal else "warning", producer=self.name, error=err.name(),
                             fatal=fatal, retriable=bool(err.retriable()))

    def _on_stats(self, text: str) -> None:
        try:
            topic = json.loads(text).get("topics", {}).get(self.workload.topic, {})
            count = int(topic.get("batchcnt", {}).get("cnt", 0))
            if count > 0:
                self._batch_records += float(topic["batchcnt"]["avg"]) * count
                self._batch_bytes += float(topic["batchsize"]["avg"]) * count
                self._batch_count += count
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # statistics are a nicety; a malformed blob must not hurt the runner

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
                    self._samples.append((now, led.sent, led.reported))
                self.ctx.bump()
        if force or now >= self._next_summary:
            self._next_summary = now + 1.0
            definite = led.failed_definite
            if definite > self._reported_definite:
                self._publish_failures(definite - self._reported_definite)
                self._reported_definite = definite

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
        p50, p90, p99 = led.histogram.percentiles((0.5, 0.9, 0.99))
        latency_max = led.histogram.max if p50 is not None else None
        send_rate, ack_rate = self._rates()
        errors = tuple(sorted(
            (ErrorCount(error_name(code), _error_outcome(code, prof.effective_retries).value, n)
             for code, n in dict(led.errors).items()), key=lambda e: -e.count))
        recent = tuple(self.delivery_view(seq, (p, o, lat)) for seq, p, o, lat in led.recent_reports())
        finished = self.finished.is_set()
        first = led.first_send
        end = (self.ended_at or time.time()) if finished else time.time()
        avg_rate = led.acked / (end - first) if first is not None and end > first else 0.0
        return RunnerView(
            name=self.name, incarnation=self.incarnation, topic=self.workload.topic,
            state=self.state, summary=prof.summary(), acks=prof.effective_acks,
            idempotent=prof.effective_idempotence,
            transactional=prof.effective_transactional_id is not None,
            retries=prof.effective_retries, max_in_flight=prof.effective_max_in_flight,
            linger_ms=prof.linger_ms, batch_size=prof.batch_size, compression=prof.compression,
            key_mode=str(self.workload.key_mode), target_count=self.workload.count,
            target_rate=self.workload.rate, sent=led.sent, acked=led.acked,
            acked_no_offset=led.counts[CODE_OK_NO_OFFSET], failed_definite=led.failed_definite,
            failed_indefinite=led.failed_indefinite,
            pending=0 if finished else led.pending, unknown=led.pending if finished else 0,
            send_rate=send_rate, ack_rate=ack_rate, avg_rate=avg_rate,
            latency_p50=p50, latency_p90=p90, latency_p99=p99, latency_max=latency_max,
            errors=errors, partitions=tuple(sorted(dict(led.per_partition).items())),
            avg_batch_records=self._batch_records / self._batch_count if self._batch_count else None,
            avg_batch_bytes=self._batch_bytes / self._batch_count if self._batch_count else None,
            recent=recent, started_at=self.started_at, ended_at=self.ended_at,
            message=self.message)

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


def _produce_error(exc: Exception) -> str:
    """A produce() exception (not BufferError) as one sentence."""
    err: Any = exc.args[0] if exc.args else exc
    text = err.str() if hasattr(err, "str") else str(exc)
    return f"produce() refused the record: {text}"


__all__ = ["ProducerRunner"]
