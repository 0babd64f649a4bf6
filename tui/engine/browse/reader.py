"""One browser: a named thread that owns one assign-only consumer from construction to close.

It never subscribes and never commits: the group id is a throwaway name that is never joined,
``enable.auto.commit`` and ``enable.auto.offset.store`` are off, and positions come from ``assign()``
with explicit offsets. So no group appears (``list_consumer_groups``) and nobody's offsets move.

Life: opening (metadata, watermarks, offsets_for_times, assign) -> reading -> following (caught up,
with follow) or done (the end offsets seen at the open were reached, or the record limit: the consumer
stays open, paused, so a seek can read again); failed on an error it cannot read past; closed on
request. Control requests (pause, seek) are queued to the
thread; the view is rebuilt after each batch and read by any thread without waiting.
"""

from __future__ import annotations

import functools
import itertools
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from tui.engine.browse.commands import BrowseOpen
from tui.engine.browse.decode import BYTES_CAP, cap_bytes, decode_value
from tui.engine.browse.filters import RecordFilter
from tui.engine.browse.start import StartAt
from tui.engine.browse.views import BrowseRecordView, BrowseView
from tui.engine.record_format import msg_id_of, parse_msg_id
from tui.kafka import clients
from tui.kafka.errors import error_text
from tui.vocab import BrowseState, StartKind, TimestampType

LOG = logging.getLogger("kafka_explorer.browse")
T = TypeVar("T")
POLL_S = 0.2
"""Longest wait in the loop, so a close or a pause is seen quickly."""
BATCH = 500
META_TIMEOUT_S = 10.0
_MOVING = frozenset({KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
                     KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN,
                     KafkaError.UNKNOWN_TOPIC_OR_PART})
"""Answers that mean "ask again shortly" while leadership moves (not all are flagged retriable)."""
MAX_HEADERS = 32
_TS_TYPES = {1: TimestampType.CREATE_TIME, 2: TimestampType.LOG_APPEND_TIME}
_FINAL = (BrowseState.DONE, BrowseState.FAILED, BrowseState.CLOSED)


class BrowseFailed(Exception):
    """The browser cannot go on; the message is the sentence its view shows."""


def reader_conf(conf: Mapping[str, Any], group: str) -> dict[str, Any]:
    """The consumer settings of a browser: a group id only because librdkafka wants one."""
    return {**conf, "group.id": group, "enable.auto.commit": False,
            "enable.auto.offset.store": False, "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
            # prefetch is bounded: a paused browser over 1 MB records must not hold 64 MB per partition
            "queued.max.messages.kbytes": 8192}


class Browser:
    """Owns the ``engine-browse-<id>`` thread and its Consumer."""

    def __init__(self, browser_id: int, conf: Mapping[str, Any], spec: BrowseOpen, run_id: str) -> None:
        self.browser_id = browser_id
        self.spec = spec
        self.group = f"kx-browse-{run_id}-{browser_id}-{secrets.token_hex(3)}"
        self._conf = reader_conf(conf, self.group)
        self._start_text = spec.start
        self._start = StartAt.parse(spec.start)
        self._filter: RecordFilter = spec.filters
        self._cond = threading.Condition()
        self._requests: deque[tuple[str, Any]] = deque()
        self._stop = threading.Event()
        self._ring: deque[BrowseRecordView] = deque(maxlen=spec.keep)
        self._taken = 0
        self._seq = itertools.count(1)
        # the rest is written by the browser thread only (under _cond where readers look)
        self._state = BrowseState.OPENING
        self._paused = False
        self._scanned = 0
        self._matched = 0
        self._partitions: tuple[int, ...] = spec.partitions
        self._starts: dict[int, int] = {}
        self._ends: dict[int, int] = {}
        self._positions: dict[int, int] = {}
        self._done: set[int] = set()
        self._caught_up: set[int] = set()
        self._error: str | None = None
        self._idle_paused = False
        self._view = self._build()
        self._thread = threading.Thread(target=self._run, name=f"engine-browse-{browser_id}",
                                        daemon=True)

    # ---- any thread ----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def view(self) -> BrowseView:
        return self._view

    def wait_ready(self, timeout: float) -> BrowseView:
        """The view once the start offsets are known (or the open failed), or after ``timeout``."""
        with self._cond:
            self._cond.wait_for(lambda: self._view.state != BrowseState.OPENING, timeout)
            return self._view

    def wait_records(self, since: int, timeout: float) -> BrowseView:
        """Until more than ``since`` records matched, the browser ended, or ``timeout``."""
        with self._cond:
            self._cond.wait_for(lambda: self._matched > since or self._view.final, timeout)
            return self._view

    def take(self, since: int, limit: int) -> tuple[tuple[BrowseRecordView, ...], int, int]:
        """Records numbered ``since`` on that are still kept (at most ``limit``), the number to
        continue from, and how many from ``since`` on were already dropped."""
        with self._cond:
            first = self._matched - len(self._ring)
            skip = max(0, since - first)
            items = tuple(itertools.islice(self._ring, skip, skip + max(0, limit)))
            following = max(since, first) + len(items)
            if self.spec.lossless and following > self._taken:
                self._taken = following
                self._cond.notify_all()
            return items, following, max(0, first - since)

    def request(self, kind: str, arg: Any = None) -> None:
        """Queue ``pause`` (arg: bool) or ``seek`` (arg: (start text or None, filter or None))."""
        with self._cond:
            self._requests.append((kind, arg))
            self._cond.notify_all()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def close(self, timeout: float) -> None:
        self.stop()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # ---- the browser thread --------------------------------------------------------------------

    def _run(self) -> None:
        consumer: Consumer | None = None
        try:
            consumer = clients.consumer(self._conf, logger=LOG)
            self._open(consumer)
            while not self._stop.is_set():
                self._serve_requests(consumer)
                if self._stop.is_set() or self._state in (BrowseState.FAILED, BrowseState.CLOSED):
                    break
                room = self._room()
                if self._state == BrowseState.DONE:
                    self._idle(consumer)  # stays open so a seek can read again
                    continue
                if self._paused or room == 0:
                    with self._cond:
                        self._cond.wait(POLL_S)
                    continue
                self._take_in(consumer.consume(num_messages=room, timeout=POLL_S))
        except BrowseFailed as exc:
            self._set(BrowseState.FAILED, str(exc))
        except KafkaException as exc:  # the cluster's answer: the sentence says it all
            LOG.info("browser %d failed: %s", self.browser_id, error_text(exc))
            self._set(BrowseState.FAILED, f"Reading {self.spec.topic} failed: {error_text(exc)}")
        except Exception as exc:  # any other failure ends this browser with a sentence, never the app
            LOG.warning("browser %d failed", self.browser_id, exc_info=True)
            self._set(BrowseState.FAILED, f"Reading {self.spec.topic} failed: {error_text(exc)}")
        finally:
            if consumer is not None:
                try:
                    consumer.close()  # nothing to commit: assign-only, auto-commit off
                except Exception as exc:
                    LOG.debug("closing browser %d: %s", self.browser_id, exc)
            if self._state not in _FINAL:
                self._set(BrowseState.CLOSED)

    def _idle(self, consumer: Consumer) -> None:
        if not self._idle_paused:
            consumer.pause([TopicPartition(self.spec.topic, p) for p in self._partitions])
            self._idle_paused = True
        with self._cond:
            if not self._requests and not self._stop.is_set():
                self._cond.wait(POLL_S * 5)

    def _room(self) -> int:
        if not self.spec.lossless:
            return BATCH
        return max(0, min(BATCH, self.spec.keep - (self._matched - self._taken)))

    def _set(self, state: BrowseState, error: str | None = None) -> None:
        self._state = state
        if error is not None:
            self._error = error
        self._publish()

    def _publish(self) -> None:
        with self._cond:
            self._view = self._build()
            self._cond.notify_all()

    def _build(self) -> BrowseView:
        return BrowseView(
            browser_id=self.browser_id, topic=self.spec.topic, partitions=self._partitions,
            start=self._start_text, filters=self._filter.text(), follow=self.spec.follow,
            state=self._state, paused=self._paused, scanned=self._scanned, matched=self._matched,
            dropped=self._matched - len(self._ring), records=tuple(self._ring),
            start_offsets=tuple(sorted(self._starts.items())),
            end_offsets=tuple(sorted(self._ends.items())),
            positions=tuple(sorted(self._positions.items())), limit=self.spec.limit,
            error=self._error, seq=next(self._seq))

    def _open(self, consumer: Consumer) -> None:
        topic = self.spec.topic
        md = consumer.list_topics(topic, timeout=META_TIMEOUT_S)
        info = md.topics.get(topic)
        if info is None or info.error is not None:
            if info is None or info.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise BrowseFailed(f"Topic {topic!r} does not exist.")
            raise BrowseFailed(f"Cannot read topic {topic!r}: {error_text(info.error)}.")
        available = sorted(info.partitions)
        missing = [p for p in self.spec.partitions if p not in available]
        if missing:
            raise BrowseFailed(f"Topic {topic!r} has partitions 0-{len(available) - 1}; there is no "
                               f"partition {missing[0]}.")
        self._partitions = tuple(sorted(set(self.spec.partitions))) or tuple(available)
        self._position(consumer)

    def _asking(self, call: Callable[[], T]) -> T:
        """``call()``, asked again while the cluster answers "not now" (a leader moving, as when
        a broker restarts under an open browser) for up to META_TIMEOUT_S; then its error."""
        deadline = time.monotonic() + META_TIMEOUT_S
        while True:
            try:
                return call()
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                passing = isinstance(err, KafkaError) and (err.retriable() or err.code() in _MOVING)
                if not passing or time.monotonic() >= deadline or self._stop.wait(0.2):
                    raise

    def _position(self, consumer: Consumer) -> None:
        """Start offsets from the watermarks (and offsets_for_times), then assign at them."""
        topic, parts = self.spec.topic, self._partitions
        marks: dict[int, tuple[int, int]] = {}
        for p in parts:
            where = TopicPartition(topic, p)
            mark = self._asking(functools.partial(consumer.get_watermark_offsets, where,
                                                  timeout=META_TIMEOUT_S, cached=False))
            if mark is None:
                raise BrowseFailed(f"The cluster did not say where partition {p} of {topic!r} starts "
                                   "and ends.")
            marks[p] = (int(mark[0]), int(mark[1]))
        at: dict[int, int] = {}
        if self._start.kind is StartKind.TIMESTAMP:
            times = self._asking(lambda: consumer.offsets_for_times(
                [TopicPartition(topic, p, self._start.value) for p in parts], timeout=META_TIMEOUT_S))
            at = {tp.partition: tp.offset for tp in times}
        self._starts = {p: self._start.first_offset(*marks[p], at.get(p)) for p in parts}
        self._ends = {p: marks[p][1] for p in parts}
        self._positions = dict(self._starts)
        self._caught_up = set()
        self._done = set() if self.spec.follow else {p for p in parts if self._starts[p] >= self._ends[p]}
        assignment = [TopicPartition(topic, p, self._starts[p]) for p in parts]
        consumer.assign(assignment)
        (consumer.pause if self._paused else consumer.resume)(assignment)
        self._idle_paused = False
        self._check_end()
        if self._state == BrowseState.OPENING:
            self._state = BrowseState.READING
        self._publish()

    def _serve_requests(self, consumer: Consumer) -> None:
        while True:
            with self._cond:
                if not self._requests:
                    return
                kind, arg = self._requests.popleft()
            if kind == "pause":
                self._pause(consumer, bool(arg))
            elif kind == "seek":
                self._seek(consumer, *arg)

    def _pause(self, consumer: Consumer, paused: bool) -> None:
        if paused == self._paused:
            return
        self._paused = paused
        assignment = [TopicPartition(self.spec.topic, p) for p in self._partitions]
        (consumer.pause if paused else consumer.resume)(assignment)
        self._idle_paused = paused
        self._publish()

    def _seek(self, consumer: Consumer, start: str | None, filters: RecordFilter | None) -> None:
        if start is not None:
            self._start, self._start_text = StartAt.parse(start), start
        if filters is not None:
            self._filter = filters
        with self._cond:
            self._ring.clear()
            self._matched = self._scanned = self._taken = 0
            self._error = None
            self._state = BrowseState.READING
        self._position(consumer)

    def _take_in(self, messages: list[Message]) -> None:
        if not messages:
            return
        follow, ends = self.spec.follow, self._ends
        for msg in messages:
            p, offset = msg.partition() or 0, msg.offset() or 0
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    self._caught_up.add(p)
                    self._positions[p] = max(self._positions.get(p, 0), offset)
                    if not follow:
                        self._done.add(p)
                    continue
                if err.fatal():
                    raise BrowseFailed(f"Reading {self.spec.topic} failed: {error_text(err)}")
                self._error = error_text(err)
                continue
            if p in self._done:
                continue  # without follow: past the end seen at the open
            if not follow and offset >= ends.get(p, 0):
                self._done.add(p)
                continue
            self._positions[p] = offset + 1
            self._caught_up.discard(p)
            self._scanned += 1
            if not follow and offset + 1 >= ends.get(p, 0):
                self._done.add(p)
            key, value, headers = msg.key(), msg.value(), _headers(msg)
            if not self._filter.matches(key, value, headers):
                continue
            record = self._record(msg, key, value, headers)
            with self._cond:
                self._ring.append(record)
                self._matched += 1
            if self.spec.limit is not None and self._matched >= self.spec.limit:
                self._state = BrowseState.DONE
                break
        self._check_end()
        self._publish()

    def _check_end(self) -> None:
        if self._state in _FINAL:
            return
        if not self.spec.follow and set(self._partitions) <= self._done:
            self._state = BrowseState.DONE
        elif self.spec.follow:
            self._state = (BrowseState.FOLLOWING if set(self._partitions) <= self._caught_up
                           else BrowseState.READING)

    def _record(self, msg: Message, key: bytes | None, value: bytes | None,
                headers: list[tuple[str, bytes | None]]) -> BrowseRecordView:
        ts_type, ts = msg.timestamp()
        decoded = decode_value(value)
        msg_id = msg_id_of(value, headers)
        parsed = parse_msg_id(msg_id) if msg_id else None
        kept = tuple((name[:BYTES_CAP], None if v is None else cap_bytes(v))
                     for name, v in headers[:MAX_HEADERS])
        return BrowseRecordView(
            n=self._matched, topic=self.spec.topic, partition=msg.partition() or 0,
            offset=msg.offset() or 0,
            timestamp_type=_TS_TYPES.get(ts_type, TimestampType.NOT_AVAILABLE),
            timestamp_ms=ts if ts_type in _TS_TYPES else None,
            key=None if key is None else cap_bytes(key), key_size=len(key or b""),
            value=None if value is None else cap_bytes(value), value_size=len(value or b""),
            headers=kept, headers_more=max(0, len(headers) - MAX_HEADERS),
            value_format=decoded.format, detail=decoded.detail, msg_id=msg_id,
            run=parsed.run if parsed else None, producer=parsed.producer if parsed else None,
            incarnation=parsed.incarnation if parsed else None, seq=parsed.seq if parsed else None)


def _headers(msg: Message) -> list[tuple[str, bytes | None]]:
    try:
        raw = msg.headers()
    except Exception:  # a header name that is not UTF-8: keep the record, drop its headers
        return [("(unreadable headers)", None)]
    pairs = list(raw.items()) if isinstance(raw, dict) else list(raw or ())
    return [(str(name), value.encode() if isinstance(value, str) else value) for name, value in pairs]
