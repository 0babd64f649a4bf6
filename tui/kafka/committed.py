"""Committed offsets of any group, read in a child process so a librdkafka crash cannot end the app.

librdkafka 2.16 (and its master, confluentinc/librdkafka#5040) dereferences a NULL consumer-group
handle when an AdminClient's OffsetFetch answer carries NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE
(``rd_kafka_handle_OffsetFetch`` asks ``rk->rk_cgrp`` to re-query the coordinator, and an
AdminClient has none): a segmentation fault of the whole process whenever a group's coordinator moves
(a broker restarted, a fresh cluster) while someone lists its offsets. The watcher does that for every
group, all the time. So ``list_consumer_group_offsets`` runs only here: in one child process per
client configuration (``committed_child``), which may die and is started again; the calls it had in
flight fail with COORDINATOR_NOT_AVAILABLE -- "ask again shortly", which is what happened.

:meth:`CommittedReader.submit` returns a ``concurrent.futures.Future`` whose result looks like
confluent-kafka's ``ConsumerGroupTopicPartitions`` (``topic_partitions`` with ``topic``,
``partition``, ``offset``, ``error``), so callers read it as they read the AdminClient's. Any thread.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from confluent_kafka import KafkaError, KafkaException

LOG = logging.getLogger("kafka_explorer.committed")
CHILD_ENDED = "the offset reader process ended (librdkafka crashes when a group coordinator moves)"


def child_ended(exc: BaseException) -> bool:
    """Whether a failed call failed because the child died (not because of anything a broker said)."""
    err = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    return isinstance(err, KafkaError) and err.str() == CHILD_ENDED


@dataclass(frozen=True)
class CommittedPartition:
    topic: str
    partition: int
    offset: int
    error: KafkaError | None = None


@dataclass(frozen=True)
class GroupCommitted:
    """The answer for one group (the shape of confluent-kafka's ConsumerGroupTopicPartitions)."""

    group_id: str
    topic_partitions: tuple[CommittedPartition, ...]


def _conf_line(conf: Mapping[str, Any]) -> str:
    # callbacks and loggers stay in this process; the child sets its own
    plain = {k: v for k, v in conf.items() if isinstance(v, str | int | float | bool)}
    return json.dumps(plain, sort_keys=True)


class _Child:
    """One child process and the futures it has not answered yet."""

    def __init__(self, conf_line: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui.kafka.committed_child"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.pending: dict[int, tuple[str, concurrent.futures.Future[GroupCommitted]]] = {}
        self.lock = threading.Lock()
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.stdin: IO[str] = self.proc.stdin
        self.stdin.write(conf_line + "\n")
        self.stdin.flush()
        self.alive = True
        self.replaced = False
        """Killed on purpose (:meth:`kill`): its end is no crash."""
        self.reader = threading.Thread(target=self._read, args=(self.proc.stdout,),
                                       name="committed-reader", daemon=True)
        self.reader.start()

    def send(self, request_id: int, group: str, line: str,
             future: concurrent.futures.Future[GroupCommitted]) -> bool:
        with self.lock:
            if not self.alive:
                return False
            self.pending[request_id] = (group, future)
            try:
                self.stdin.write(line + "\n")
                self.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.pending.pop(request_id, None)
                return False
        return True

    def _read(self, out: IO[str]) -> None:
        try:
            for line in out:
                try:
                    answer = json.loads(line)
                except ValueError:
                    continue
                with self.lock:
                    entry = self.pending.pop(int(answer.get("id", -1)), None)
                if entry is not None:
                    _resolve(entry[0], entry[1], answer)
        except (OSError, ValueError):
            pass
        finally:
            self._ended()

    def _ended(self) -> None:
        with self.lock:
            self.alive = False
            orphans = list(self.pending.values())
            self.pending.clear()
        try:
            code: int | None = self.proc.wait(timeout=2)  # its stdout ended: it has ended or is ending
        except subprocess.TimeoutExpired:
            code = None
        if self.replaced:  # the watcher replaced a client it found wedged: logged there
            LOG.info("the offset reader process was replaced; %d call(s) in flight fail and are "
                     "asked again", len(orphans))
        elif orphans or code != 0:
            how = (f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
                   if code is not None else "still ending")
            LOG.warning("%s (%s); %d call(s) in flight fail and are asked again",
                        CHILD_ENDED, how, len(orphans))
        for _group, future in orphans:
            _fail(future, KafkaError(KafkaError.COORDINATOR_NOT_AVAILABLE, CHILD_ENDED))

    def kill(self) -> None:
        """End it now: its reader thread sees the pipe close and fails the calls in flight."""
        self.replaced = True
        try:
            self.proc.kill()
        except OSError:
            pass

    def close(self) -> None:
        with self.lock:
            self.alive = False
        try:
            self.stdin.close()  # the child ends when its stdin does
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def _fail(future: concurrent.futures.Future[GroupCommitted], err: KafkaError) -> None:
    if not future.done():
        future.set_exception(KafkaException(err))


def _resolve(group: str, future: concurrent.futures.Future[GroupCommitted], answer: dict[str, Any]) -> None:
    error = answer.get("error")
    if error is not None:
        _fail(future, KafkaError(int(error[0]), str(error[1])))
        return
    rows = tuple(CommittedPartition(str(t), int(p), int(o),
                                    None if code is None else KafkaError(int(code), str(text)))
                 for t, p, o, code, text in answer.get("partitions") or ())
    if not future.done():
        future.set_result(GroupCommitted(group, rows))


class CommittedReader:
    """Reads committed offsets through a child process; one per client configuration."""

    def __init__(self, conf: Mapping[str, Any]) -> None:
        self._conf_line = _conf_line(conf)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self.restarts = 0
        """Children started after the first (each one after a crash or a closed pipe)."""

    def submit(self, group: str, timeout: float, partitions: Iterable[tuple[str, int]] | None = None,
               ) -> concurrent.futures.Future[GroupCommitted]:
        """The committed offsets of ``group`` (all its partitions, or only ``partitions``)."""
        future: concurrent.futures.Future[GroupCommitted] = concurrent.futures.Future()
        request_id = next(self._ids)
        line = json.dumps({"id": request_id, "group": group, "timeout": timeout,
                           "partitions": None if partitions is None else [list(tp) for tp in partitions]})
        for _attempt in range(2):  # a child found dead is replaced once per call
            child = self._live_child()
            if child is None:
                break
            if child.send(request_id, group, line, future):
                return future
        _fail(future, KafkaError(KafkaError.COORDINATOR_NOT_AVAILABLE, CHILD_ENDED))
        return future

    def _live_child(self) -> _Child | None:
        with self._lock:
            if self._child is not None and self._child.alive:
                return self._child
            if self._child is not None:
                self.restarts += 1
            try:
                self._child = _Child(self._conf_line)
            except OSError as exc:
                LOG.warning("cannot start the offset reader process: %s", exc)
                self._child = None
            return self._child

    def restart(self) -> None:
        """Replace the child (as the watcher replaces a wedged admin client: librdkafka can lose a
        group coordinator after a broker restart and never answer): its calls in flight fail as
        :data:`CHILD_ENDED`, the next call starts a new one."""
        with self._lock:
            child, self._child = self._child, None
            if child is not None:
                self.restarts += 1
        if child is not None:
            child.kill()

    @property
    def pid(self) -> int | None:
        """The running child's PID (None before the first call or after it ended)."""
        child = self._child
        return child.proc.pid if child is not None and child.alive else None

    def close(self) -> None:
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            child.close()


_readers: dict[str, CommittedReader] = {}
_readers_lock = threading.Lock()


def reader(conf: Mapping[str, Any]) -> CommittedReader:
    """The process-wide reader for ``conf`` (engines on the same cluster share its child)."""
    key = _conf_line(conf)
    with _readers_lock:
        found = _readers.get(key)
        if found is None:
            found = _readers[key] = CommittedReader(conf)
        return found


def committed(conf: Mapping[str, Any], group: str, timeout: float = 15.0,
              partitions: Iterable[tuple[str, int]] | None = None) -> GroupCommitted:
    """Blocking form of :meth:`CommittedReader.submit` (raises KafkaException or TimeoutError)."""
    return reader(conf).submit(group, timeout, partitions).result(timeout + 5.0)
