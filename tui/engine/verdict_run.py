"""Gathering the evidence and asking the checker: ledger + consumption log + final drain + commits.

``compute_verdict`` blocks (it re-reads every audited partition), so the engine runs it off the UI
thread. It never raises on a Kafka problem: an unreadable partition is marked incomplete in the audit
and the checker then reports 'unseen' rather than 'lost'.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tui.engine.consumer.drain import drain, final_commits
from tui.engine.history import (
    AuditLog,
    ConsumerEvent,
    History,
    Outcome,
    ProducedRecord,
    ProducerSettings,
)
from tui.engine.record_format import parse_msg_id

if TYPE_CHECKING:
    from tui.engine.checker.verdict import Verdict
    from tui.engine.consumer.members import GroupMembers
    from tui.engine.context import EngineContext


def audited_topics(produced: Iterable[ProducedRecord], consumers: GroupMembers | None,
                   extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Every topic that was produced to, consumed from, or copied into (output topics)."""
    topics = set(extra)
    topics.update(r.topic for r in produced)
    if consumers is not None:
        for spec in consumers.specs().values():
            topics.update(spec.topics)
            if spec.output_topic:
                topics.add(spec.output_topic)
    return tuple(sorted(t for t in topics if t))


def gather_history(ctx: EngineContext, producers: Any, consumers: GroupMembers | None,
                   topics: Iterable[str] = (), timeout: float = 60.0,
                   ledger_from_audit: bool = False) -> History:
    """Build the checker's History. ``producers``: the producers (anything with ``history()``),
    or None. With ``ledger_from_audit`` (records we did not produce in this run), every record in the
    audit that carries our msg_id format becomes a ledger row -- see :func:`ledger_from_audit`."""
    deadline = time.monotonic() + timeout
    produced: tuple[ProducedRecord, ...] = ()
    settings: tuple[ProducerSettings, ...] = ()
    if producers is not None and hasattr(producers, "history"):
        produced, settings = producers.history()
    consumption: tuple[ConsumerEvent, ...] = consumers.history() if consumers is not None else ()
    all_topics = audited_topics(produced, consumers, topics)
    conf = ctx.connection.client_conf()
    audit = drain(conf, all_topics, timeout=max(5.0, (deadline - time.monotonic()) * 0.8))
    if ledger_from_audit and not produced:
        produced = ledger_from_audit_log(audit, consumed_topics(consumers))
    groups: dict[str, set[tuple[str, int]]] = {}
    isolation: dict[str, str] = {}
    resets: dict[str, str] = {}
    if consumers is not None:
        for group, spec in consumers.groups().items():
            isolation[group] = spec.isolation_level
            resets[group] = spec.auto_offset_reset
        for spec in consumers.specs().values():
            wanted = set(spec.topics)
            groups.setdefault(spec.group, set()).update(
                (p.topic, p.partition) for p in audit.partitions if p.topic in wanted)
        for ev in consumption:
            if ev.topic and ev.partition is not None:
                groups.setdefault(ev.group, set()).add((ev.topic, ev.partition))
    commits = final_commits(conf, groups, timeout=max(3.0, deadline - time.monotonic()))
    if consumers is not None:
        # A member commits only after its PROCESSED lines left its pipe, but our reader may not have
        # logged them yet: re-take the log after the commits, once it stopped growing, or records
        # processed just before that commit would read as skipped.
        _wait_log_quiet(consumers, quiet=0.5, timeout=min(5.0, max(0.5, deadline - time.monotonic())))
        consumption = consumers.history()
    started = dict(consumers.log.first_assign) if consumers is not None else {}
    faults: tuple[str, ...] = ()
    if consumers is not None and consumers.log.dropped:
        faults = (f"the consumption log reached its cap: {consumers.log.dropped} events were not "
                  f"recorded, so consumer-side findings are incomplete",)
    min_insync, unclean = topic_guarantees(conf, all_topics, timeout=min(10.0, max(
        2.0, deadline - time.monotonic())))
    return History(produced=produced, producers=settings, consumption=consumption, audit=audit,
                   final_commits=commits, isolation=isolation, group_started_at=started,
                   reset_policy=resets, faults=faults, unclean_election=unclean,
                   min_insync=min_insync)


def topic_guarantees(conf: dict[str, Any], topics: Iterable[str],
                     timeout: float) -> tuple[dict[str, int], bool]:
    """Each topic's effective ``min.insync.replicas``, and whether any allows unclean election:
    the checker needs both to tell an expected loss from a violation. Unknown on any error."""
    from confluent_kafka.admin._config import ConfigResource  # the public module lacks re-exports for mypy
    from confluent_kafka.admin._resource import ResourceType

    from tui.kafka import clients

    names = [t for t in topics if t]
    if not names:
        return {}, False
    admin = clients.admin({k: v for k, v in conf.items() if k not in ("group.id",)})
    min_insync: dict[str, int] = {}
    unclean = False
    try:
        futures = admin.describe_configs([ConfigResource(ResourceType.TOPIC, t) for t in names],
                                         request_timeout=timeout)
        for resource, future in futures.items():
            try:
                entries = future.result(timeout=timeout + 1)
            except Exception:  # one unreadable topic keeps the others
                continue
            entry = entries.get("min.insync.replicas")
            if entry is not None and entry.value is not None and entry.value.isdigit():
                min_insync[resource.name] = int(entry.value)
            flag = entries.get("unclean.leader.election.enable")
            if flag is not None and (flag.value or "").lower() == "true":
                unclean = True
    except Exception:  # the verdict goes on without them (losses then read as violations)
        pass
    return min_insync, unclean


def _wait_log_quiet(consumers: GroupMembers, quiet: float, timeout: float) -> None:
    """Wait (bounded) until the consumption log has not grown for ``quiet`` seconds."""
    end = time.monotonic() + timeout
    size, since = len(consumers.log), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.05)
        now = len(consumers.log)
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def consumed_topics(consumers: GroupMembers | None) -> set[str]:
    if consumers is None:
        return set()
    return {t for spec in consumers.specs().values() for t in spec.topics}


def ledger_from_audit_log(audit: AuditLog, topics: set[str]) -> tuple[ProducedRecord, ...]:
    """A stand-in ledger when this run did not produce the records itself.

    Every record of ``topics`` found by the drain whose msg_id has our format becomes one row with
    outcome OK at the *first* offset it was found at, and its producer/incarnation/seq parsed from the
    msg_id. So these records can never be 'lost' or 'unseen' (they were found), but every consumer-side
    anomaly (skipped, redelivered, poll skips, commit anomalies) and log duplicates / reorders by
    sequence number are still judged. Foreign records (no msg_id) are not in the ledger.
    """
    rows: dict[str, ProducedRecord] = {}
    for part in audit.partitions:
        if part.topic not in topics:
            continue
        for offset, msg_id in part.records:
            if msg_id is None or msg_id in rows:
                continue
            parsed = parse_msg_id(msg_id)
            if parsed is None:
                continue
            rows[msg_id] = ProducedRecord(
                msg_id=msg_id, producer=parsed.producer, incarnation=parsed.incarnation,
                seq=parsed.seq, topic=part.topic, partition=part.partition, key=None, t_send=0.0,
                outcome=Outcome.OK, offset=offset)
    return tuple(sorted(rows.values(), key=lambda r: (r.producer, r.incarnation, r.seq)))


def compute_verdict(ctx: EngineContext, producers: Any, consumers: GroupMembers | None,
                    topics: Iterable[str] = (), timeout: float = 60.0,
                    ledger_from_audit: bool = False) -> Verdict:
    """Gather the History (ledger, consumption log, final drain, committed offsets) and check it."""
    from tui.engine.checker import check

    history = gather_history(ctx, producers, consumers, topics, timeout, ledger_from_audit)
    return check(history)
