"""The final drain (delivery-semantics.md §2.4): an independent re-read of every partition.

A *fresh* assign-only client (a throwaway group id, no subscribe, no commits) reads each partition
from its low watermark to its high watermark twice -- read_uncommitted (every data record) and
read_committed (what a transactional reader may see) -- and records offset -> msg_id. Watermarks come
from ``get_watermark_offsets(cached=False)`` and the LSO from ``AdminClient.list_offsets`` with
``IsolationLevel.READ_COMMITTED``. It keeps reading until every partition is caught up or the deadline
passes (then the partition is marked incomplete). The authoritative committed offsets per group come
from ``list_consumer_group_offsets`` (in a child process: tui.kafka.committed).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from confluent_kafka import (
    IsolationLevel,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import OffsetSpec  # type: ignore[attr-defined]

from tui.engine.history import AuditLog, AuditPartition, DltOrigin, GroupCommit
from tui.engine.record_format import HEADER_TXN, msg_id_of
from tui.kafka import clients
from tui.kafka.committed import CommittedReader, GroupCommitted
from tui.kafka.committed import reader as committed_reader
from tui.kafka.errors import retry_while_busy

LOG = logging.getLogger("kafka_explorer.drain")
Partition = tuple[str, int]


def drain(conf: Mapping[str, Any], topics: Sequence[str], timeout: float = 30.0) -> AuditLog:
    """Re-read ``topics`` completely (both isolation levels). ``conf``: base client conf."""
    deadline = time.monotonic() + timeout
    admin = clients.admin(dict(conf), logger=LOG)
    reader = _reader(conf, "read_uncommitted")
    try:
        bounds = _bounds(reader, admin, topics, deadline)
        tags: dict[Partition, list[tuple[int, str]]] = {tp: [] for tp in bounds}
        origins: dict[Partition, dict[int, DltOrigin]] = {tp: {} for tp in bounds}
        ru = _read(reader, bounds, {tp: b[1] for tp, b in bounds.items()}, deadline, tags, origins)
    finally:
        reader.close()
    # read_committed stops at the LSO; records past it are not (yet) visible to such a reader
    rc_targets = {tp: (b[2] if b[2] is not None else b[1]) for tp, b in bounds.items()}
    reader = _reader(conf, "read_committed")
    try:
        rc = _read(reader, bounds, rc_targets, max(deadline, time.monotonic() + 5.0))
    finally:
        reader.close()
    parts = []
    for (topic, p), (low, high, lso) in sorted(bounds.items()):
        records, complete = ru[(topic, p)]
        visible, _rc_complete = rc[(topic, p)]
        parts.append(AuditPartition(topic, p, low, high, lso, tuple(sorted(records.items())),
                                    frozenset(visible), complete,
                                    txn_tags=tuple(sorted(set(tags[(topic, p)]))),
                                    dlt_origins=tuple(o for _off, o in sorted(origins[(topic, p)].items()))))
    return AuditLog(tuple(parts), time.time())


def _reader(conf: Mapping[str, Any], isolation: str) -> Any:
    return clients.consumer({**conf, "group.id": f"kx-audit-{uuid.uuid4().hex[:12]}",
                             "enable.auto.commit": False, "enable.auto.offset.store": False,
                             "enable.partition.eof": True, "isolation.level": isolation,
                             "auto.offset.reset": "earliest"}, logger=LOG)


def _bounds(reader: Any, admin: Any, topics: Sequence[str],
            deadline: float) -> dict[Partition, tuple[int, int, int | None]]:
    """(low, high, lso) per partition of every topic that exists."""
    out: dict[Partition, tuple[int, int, int | None]] = {}
    meta = reader.list_topics(timeout=max(1.0, deadline - time.monotonic()))
    tps: list[TopicPartition] = []
    for topic in topics:
        info = meta.topics.get(topic)
        if info is None or info.error is not None:
            continue
        tps.extend(TopicPartition(topic, p) for p in sorted(info.partitions))
    lso = _lsos(admin, tps, deadline)
    for tp in tps:
        low, high = _watermarks(reader, tp, deadline)
        out[(tp.topic, tp.partition)] = (low, high, lso.get((tp.topic, tp.partition)))
    return out


def _watermarks(reader: Any, tp: TopicPartition, deadline: float) -> tuple[int, int]:
    while True:
        try:
            low, high = reader.get_watermark_offsets(tp, timeout=5.0, cached=False)
            return int(low), int(high)
        except KafkaException:
            if time.monotonic() > deadline:
                return 0, 0  # the partition is unreachable; the read below marks it incomplete
            time.sleep(0.5)


def _lsos(admin: Any, tps: list[TopicPartition], deadline: float) -> dict[Partition, int]:
    if not tps:
        return {}
    out: dict[Partition, int] = {}
    try:
        latest = OffsetSpec.latest()  # type: ignore[no-untyped-call]
        futures = admin.list_offsets({tp: latest for tp in tps},
                                     isolation_level=IsolationLevel.READ_COMMITTED,
                                     request_timeout=max(1.0, deadline - time.monotonic()))
        for tp, fut in futures.items():
            try:
                out[(tp.topic, tp.partition)] = int(fut.result().offset)
            except KafkaException:
                continue
    except KafkaException:
        pass
    return out


def _read(reader: Any, bounds: Mapping[Partition, tuple[int, int, int | None]],
          targets: Mapping[Partition, int], deadline: float,
          tags: dict[Partition, list[tuple[int, str]]] | None = None,
          origins: dict[Partition, dict[int, DltOrigin]] | None = None,
          ) -> dict[Partition, tuple[dict[int, str | None], bool]]:
    """Read each partition from its low mark until its position reaches its target. With ``tags``,
    also collect each record's ``kx-txn`` header (the transaction a copier wrote it in); with
    ``origins``, each dead-letter record's origin headers."""
    seen: dict[Partition, dict[int, str | None]] = {tp: {} for tp in bounds}
    done = {tp for tp, (low, _h, _l) in bounds.items() if targets[tp] <= low}
    todo = [TopicPartition(t, p, bounds[(t, p)][0]) for (t, p) in bounds if (t, p) not in done]
    if todo:
        reader.assign(todo)
    while len(done) < len(bounds) and time.monotonic() < deadline:
        for msg in reader.consume(num_messages=1000, timeout=0.5):
            key = (msg.topic() or "", msg.partition() or 0)
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF and (msg.offset() or 0) >= targets[key]:
                    done.add(key)
                continue
            offset = msg.offset() or 0
            headers = msg.headers()
            pairs = ([(k, v if isinstance(v, bytes) else None) for k, v in headers]
                     if isinstance(headers, list) else None)
            seen[key][offset] = msg_id_of(msg.value(), pairs)
            if tags is not None and pairs:
                txn = next((v for k, v in pairs if k == HEADER_TXN and v is not None), None)
                if txn is not None:
                    tags[key].append((offset, txn.decode("utf-8", "replace")))
            if origins is not None and pairs:
                origin = DltOrigin.from_headers(offset, pairs)
                if origin is not None:
                    origins[key][offset] = origin
            if offset + 1 >= targets[key]:
                done.add(key)
    return {tp: (seen[tp], tp in done) for tp in bounds}


def _ask(reader: CommittedReader, group: str, parts: list[Partition], timeout: float) -> GroupCommitted:
    return reader.submit(group, timeout, parts).result(timeout + 5.0)


def final_commits(conf: Mapping[str, Any], groups: Mapping[str, Iterable[Partition]],
                  timeout: float = 15.0) -> tuple[GroupCommit, ...]:
    """The committed offset of every (group, partition), straight from the group coordinator
    (through the committed-offsets child process: see tui.kafka.committed)."""
    reader = committed_reader(dict(conf))
    out: list[GroupCommit] = []
    for group, partitions in sorted(groups.items()):
        parts = sorted(set(partitions))
        if not parts:
            continue
        found: dict[Partition, int | None] = {}
        try:
            # a fresh cluster may still be loading __consumer_offsets: ask again, bounded
            result = retry_while_busy(partial(_ask, reader, group, parts, timeout), timeout)
            for tp in result.topic_partitions:
                found[(tp.topic, tp.partition)] = tp.offset if tp.error is None and tp.offset >= 0 else None
        except (KafkaException, TimeoutError) as exc:
            LOG.warning("committed offsets of %s unavailable: %s", group, exc)
            continue
        out.extend(GroupCommit(group, t, p, found.get((t, p))) for t, p in parts)
    return tuple(out)
