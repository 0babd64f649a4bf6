"""One refresh: batched admin calls whose parts succeed, fail or time out independently.

Calls are keyed (``offsets`` per leader broker, ``describe`` per coordinator, ``commits`` per group,
``groups``, ``probe`` per broker). A call still in flight when a refresh ends is *not* issued again:
its key stays pending until its own request timeout, so a paused broker never piles up requests and
never holds the refresh beyond its deadline; the part it covers keeps its previous data, marked stale.

Runs only on the watcher thread (the one that owns the AdminClient): nothing here is locked.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    IsolationLevel,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource
from confluent_kafka.admin._listoffsets import OffsetSpec as _OffsetSpec
from confluent_kafka.admin._resource import ResourceType

OffsetSpec: Any = _OffsetSpec  # its factory methods are untyped
_cimpl: Any = importlib.import_module("confluent_kafka.cimpl")

OFFSETS_CHUNK = 250
"""Partitions per ``list_offsets`` call: librdkafka's cost per call grows faster than linearly
(3,000 partitions in one call: ~0.35 s; in 250-partition calls: ~0.1 s on the 1-node lab)."""

TP = tuple[str, int]

_FORBIDDEN = {
    KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED,
    KafkaError.CLUSTER_AUTHORIZATION_FAILED, KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
}
_UNSUPPORTED = {KafkaError.UNSUPPORTED_VERSION, KafkaError._UNSUPPORTED_FEATURE,
                KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT}
_TIMEOUTS = {KafkaError._TIMED_OUT, KafkaError.REQUEST_TIMED_OUT, KafkaError._TIMED_OUT_QUEUE}
_NO_ANSWER = _TIMEOUTS | {KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN,
                          KafkaError.NETWORK_EXCEPTION, KafkaError._DESTROY}

STATE_NAMES = {
    "PREPARING_REBALANCING": "PreparingRebalance", "COMPLETING_REBALANCING": "CompletingRebalance",
    "STABLE": "Stable", "DEAD": "Dead", "EMPTY": "Empty", "UNKNOWN": "Unknown",
    "ASSIGNING": "Assigning", "RECONCILING": "Reconciling",
}


def kafka_error(exc: BaseException) -> KafkaError | None:
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    if isinstance(exc, KafkaError):
        return exc
    return None


def no_answer(exc: BaseException | KafkaError) -> bool:
    """Whether a failure means the other side did not answer at all."""
    err = exc if isinstance(exc, KafkaError) else kafka_error(exc)
    if err is None:
        return isinstance(exc, concurrent.futures.TimeoutError | TimeoutError)
    return err.code() in _NO_ANSWER


def classify(exc: BaseException | KafkaError, what: str) -> tuple[str, str]:
    """(section state, one sentence) for a failed read of ``what``."""
    err = exc if isinstance(exc, KafkaError) else kafka_error(exc)
    if err is None:
        if isinstance(exc, concurrent.futures.TimeoutError | TimeoutError):
            return "stale", f"{what} timed out"
        return "stale", f"{what} failed: {exc}"
    code = err.code()
    if code in _FORBIDDEN:
        return "forbidden", f"{what} is not allowed for this principal ({err.name()})"
    if code in _UNSUPPORTED:
        return "unsupported", f"{what} is not supported by this cluster ({err.name()})"
    if code in _TIMEOUTS:
        return "stale", f"{what} timed out"
    return "stale", f"{what} failed: {err.str() or err.name()}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the last completed call for one key ended."""

    state: str
    message: str = ""
    at: float = 0.0
    """Wall time the call was issued (so results can be ordered)."""
    unreachable: bool = False
    """The failure says the broker did not answer (timeout, connection refused)."""


@dataclass(slots=True)
class PartitionMeta:
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    error: str | None


@dataclass(slots=True)
class Metadata:
    cluster_id: str | None
    brokers: dict[int, tuple[str, int]]
    topics: dict[str, dict[int, PartitionMeta]]
    topic_errors: dict[str, str]
    at: float


@dataclass(slots=True)
class PartitionOffsets:
    log_start: int | None = None
    high_watermark: int | None = None
    last_stable: int | None = None
    at: float = 0.0
    """Wall time of the call that read these values."""


@dataclass(slots=True)
class GroupListing:
    group_id: str
    type: str
    state: str
    simple: bool


@dataclass(slots=True)
class MemberRaw:
    member_id: str
    client_id: str
    host: str
    instance_id: str | None
    assignment: tuple[TP, ...]
    target: tuple[TP, ...] | None


@dataclass(slots=True)
class GroupDescription:
    group_id: str
    type: str
    state: str
    assignor: str
    simple: bool
    coordinator: int | None
    members: tuple[MemberRaw, ...]
    at: float


@dataclass(slots=True)
class _Call:
    key: tuple[Any, ...]
    futures: list[concurrent.futures.Future[Any]]
    issued_at: float
    on_done: Callable[[_Call], None]
    context: Any = None
    issued_mono: float = field(default_factory=time.monotonic)

    def done(self) -> bool:
        return all(f.done() for f in self.futures)


def _state_name(state: Any) -> str:
    name = getattr(state, "name", None) or str(state or "UNKNOWN")
    return STATE_NAMES.get(name.upper(), name.title().replace("_", ""))


def _type_name(kind: Any) -> str:
    name = (getattr(kind, "name", None) or str(kind or "UNKNOWN")).lower()
    return name if name in ("classic", "consumer") else "unknown"


def _tps(items: Iterable[Any] | None) -> tuple[TP, ...]:
    return tuple(sorted((tp.topic, tp.partition) for tp in items or ()))


class Fetcher:
    """Owns the raw results of every key and the calls in flight."""

    def __init__(self, admin: AdminClient, request_timeout: float = 5.0) -> None:
        self.admin = admin
        self.request_timeout = request_timeout
        self.metadata: Metadata | None = None
        self.metadata_outcome = Outcome("stale", "not read yet")
        self.offsets: dict[TP, PartitionOffsets] = {}
        self.group_list: dict[str, GroupListing] | None = None
        self.descriptions: dict[str, GroupDescription] = {}
        self.commits: dict[str, dict[TP, int | None]] = {}
        self.commits_at: dict[str, float] = {}
        self.outcomes: dict[tuple[Any, ...], Outcome] = {}
        self.pending: dict[tuple[Any, ...], _Call] = {}
        self.calls_issued = 0
        """Admin calls issued in the current refresh (list_topics and every chunk included)."""
        self._issued_this_tick: set[tuple[Any, ...]] = set()
        self._tick_start = 0.0

    # ---- the tick --------------------------------------------------------------------------

    def begin_tick(self, now: float) -> None:
        self._tick_start = now
        self._issued_this_tick = set()
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
        for call in finished:
            del self.pending[call.key]
            call.on_done(call)
        return len(finished)

    def wait(self, deadline: float) -> None:
        """Wait for any pending call until ``deadline`` (monotonic)."""
        futures = [f for c in self.pending.values() for f in c.futures if not f.done()]
        remaining = deadline - time.monotonic()
        if futures and remaining > 0:
            concurrent.futures.wait(futures, timeout=remaining,
                                    return_when=concurrent.futures.FIRST_COMPLETED)

    def _issue(self, key: tuple[Any, ...], make: Callable[[], list[concurrent.futures.Future[Any]]],
               on_done: Callable[[_Call], None], context: Any = None) -> bool:
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
        self.pending[key] = _Call(key, futures, issued_at, on_done, context)
        return True

    def _fail(self, call: _Call, exc: BaseException, what: str) -> None:
        state, message = classify(exc, what)
        self.outcomes[call.key] = Outcome(state, message, call.issued_at, no_answer(exc))

    def overdue(self, key: tuple[Any, ...]) -> float | None:
        """Seconds a still-pending call for ``key`` has been in flight, else None."""
        call = self.pending.get(key)
        return None if call is None else time.monotonic() - call.issued_mono

    # ---- metadata (blocking, bounded) ---------------------------------------------------------

    def read_metadata(self, timeout: float) -> None:
        issued_at = time.time()
        self.calls_issued += 1
        try:
            md = self.admin.list_topics(timeout=max(0.05, timeout))
        except Exception as exc:  # KafkaException(_TRANSPORT / _TIMED_OUT) when nobody answers
            state, message = classify(exc, "cluster metadata")
            self.metadata_outcome = Outcome(state, message, issued_at, no_answer(exc))
            return
        topics: dict[str, dict[int, PartitionMeta]] = {}
        errors: dict[str, str] = {}
        for name, topic in md.topics.items():
            if topic.error is not None and not topic.partitions:
                errors[name] = topic.error.name()
                topics[name] = {}
                continue
            topics[name] = {
                pid: PartitionMeta(p.leader, tuple(p.replicas), tuple(p.isrs),
                                   p.error.name() if p.error is not None else None)
                for pid, p in topic.partitions.items()}
        self.metadata = Metadata(md.cluster_id, {b.id: (b.host or "", b.port)
                                                 for b in md.brokers.values()},
                                 topics, errors, issued_at)
        if len(self.offsets) > sum(len(parts) for parts in topics.values()):
            # a topic was deleted (or shrank away): forget its offsets
            for key in [k for k in self.offsets if k[1] not in topics.get(k[0], {})]:
                del self.offsets[key]
        self.metadata_outcome = Outcome("ok", "", issued_at)

    # ---- offsets per leader ----------------------------------------------------------------

    def issue_offsets(self, leader: int, tps: list[TP], log_start: bool = True) -> None:
        """High watermark, last stable offset (and log start, if asked) of ``tps``, all led by
        ``leader``."""
        if not tps:
            return
        specs: tuple[tuple[str, Any, IsolationLevel], ...] = (
            ("high_watermark", OffsetSpec.latest(), IsolationLevel.READ_UNCOMMITTED),
            ("last_stable", OffsetSpec.latest(), IsolationLevel.READ_COMMITTED))
        if log_start or any((o := self.offsets.get(tp)) is None or o.log_start is None for tp in tps):
            specs += (("log_start", OffsetSpec.earliest(), IsolationLevel.READ_UNCOMMITTED),)
        timeout = self.request_timeout
        chunks = [tps[i:i + OFFSETS_CHUNK] for i in range(0, len(tps), OFFSETS_CHUNK)]

        def make() -> list[concurrent.futures.Future[Any]]:
            return [list_offsets(self.admin, chunk, spec, iso, timeout)
                    for _name, spec, iso in specs for chunk in chunks]

        names = [name for name, _spec, _iso in specs for _chunk in chunks]
        self._issue(("offsets", leader), make, self._offsets_done, names)

    def _offsets_done(self, call: _Call) -> None:
        failures: list[BaseException] = []
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
                if isinstance(value, BaseException):
                    failures.append(value)
                    continue
                key = (tp.topic, tp.partition)
                entry = self.offsets.get(key)
                if entry is None:
                    entry = self.offsets[key] = PartitionOffsets()
                if entry.at <= call.issued_at:
                    setattr(entry, name, value.offset)
                    entry.at = call.issued_at
        if failures:
            self._fail(call, failures[0], f"offsets of partitions led by broker {call.key[1]}")
        else:
            self.outcomes[call.key] = Outcome("ok", "", call.issued_at)

    # ---- broker probe ---------------------------------------------------------------------

    def issue_probe(self, broker: int) -> None:
        """Ask one broker directly (DescribeConfigs goes to that broker): does it answer?"""
        def make() -> list[concurrent.futures.Future[Any]]:
            resource = ConfigResource(ResourceType.BROKER, str(broker))
            return list(self.admin.describe_configs([resource],
                                                    request_timeout=self.request_timeout).values())

        self._issue(("probe", broker), make, self._probe_done)

    def _probe_done(self, call: _Call) -> None:
        exc = call.futures[0].exception()
        if exc is None:
            self.outcomes[call.key] = Outcome("ok", "", call.issued_at)
        else:
            self._fail(call, exc, f"broker {call.key[1]}")

    # ---- groups ---------------------------------------------------------------------------

    def issue_group_list(self) -> None:
        def make() -> list[concurrent.futures.Future[Any]]:
            return [self.admin.list_consumer_groups(request_timeout=self.request_timeout)]

        self._issue(("groups",), make, self._group_list_done)

    def _group_list_done(self, call: _Call) -> None:
        exc = call.futures[0].exception()
        if exc is not None:
            self._fail(call, exc, "the group list")
            return
        result = call.futures[0].result()
        listing = {g.group_id: GroupListing(g.group_id, _type_name(g.type), _state_name(g.state),
                                            bool(g.is_simple_consumer_group))
                   for g in result.valid or ()}
        errors = list(result.errors or ())
        if errors and not listing:
            self._fail(call, errors[0], "the group list")
            return
        self.group_list = listing
        if errors:
            state, message = classify(errors[0], "groups of some brokers")
            self.outcomes[call.key] = Outcome(state, message, call.issued_at)
        else:
            self.outcomes[call.key] = Outcome("ok", "", call.issued_at)

    def still_empty(self, group_id: str, max_age: float) -> bool:
        """The group list (last read OK) and our description both say Empty, and the description is
        younger than ``max_age`` seconds: describing it again would tell nothing new."""
        listed = (self.group_list or {}).get(group_id)
        desc = self.descriptions.get(group_id)
        out = self.outcomes.get(("groups",))
        return (listed is not None and desc is not None and out is not None and out.state == "ok"
                and listed.state == "Empty" and desc.state == "Empty" and not desc.members
                and self._tick_start - desc.at < max_age)

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
            result = self.admin.describe_consumer_groups(groups, request_timeout=self.request_timeout)
            return [result[g] for g in groups]

        if self._issue(("describe", coordinator), make, self._describe_done, groups):
            self._issued_this_tick.update(("describe-group", g) for g in groups)

    def _describe_done(self, call: _Call) -> None:
        first_error: BaseException | None = None
        for group_id, future in zip(call.context, call.futures, strict=True):
            exc = future.exception()
            key = ("describe-group", group_id)
            if exc is not None:
                first_error = first_error or exc
                err = kafka_error(exc)
                if err is not None and err.code() == KafkaError.GROUP_ID_NOT_FOUND:
                    self.descriptions.pop(group_id, None)  # gone (a KIP-848 group deleted itself)
                state, message = classify(exc, f"group {group_id}")
                self.outcomes[key] = Outcome(state, message, call.issued_at)
                continue
            d = future.result()
            coordinator = getattr(d.coordinator, "id", None)
            members = tuple(
                MemberRaw(m.member_id, m.client_id or "", m.host or "", m.group_instance_id or None,
                          _tps(m.assignment.topic_partitions if m.assignment else ()),
                          _tps(m.target_assignment.topic_partitions)
                          if getattr(m, "target_assignment", None) else None)
                for m in d.members or ())
            self.descriptions[group_id] = GroupDescription(
                group_id, _type_name(d.type), _state_name(d.state), d.partition_assignor or "",
                bool(d.is_simple_consumer_group), coordinator if coordinator is not None
                and coordinator >= 0 else None, tuple(sorted(members, key=lambda m: m.member_id)),
                call.issued_at)
            self.outcomes[key] = Outcome("ok", "", call.issued_at)
        if first_error is not None:
            self._fail(call, first_error, "group descriptions")
        else:
            self.outcomes[call.key] = Outcome("ok", "", call.issued_at)

    def issue_commits(self, group_id: str) -> None:
        def make() -> list[concurrent.futures.Future[Any]]:
            request = [ConsumerGroupTopicPartitions(group_id)]
            result = self.admin.list_consumer_group_offsets(request,
                                                            request_timeout=self.request_timeout)
            return list(result.values())

        self._issue(("commits", group_id), make, self._commits_done)

    def _commits_done(self, call: _Call) -> None:
        group_id = call.key[1]
        exc = call.futures[0].exception()
        if exc is not None:
            self._fail(call, exc, f"offsets of group {group_id}")
            return
        result = call.futures[0].result()
        commits: dict[TP, int | None] = {}
        for tp in result.topic_partitions or ():
            if tp.error is not None:
                continue
            commits[(tp.topic, tp.partition)] = tp.offset if tp.offset >= 0 else None
        if self.commits_at.get(group_id, 0.0) <= call.issued_at:
            self.commits[group_id] = commits
            self.commits_at[group_id] = call.issued_at
        self.outcomes[call.key] = Outcome("ok", "", call.issued_at)

    def forget_group(self, group_id: str) -> None:
        self.descriptions.pop(group_id, None)
        self.commits.pop(group_id, None)
        self.commits_at.pop(group_id, None)
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
