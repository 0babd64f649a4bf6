"""Lag in time: the timestamp of the record at a group's committed offset (its oldest unconsumed one).

An assign-only consumer owned by the watcher thread reads, in bounded rounds, the first record at
each wanted (partition, offset): at most :data:`CHUNK` partitions per round, a round at most every
:data:`ROUND_EVERY` seconds, each partition asked again at most every :data:`ASK_EVERY` seconds, and
only for partitions a group lags on. The record at an offset never changes, so answers are kept (a
few offsets per partition). It never subscribes and never commits: its group id is a throwaway name
that is never joined, so no group appears and nobody's offsets move.

Each refresh has two steps so the fetches overlap its admin calls: :meth:`LagClock.begin` assigns
new partitions, :meth:`LagClock.finish` polls for a bounded time and unassigns those answered.
"""

from __future__ import annotations

import bisect
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka import Consumer, KafkaError, TopicPartition

from tui.engine.watcher.raw import TP

LOG = logging.getLogger("kafka_explorer.watcher")
CHUNK = 200
ROUND_EVERY = 2.0
ASK_EVERY = 3.0
KEEP_PER_PARTITION = 4
"""Offsets remembered per partition (several groups may read one partition at different offsets)."""
MAX_PARTITIONS = 50_000
GIVE_UP_AFTER = 10.0
"""Seconds an assigned partition may wait for its record before it is unassigned (asked again
later)."""


def clock_conf(conf: Mapping[str, Any]) -> dict[str, Any]:
    """Consumer settings: assign-only, tiny fetches (one record batch per partition is enough)."""
    return {**conf, "group.id": f"kx-watch-lag-{secrets.token_hex(4)}", "enable.auto.commit": False,
            "enable.auto.offset.store": False, "enable.partition.eof": True,
            "auto.offset.reset": "earliest", "isolation.level": "read_uncommitted",
            "fetch.wait.max.ms": 50, "max.partition.fetch.bytes": 4096, "fetch.max.bytes": 1 << 20,
            "queued.min.messages": 1, "queued.max.messages.kbytes": 1024}


class LagClock:
    """Record timestamps at (partition, offset); see the module docstring."""

    def __init__(self, conf: Mapping[str, Any], *, logger: logging.Logger | None = None) -> None:
        self._conf = clock_conf(conf)
        self._logger = logger or LOG
        self._consumer: Consumer | None = None
        self._known: dict[TP, list[tuple[int, float]]] = {}
        """Per partition: (offset, record timestamp) sorted by offset."""
        self._asked_at: dict[TP, float] = {}
        self._inflight: dict[TP, tuple[int, float]] = {}
        """Assigned partitions waiting for their record: (offset asked for, wall time asked)."""
        self._last_round = float("-inf")
        self.arrived: set[TP] = set()
        """Partitions with new timestamps since the builder last looked (it clears this)."""
        self.error: str | None = None
        self.lookups = 0
        """Records read so far (for tests and benchmarks)."""

    # ---- answers ---------------------------------------------------------------------------

    def timestamp(self, tp: TP, offset: int) -> float | None:
        """Timestamp (seconds) of the record at ``offset``, or of the nearest earlier offset read
        (an upper bound on the lag in time) — None when nothing at or before it was read."""
        known = self._known.get(tp)
        if not known:
            return None
        i = bisect.bisect_right(known, (offset, float("inf"))) - 1
        return known[i][1] if i >= 0 else None

    def _remember(self, tp: TP, offset: int, ts: float) -> None:
        known = self._known.setdefault(tp, [])
        bisect.insort(known, (offset, ts))
        del known[:-KEEP_PER_PARTITION]
        self.arrived.add(tp)

    def _exact(self, tp: TP, offset: int) -> bool:
        return any(o == offset for o, _ts in self._known.get(tp, ()))

    # ---- rounds ----------------------------------------------------------------------------

    def begin(self, wanted: Mapping[TP, int], now: float) -> None:
        """Assign the partitions in ``wanted`` (partition -> committed offset of a group that lags
        there) whose record was not read yet, up to :data:`CHUNK` in flight; at most one batch every
        :data:`ROUND_EVERY` seconds. They stay assigned until their record arrives (or
        :data:`GIVE_UP_AFTER` seconds pass), so a slow fetch is picked up by a later refresh."""
        if self.error is not None or now - self._last_round < ROUND_EVERY:
            return
        room = CHUNK - len(self._inflight)
        picks: dict[TP, int] = {}
        for tp, offset in wanted.items():
            if room <= len(picks):
                break
            if tp in self._inflight or self._exact(tp, offset) \
                    or now - self._asked_at.get(tp, float("-inf")) < ASK_EVERY:
                continue
            picks[tp] = offset
        if not picks:
            return
        consumer = self._open()
        if consumer is None:
            return
        self._last_round = now
        try:
            consumer.incremental_assign([TopicPartition(t, p, off) for (t, p), off in picks.items()])
        except Exception as exc:  # e.g. a topic deleted meanwhile: try again later
            self._logger.info("lag clock: assign failed: %s", exc)
            return
        for tp, offset in picks.items():
            self._inflight[tp] = (offset, now)
            self._asked_at[tp] = now

    def finish(self, budget: float) -> None:
        """Poll for up to ``budget`` seconds and keep the first record of each partition in flight
        (the oldest unconsumed one); unassign the partitions answered or given up on."""
        consumer = self._consumer
        if consumer is None or not self._inflight:
            return
        deadline = time.monotonic() + max(0.0, budget)
        inflight = self._inflight
        done: list[TP] = []
        try:
            while len(done) < len(inflight):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                for msg in consumer.consume(num_messages=500, timeout=min(remaining, 0.05)):
                    tp = (msg.topic() or "", msg.partition() or 0)
                    asked = inflight.get(tp)
                    if asked is None or tp in done:
                        continue
                    err = msg.error()
                    if err is not None:
                        if err.code() == KafkaError._PARTITION_EOF:
                            done.append(tp)  # nothing there (yet): no lag in time to show
                        continue
                    offset = msg.offset()
                    if offset is None or offset < asked[0]:
                        continue
                    _kind, ms = msg.timestamp()
                    if ms is not None and ms > 0:
                        # the first record at or after the offset asked for: the oldest unconsumed
                        self._remember(tp, asked[0], ms / 1000.0)
                        self.lookups += 1
                    done.append(tp)
        except Exception as exc:  # never let lag in time break the refresh
            self._logger.info("lag clock: poll failed: %s", exc)
        now = time.time()
        done += [tp for tp, (_o, at) in inflight.items() if now - at > GIVE_UP_AFTER
                 and tp not in done]
        if not done:
            return
        for tp in done:
            inflight.pop(tp, None)
        try:
            consumer.incremental_unassign([TopicPartition(t, p) for t, p in done])
        except Exception as exc:
            self._logger.info("lag clock: unassign failed: %s", exc)

    def prune(self, keep: set[TP]) -> None:
        for store in (self._known, self._asked_at):
            for tp in [k for k in store if k not in keep]:
                del store[tp]
        if len(self._known) > MAX_PARTITIONS:
            for tp in list(self._known)[:len(self._known) - MAX_PARTITIONS]:
                del self._known[tp]

    def _open(self) -> Consumer | None:
        if self._consumer is None:
            from tui.kafka import clients

            try:
                self._consumer = clients.consumer(self._conf, logger=self._logger,
                                                  error_cb=lambda err: self._logger.debug("lag clock: %s", err))
            except Exception as exc:  # a property librdkafka rejects: lag in time stays unknown
                self.error = f"cannot read record timestamps: {exc}"
                self._logger.info("lag clock: %s", self.error)
                return None
        return self._consumer

    def close(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                consumer.close()
            except Exception as exc:
                self._logger.info("lag clock: close failed: %s", exc)
