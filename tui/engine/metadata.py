"""The engine's metadata door: one AdminClient, created, used and dropped by one thread.

Scenario role resolution ("the leader of t/0"), waits on high watermarks, topic checks, topic
creation and "which partitions did node 2 host when it was killed" all ask the cluster fresh through
this worker: acting on a watcher snapshot that is a second old would make faults land on the wrong
node. Callers block on a future (never the UI thread: the UI submits commands).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar

from tui.engine.snapshot import PartitionMeta
from tui.engine.topics import TopicSpec, create_topic
from tui.kafka import clients
from tui.kafka.committed import CommittedReader
from tui.kafka.committed import reader as committed_reader
from tui.kafka.errors import error_text

LOG = logging.getLogger("kafka_explorer.metadata")
T = TypeVar("T")


class MetadataWorker:
    """Owns the ``engine-metadata`` thread and its AdminClient; every call returns through a future."""

    def __init__(self, conf: Mapping[str, Any]) -> None:
        self._conf = {**conf, "socket.timeout.ms": 5000, "reconnect.backoff.max.ms": 1000}
        self._jobs: queue.Queue[tuple[Callable[[Any], Any], Future[Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="engine-metadata", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        admin = None
        while True:
            job = self._jobs.get()
            if job is None:
                break
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if admin is None:
                    admin = clients.admin(self._conf, logger=LOG)
                future.set_result(fn(admin))
            except Exception as exc:  # reported to the caller
                future.set_exception(exc)
        del admin  # released on this thread

    def call(self, fn: Callable[[Any], T], timeout: float) -> T:
        return self.submit(fn).result(timeout)

    @property
    def committed(self) -> CommittedReader:
        """Committed offsets of any group, read in a child process (see tui.kafka.committed)."""
        return committed_reader(self._conf)

    def submit(self, fn: Callable[[Any], T]) -> Future[T]:
        """Queue ``fn(admin)`` for the metadata thread without waiting (admin commands use it, so a
        reset or a delete never holds up the engine's command thread)."""
        self._ensure()
        future: Future[T] = Future()
        self._jobs.put((fn, future))
        return future

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None:
            self._jobs.put(None)
            thread.join(timeout)

    # ---- questions ---------------------------------------------------------------------------

    def partition(self, topic: str, partition: int, timeout: float = 6.0) -> PartitionMeta | None:
        """Leader, replicas and ISR now; None when the cluster does not answer or there is no such
        partition (callers retry until their own deadline)."""
        def ask(admin: Any) -> PartitionMeta | None:
            md = admin.list_topics(topic=topic, timeout=max(1.0, timeout - 2.0))
            t = md.topics.get(topic)
            if t is None or t.error is not None or partition not in t.partitions:
                return None
            p = t.partitions[partition]
            return PartitionMeta(int(p.leader), tuple(p.replicas), tuple(p.isrs))

        try:
            return self.call(ask, timeout)
        except Exception:  # no answer now
            return None

    def high_watermark(self, topic: str, partition: int, timeout: float = 6.0) -> int | None:
        """The partition's high watermark (what read_uncommitted consumers can read up to)."""
        def ask(admin: Any) -> int:
            from confluent_kafka import TopicPartition
            from confluent_kafka.admin._listoffsets import OffsetSpec

            spec: Any = OffsetSpec  # its factory methods are untyped
            tp = TopicPartition(topic, partition)
            result = admin.list_offsets({tp: spec.latest()}, request_timeout=max(1.0, timeout - 2.0))
            return int(result[tp].result(timeout=timeout - 1.0).offset)

        try:
            return self.call(ask, timeout)
        except Exception:  # no answer now; the caller's wait retries
            return None

    def partition_counts(self, topics: Iterable[str], timeout: float = 10.0) -> dict[str, int]:
        """Partitions per topic. ValueError (one sentence) when the cluster does not answer or a
        topic does not exist."""
        wanted = list(topics)

        def ask(admin: Any) -> Any:
            return admin.list_topics(timeout=max(1.0, timeout - 1.0))

        try:
            md = self.call(ask, timeout + 1.0)
        except Exception as exc:
            raise ValueError(f"Cannot reach the cluster at {self._conf.get('bootstrap.servers')} (no "
                             f"metadata within {timeout:g} s: {error_text(exc).rstrip('.')}).") from None
        out: dict[str, int] = {}
        for topic in wanted:
            info = md.topics.get(topic)
            if info is None or info.error is not None:
                raise ValueError(f"Topic {topic!r} does not exist.")
            out[topic] = len(info.partitions)
        return out

    def hosted_by(self, node: int, timeout: float = 4.0) -> frozenset[tuple[str, int]] | None:
        """Every (topic, partition) with a replica on ``node`` (internal topics included); None when
        the cluster does not answer."""
        def ask(admin: Any) -> frozenset[tuple[str, int]]:
            md = admin.list_topics(timeout=max(1.0, timeout - 1.0))
            return frozenset((name, pid) for name, t in md.topics.items() if t.error is None
                             for pid, p in t.partitions.items() if node in p.replicas)

        try:
            return self.call(ask, timeout + 1.0)
        except Exception:
            return None

    def create_topic(self, spec: TopicSpec, timeout: float, exists_ok: bool) -> bool:
        """Create the topic; True when created, False when it existed (``exists_ok``)."""
        return self.call(lambda admin: create_topic(admin, spec, timeout, exists_ok), timeout + 5.0)
