"""One refresh: batched admin calls whose parts succeed, fail or time out independently.

Calls are keyed (``offsets`` per leader broker, ``describe`` per coordinator, ``commits`` per group,
``groups``, ``probe`` per broker). A call still in flight when a refresh ends is *not* issued again:
its key stays pending until it ends, so a paused broker never piles up requests and never holds the
refresh beyond its deadline; the part it covers keeps its previous data, marked stale once the call
is later than its answer budget (which grows with the request's size).

Every call names the broker it goes to, and its end tells :class:`~health.BrokerHealth` whether that
broker answered. Coordinator calls (group descriptions and offsets) get a long request timeout: a
librdkafka coordinator request that times out while its coordinator is unreachable can crash the
process when the coordinator returns (librdkafka #4605), so they are never left to time out — the
watcher holds new ones back while the coordinator is silent and replaces the client instead.

Runs only on the watcher thread (the one that owns the AdminClient): nothing here is locked.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import (
    IsolationLevel,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource
from confluent_kafka.admin._listoffsets import OffsetSpec as _OffsetSpec
from confluent_kafka.admin._resource import ResourceType

from tui.engine.watcher.health import BrokerHealth, answer_budget
from tui.engine.watcher.raw import (
    TP,
    GroupDescription,
    GroupListing,
    MemberRaw,
    Metadata,
    Outcome,
    PartitionMeta,
    PartitionOffsets,
    broker_sent,
    classify,
    no_answer,
    state_name,
    tps_of,
    type_name,
)
from tui.kafka.committed import CHILD_ENDED, CommittedReader, child_ended
from tui.kafka.errors import kafka_error

__all__ = ["TP", "Fetcher", "GroupDescription", "GroupListing", "MemberRaw", "Metadata", "Outcome",
           "PartitionMeta", "PartitionOffsets", "classify", "list_offsets", "no_answer"]

OffsetSpec: Any = _OffsetSpec  # its factory methods are untyped
_cimpl: Any = importlib.import_module("confluent_kafka.cimpl")

OFFSETS_CHUNK = 250
"""Partitions per ``list_offsets`` call: librdkafka's cost per call grows faster than linearly
(3,000 partitions in one call: ~0.35 s; in 250-partition calls: ~0.1 s on the 1-node lab)."""
COORDINATOR_TIMEOUT = 3600.0
"""Request timeout of coordinator calls: longer than any outage (see the module docstring)."""
STUCK_AFTER = 20.0
"""Seconds a coordinator call may stay unanswered while other calls are answered before the client
counts as wedged (librdkafka can lose its coordinator after a broker restart, for minutes)."""
COORDINATOR_KINDS = frozenset({"describe", "commits"})
FENCED_AFTER = 10.0
"""Seconds a leader may answer our offsets requests with no offset, refusing partitions as from an
older leader epoch, before the client counts as holding stale leader epochs (after a broker restart
one kept them for minutes)."""
FENCED_ERRORS = frozenset({KafkaError.FENCED_LEADER_EPOCH, KafkaError.UNKNOWN_LEADER_EPOCH})


@dataclass(slots=True)
class _Call:
    key: tuple[Any, ...]
    futures: list[concurrent.futures.Future[Any]]
    issued_at: float
    on_done: Callable[[_Call], bool | None]
    """Applies the results; returns whether the broker answered (None: cannot tell)."""
    context: Any = None
    broker: int = -1
    """The broker the call goes to (-1: any or unknown)."""
    items: int = 0
    """Partitions or groups the call carries (for its answer budget)."""
    issued_mono: float = field(default_factory=time.monotonic)

    def done(self) -> bool:
        return all(f.done() for f in self.futures)


class Fetcher:
    """Owns the raw results of every key and the calls in flight."""

    def __init__(self, admin: AdminClient, request_timeout: float = 5.0,
                 committed: CommittedReader | None = None) -> None:
        self.admin = admin
        self.committed = committed
        """Reads committed offsets in a child process (librdkafka's AdminClient can crash the process
        on a moved coordinator); the admin client's stuck-replacement does not concern it."""
        self.request_timeout = request_timeout
        self.health = BrokerHealth()
        self.metadata: Metadata | None = None
        self.metadata_outcome = Outcome("stale", "not read yet")
        self.offsets: dict[TP, PartitionOffsets] = {}
        self.group_list: dict[str, GroupListing] | None = None
        self.fenced_since: dict[int, float] = {}
        """Leader -> since when its answers to our offsets requests held no offset and refused
        partitions for their leader epoch."""
        self.descriptions: dict[str, GroupDescription] = {}
        self.commits: dict[str, dict[TP, int | None]] = {}
        self.commits_at: dict[str, float] = {}
        self.outcomes: dict[tuple[Any, ...], Outcome] = {}
        self.pending: dict[tuple[Any, ...], _Call] = {}
        self.held: dict[tuple[Any, ...], str] = {}
        """Keys deliberately not asked in this refresh, with the reason (a silent coordinator)."""
        self.calls_issued = 0
        """Admin calls issued in the current refresh (list_topics and every chunk included)."""
        # what changed since the builder last looked (it clears these)
        self.changed_offsets: set[TP] = set()
        self.changed_groups: set[str] = set()
        self.commits_moved: set[str] = set()
        """Groups whose committed offsets changed between two reads (the watcher clears this)."""
        self.commits_version = 0
        """Bumped when the set of partitions some group committed on changes."""
        self.offsets_failed: set[TP] = set()
        """Partitions whose last offsets read failed or gave no valid offset (values kept, stale)."""
        self._issued_this_tick: set[tuple[Any, ...]] = set()
        self._tick_start = 0.0

    # ---- the tick --------------------------------------------------------------------------

    def begin_tick(self, now: float) -> None:
        self._tick_start = now
        self._issued_this_tick = set()
        self.held = {}
        self.calls_issued = 0

    def issued(self, key: tuple[Any, ...]) -> bool:
        return key in self._issued_this_tick

    def fresh(self, key: tuple[Any, ...]) -> bool:
        """The key's last call completed OK and was issued in this tick."""
        out = self.outcomes.get(key)
        return out is not None and out.state == "ok" and out.at >= self._tick_start

    def collect(self) -> int:
        """Apply every finished call; returns how many finished."""
        finished = [c for c in self.pending.values() if c.done()]
        now = time.time()
        for call in finished:
            del self.pending[call.key]
            answered = call.on_done(call)
            if call.broker >= 0 and answered is not None:
                if answered:
                    self.health.answered(call.broker, now)
                else:
                    self.health.no_answer(call.broker, call.issued_at, call.items)
        return len(finished)

    def wait(self, deadline: float) -> None:
        """Wait for any pending call until ``deadline`` (monotonic)."""
        futures = [f for c in self.pending.values() for f in c.futures if not f.done()]
        remaining = deadline - time.monotonic()
        if futures and remaining > 0:
            concurrent.futures.wait(futures, timeout=remaining,
                                    return_when=concurrent.futures.FIRST_COMPLETED)

    def _issue(self, key: tuple[Any, ...], make: Callable[[], list[concurrent.futures.Future[Any]]],
               on_done: Callable[[_Call], bool | None], context: Any = None, broker: int = -1,
               items: int = 0) -> bool:
        if key in self.pending or key in self._issued_this_tick:
            return False
        self._issued_this_tick.add(key)
        issued_at = time.time()
        try:
            futures = make()
            self.calls_issued += len(futures)
        except Exception as exc:  # a call rejected synchronously (bad argument, closed handle)
            state, message = classify(exc, "request")
            self.outcomes[key] = Outcome(state, message, issued_at)
            return False
        self.pending[key] = _Call(key, futures, issued_at, on_done, context, broker, items)
        self.health.asked(broker, issued_at, items)
        return True

    def _fail(self, call: _Call, exc: BaseException, what: str) -> bool:
        """Record a failed call; returns whether the broker answered (it sent the error)."""
        state, message = classify(exc, what)
        silent = no_answer(exc)
        self.outcomes[call.key] = Outcome(state, message, call.issued_at, silent)
        return broker_sent(exc)

    def hold(self, key: tuple[Any, ...], why: str) -> None:
        """Do not ask ``key`` in this refresh, and say why in its section."""
        self.held[key] = why
        self._issued_this_tick.add(key)

    def overdue(self, key: tuple[Any, ...]) -> float | None:
        """Seconds a still-pending call for ``key`` has been in flight, else None."""
        call = self.pending.get(key)
        return None if call is None else time.monotonic() - call.issued_mono

    def late(self, key: tuple[Any, ...]) -> float | None:
        """Seconds in flight of a pending call past its answer budget, else None."""
        call = self.pending.get(key)
        if call is None:
            return None
        age = time.monotonic() - call.issued_mono
        return age if age > answer_budget(call.items) else None

    def stuck(self) -> tuple[Any, ...] | None:
        """A coordinator call unanswered for :data:`STUCK_AFTER` s although a broker answered
        something sent after it (the client lost its coordinator: replace the client)."""
        now = time.monotonic()
        latest = max(self.health.last_answer.values(), default=float("-inf"))
        for key, call in self.pending.items():
            if key[0] in COORDINATOR_KINDS and now - call.issued_mono > STUCK_AFTER \
                    and latest > call.issued_at + 1.0:
                return key
        return None

    def coordinator_calls_to(self, broker: int) -> list[tuple[Any, ...]]:
        return [k for k, c in self.pending.items() if k[0] in COORDINATOR_KINDS and c.broker == broker]

    def fenced(self) -> int | None:
        """A leader that gave no offset, refusing partitions as from an older leader epoch, for
        :data:`FENCED_AFTER` s: the client's metadata holds epochs it does not correct (replace it)."""
        now = time.monotonic()
        return next((b for b, since in sorted(self.fenced_since.items())
                     if now - since >= FENCED_AFTER), None)

    def replace_admin(self, admin: AdminClient) -> list[tuple[Any, ...]]:
        """Use ``admin`` from now on; forget the calls in flight on the old client (their futures
        fail when it is collected). Returns the forgotten keys."""
        dropped = list(self.pending)
        self.pending.clear()
        self.fenced_since.clear()
        self.admin = admin
        return dropped

    # ---- metadata (blocking, bounded) ---------------------------------------------------------

    def read_metadata(self, timeout: float) -> None:
        issued_at = time.time()
        self.calls_issued += 1
        previous = self.metadata
        only = next(iter(previous.brokers)) if previous is not None and len(previous.brokers) == 1 \
            else None
        try:
            md = self.admin.list_topics(timeout=max(0.05, timeout))
        except Exception as exc:  # KafkaException(_TRANSPORT / _TIMED_OUT) when nobody answers
            state, message = classify(exc, "cluster metadata")
            self.metadata_outcome = Outcome(state, message, issued_at, no_answer(exc))
            if only is not None and no_answer(exc):  # the one broker there is did not answer
                self.health.no_answer(only, issued_at)
            return
        old_topics = previous.topics if previous is not None else {}
        topics: dict[str, dict[int, PartitionMeta]] = {}
        errors: dict[str, str] = {}
        changed: set[str] = set()
        for name, topic in md.topics.items():
            if topic.error is not None and not topic.partitions:
                errors[name] = topic.error.name()
                parts: dict[int, PartitionMeta] = {}
            else:
                parts = {pid: PartitionMeta(p.leader, tuple(p.replicas), tuple(p.isrs),
                                            p.error.name() if p.error is not None else None)
                         for pid, p in topic.partitions.items()}
            old = old_topics.get(name)
            if old is not None and old == parts:
                parts = old  # unchanged: the same object, so the builder can skip the topic
            else:
                changed.add(name)
            topics[name] = parts
        changed.update(n for n in old_topics if n not in topics)
        brokers = {b.id: (b.host or "", b.port) for b in md.brokers.values()}
        self.metadata = Metadata(md.cluster_id, brokers, topics, errors, issued_at,
                                 frozenset(changed) if previous is not None else None)
        if len(self.offsets) > sum(len(parts) for parts in topics.values()):
            # a topic was deleted (or shrank away): forget its offsets
            for key in [k for k in self.offsets if k[1] not in topics.get(k[0], {})]:
                del self.offsets[key]
                self.offsets_failed.discard(key)
        self.metadata_outcome = Outcome("ok", "", issued_at)
        if len(brokers) == 1:  # on a 1-node cluster the answer can only come from that node
            self.health.answered(next(iter(brokers)), time.time())

    # ---- offsets per leader ----------------------------------------------------------------

    def issue_offsets(self, leader: int, high: list[TP], stable: list[TP] | None = None,
                      start: list[TP] | None = None) -> None:
        """High watermarks of ``high``, last stable offsets of ``stable`` and log starts of
        ``start`` (``None``: the same partitions as ``high``), all led by ``leader``."""
        stable = high if stable is None else stable
        start = high if start is None else start
        specs: list[tuple[str, Any, IsolationLevel, list[TP]]] = [
            ("high_watermark", OffsetSpec.latest(), IsolationLevel.READ_UNCOMMITTED, high),
            ("last_stable", OffsetSpec.latest(), IsolationLevel.READ_COMMITTED, stable),
            ("log_start", OffsetSpec.earliest(), IsolationLevel.READ_UNCOMMITTED, start)]
        work = [(name, spec, iso, tps[i:i + OFFSETS_CHUNK]) for name, spec, iso, tps in specs
                for i in range(0, len(tps), OFFSETS_CHUNK)]
        if not work:
            return
        timeout = self.request_timeout

        def make() -> list[concurrent.futures.Future[Any]]:
            return [list_offsets(self.admin, chunk, spec, iso, timeout)
                    for _name, spec, iso, chunk in work]

        names = [name for name, _spec, _iso, _chunk in work]
        self._issue(("offsets", leader), make, self._offsets_done, names, broker=leader,
                    items=sum(len(chunk) for *_rest, chunk in work))

    def _offsets_done(self, call: _Call) -> bool | None:
        failures: list[BaseException] = []
        answered = False
        valid = 0
        offsets, changed, failed = self.offsets, self.changed_offsets, self.offsets_failed
        issued_at = call.issued_at
        for name, future in zip(call.context, call.futures, strict=True):
            exc = future.exception()
            if exc is not None:
                failures.append(exc)
                continue
            per_tp: dict[TopicPartition, Any] = future.result()
            for tp, value in per_tp.items():
                if isinstance(value, concurrent.futures.Future):  # from the public API fallback
                    value = value.exception() or value.result()
                if isinstance(value, KafkaError):
                    value = KafkaException(value)
                key = (tp.topic, tp.partition)
                if isinstance(value, BaseException):
                    failures.append(value)
                    answered = answered or broker_sent(value)
                    if key not in failed:
                        failed.add(key)
                        changed.add(key)
                    continue
                offset = value.offset
                if offset < 0:  # a sentinel (-1, -1001) instead of an offset: nothing was read
                    if key not in failed:
                        failed.add(key)
                        changed.add(key)
                    continue
                valid += 1
                entry = offsets.get(key)
                if entry is None:
                    entry = offsets[key] = PartitionOffsets()
                    changed.add(key)
                if name == "high_watermark":
                    if entry.at <= issued_at:
                        old = entry.high_watermark
                        if old != offset:
                            entry.moved_from = (entry.at, old) if old is not None else None
                            entry.high_watermark = offset
                            changed.add(key)
                        entry.at = issued_at
                        if key in failed:
                            failed.discard(key)
                            changed.add(key)
                elif name == "log_start":
                    if entry.log_start_at <= issued_at:
                        if entry.log_start != offset:
                            entry.log_start = offset
                            changed.add(key)
                        entry.log_start_at = issued_at
                elif entry.last_stable != offset:
                    entry.last_stable = offset
                    changed.add(key)
        what = f"offsets of partitions led by broker {call.key[1]}"
        if failures and not valid:
            if any((err := kafka_error(exc)) is not None and err.code() in FENCED_ERRORS
                   for exc in failures):
                self.fenced_since.setdefault(call.key[1], time.monotonic())
            return self._fail(call, failures[0], what) or answered
        self.fenced_since.pop(call.key[1], None)
        if not valid:  # only sentinels: librdkafka made them up, the broker said nothing
            self.outcomes[call.key] = Outcome("stale", f"{what}: no valid offset in the answer",
                                              issued_at, True)
            return answered or None
        if failures:  # some partitions answered: they are fresh, the others marked one by one
            _state, message = classify(failures[0], f"offsets of {len(failures)} partitions led "
                                                    f"by broker {call.key[1]}")
            self.outcomes[call.key] = Outcome("ok", message, issued_at)
        else:
            self.outcomes[call.key] = Outcome("ok", "", issued_at)
        return True

    # ---- broker probe ---------------------------------------------------------------------

    def issue_probe(self, broker: int) -> None:
        """Ask one broker directly (DescribeConfigs goes to that broker): does it answer?"""
        def make() -> list[concurrent.futures.Future[Any]]:
            resource = ConfigResource(ResourceType.BROKER, str(broker))
            return list(self.admin.describe_configs([resource],
                                                    request_timeout=self.request_timeout).values())

        self._issue(("probe", broker), make, self._probe_done, broker=broker)

    def _probe_done(self, call: _Call) -> bool | None:
        exc = call.futures[0].exception()
        if exc is None:
            self.outcomes[call.key] = Outcome("ok", "", call.issued_at)
            return True
        return self._fail(call, exc, f"broker {call.key[1]}")

    # ---- groups ---------------------------------------------------------------------------

    def issue_group_list(self) -> None:
        def make() -> list[concurrent.futures.Future[Any]]:
            return [self.admin.list_consumer_groups(request_timeout=self.request_timeout)]

        self._issue(("groups",), make, self._group_list_done)

    def _group_list_done(self, call: _Call) -> bool | None:
        exc = call.futures[0].exception()
        if exc is not None:
            self._fail(call, exc, "the group list")
            return None
        result = call.futures[0].result()
        listing = {g.group_id: GroupListing(g.group_id, type_name(g.type), state_name(g.state),
                                            bool(g.is_simple_consumer_group))
                   for g in result.valid or ()}
        errors = list(result.errors or ())
        if errors and not listing:
            self._fail(call, errors[0], "the group list")
            return None
        self.group_list = listing
        if errors:
            state, message = classify(errors[0], "groups of some brokers")
            self.outcomes[call.key] = Outcome(state, message, call.issued_at)
        else:
            self.outcomes[call.key] = Outcome("ok", "", call.issued_at)
        return None

    def empty(self, group_id: str) -> bool:
        """The group list (last read OK) and our description both say Empty."""
        listed = (self.group_list or {}).get(group_id)
        desc = self.descriptions.get(group_id)
        out = self.outcomes.get(("groups",))
        return (listed is not None and desc is not None and out is not None and out.state == "ok"
                and listed.state == "Empty" and desc.state == "Empty" and not desc.members)

    def still_empty(self, group_id: str, max_age: float) -> bool:
        """:meth:`empty`, and the description is younger than ``max_age`` seconds: describing it
        again would tell nothing new."""
        desc = self.descriptions.get(group_id)
        return desc is not None and self._tick_start - desc.at < max_age and self.empty(group_id)

    def reuse_description(self, group_id: str) -> None:
        """Count the kept description as read in this refresh (see :meth:`still_empty`)."""
        self._issued_this_tick.add(("describe-group", group_id))
        self.outcomes[("describe-group", group_id)] = Outcome("ok", "", self._tick_start)

    def issue_describe(self, coordinator: int, groups: list[str]) -> None:
        """Describe ``groups`` (all last seen on ``coordinator``; -1: unknown) in one call."""
        groups = [g for g in groups if not self.issued(("describe-group", g))]
        if not groups:
            return

        def make() -> list[concurrent.futures.Future[Any]]:
            result = self.admin.describe_consumer_groups(groups, request_timeout=COORDINATOR_TIMEOUT)
            return [result[g] for g in groups]

        if self._issue(("describe", coordinator), make, self._describe_done, groups,
                       broker=coordinator, items=len(groups)):
            self._issued_this_tick.update(("describe-group", g) for g in groups)

    def _describe_done(self, call: _Call) -> bool | None:
        first_error: BaseException | None = None
        answered = False
        for group_id, future in zip(call.context, call.futures, strict=True):
            exc = future.exception()
            key = ("describe-group", group_id)
            if exc is not None:
                first_error = first_error or exc
                answered = answered or broker_sent(exc)
                err = kafka_error(exc)
                if err is not None and err.code() == KafkaError.GROUP_ID_NOT_FOUND \
                        and self.descriptions.pop(group_id, None) is not None:
                    self.changed_groups.add(group_id)  # gone (a KIP-848 group deleted itself)
                state, message = classify(exc, f"group {group_id}")
                self.outcomes[key] = Outcome(state, message, call.issued_at)
                continue
            answered = True
            d = future.result()
            coordinator = getattr(d.coordinator, "id", None)
            members = tuple(
                MemberRaw(m.member_id, m.client_id or "", m.host or "", m.group_instance_id or None,
                          tps_of(m.assignment.topic_partitions if m.assignment else ()),
                          tps_of(m.target_assignment.topic_partitions)
                          if getattr(m, "target_assignment", None) else None)
                for m in d.members or ())
            desc = GroupDescription(
                group_id, type_name(d.type), state_name(d.state), d.partition_assignor or "",
                bool(d.is_simple_consumer_group), coordinator if coordinator is not None
                and coordinator >= 0 else None, tuple(sorted(members, key=lambda m: m.member_id)),
                call.issued_at)
            old = self.descriptions.get(group_id)
            if old is None or (old.type, old.state, old.assignor, old.simple, old.coordinator,
                               old.members) != (desc.type, desc.state, desc.assignor, desc.simple,
                                                desc.coordinator, desc.members):
                self.changed_groups.add(group_id)
            self.descriptions[group_id] = desc
            self.outcomes[key] = Outcome("ok", "", call.issued_at)
        if first_error is not None:
            self._fail(call, first_error, "group descriptions")
        else:
            self.outcomes[call.key] = Outcome("ok", "", call.issued_at)
        return answered or (first_error is not None and broker_sent(first_error))

    def coordinator_of(self, group_id: str) -> int:
        desc = self.descriptions.get(group_id)
        return desc.coordinator if desc is not None and desc.coordinator is not None else -1

    def issue_commits(self, group_id: str) -> None:
        reader = self.committed
        if reader is None:
            raise RuntimeError("this fetcher was built without a committed-offsets reader")

        def make() -> list[concurrent.futures.Future[Any]]:
            return [reader.submit(group_id, COORDINATOR_TIMEOUT)]

        self._issue(("commits", group_id), make, self._commits_done,
                    broker=self.coordinator_of(group_id), items=len(self.commits.get(group_id, ())))

    def _commits_done(self, call: _Call) -> bool | None:
        group_id = call.key[1]
        exc = call.futures[0].exception()
        if exc is not None and child_ended(exc):
            # the offset reader process died, not the broker: stale until asked again, and no
            # word about the coordinator's health either way
            self.outcomes[call.key] = Outcome("stale", f"offsets of group {group_id}: {CHILD_ENDED}",
                                              call.issued_at)
            return None
        if exc is not None:
            return self._fail(call, exc, f"offsets of group {group_id}")
        result = call.futures[0].result()
        commits: dict[TP, int | None] = {}
        for tp in result.topic_partitions or ():
            if tp.error is not None:
                continue
            commits[(tp.topic, tp.partition)] = tp.offset if tp.offset >= 0 else None
        if self.commits_at.get(group_id, 0.0) <= call.issued_at:
            old = self.commits.get(group_id)
            if old != commits:
                self.changed_groups.add(group_id)
                if old is not None:
                    self.commits_moved.add(group_id)
                if old is None or old.keys() != commits.keys():
                    self.commits_version += 1
            self.commits[group_id] = commits
            self.commits_at[group_id] = call.issued_at
        self.outcomes[call.key] = Outcome("ok", "", call.issued_at)
        return True

    def forget_group(self, group_id: str) -> None:
        self.commits_version += 1
        self.descriptions.pop(group_id, None)
        self.commits.pop(group_id, None)
        self.commits_at.pop(group_id, None)
        self.changed_groups.add(group_id)
        for key in (("describe-group", group_id), ("commits", group_id)):
            if key not in self.pending:
                self.outcomes.pop(key, None)


def list_offsets(admin: AdminClient, tps: list[TP], spec: Any, iso: IsolationLevel,
                 timeout: float) -> concurrent.futures.Future[Any]:
    """One ``list_offsets`` call as ONE future resolving to {TopicPartition: ListOffsetsResultInfo or
    KafkaError}.

    The public wrapper creates a Future (with its own Condition) per partition: ~9,000 per refresh
    at 3,000 partitions. This calls the C method under it directly and falls back to the public API
    if a confluent-kafka release changes that private signature.
    """
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    future.set_running_or_notify_cancel()
    impl = getattr(_cimpl, "_AdminClientImpl", None)
    if impl is not None:
        request = [TopicPartition(t, p, int(spec._value)) for t, p in tps]
        try:
            impl.list_offsets(admin, request, future, isolation_level_value=iso.value,
                              request_timeout=timeout)
            return future
        except (TypeError, AttributeError):
            pass
    public = admin.list_offsets({TopicPartition(t, p): spec for t, p in tps}, isolation_level=iso,
                                request_timeout=timeout)
    return _gather(public)


def _gather(per_tp: dict[TopicPartition, concurrent.futures.Future[Any]]) -> concurrent.futures.Future[Any]:
    """One future that completes when every per-partition future has (its result is the dict)."""
    out: concurrent.futures.Future[Any] = concurrent.futures.Future()
    remaining = [len(per_tp)]
    lock = threading.Lock()  # callbacks run on librdkafka's thread, or here if already done
    if not per_tp:
        out.set_result(per_tp)
        return out

    def one_done(_f: concurrent.futures.Future[Any]) -> None:
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            out.set_result(per_tp)

    for future in per_tp.values():
        future.add_done_callback(one_done)
    return out
