"""Raw results of the watcher's admin calls, and what their failures mean.

Plain mutable records filled by ``fetch.Fetcher`` on the watcher thread and read by ``build`` to make
the frozen views; nothing here talks to Kafka.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError

from tui.kafka.errors import kafka_error

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


def no_answer(exc: BaseException | KafkaError) -> bool:
    """Whether a failure means the other side did not answer at all."""
    err = kafka_error(exc)
    if err is None:
        return isinstance(exc, concurrent.futures.TimeoutError | TimeoutError)
    return err.code() in _NO_ANSWER


def broker_sent(exc: BaseException | KafkaError) -> bool:
    """Whether the error came from a broker (an answer), not from librdkafka itself (negative
    codes: timeouts, refused connections, 'no leaders found' from a cache nobody refreshed)."""
    err = kafka_error(exc)
    return err is not None and err.code() > 0 and err.code() not in _NO_ANSWER


def classify(exc: BaseException | KafkaError, what: str) -> tuple[str, str]:
    """(section state, one sentence) for a failed read of ``what``."""
    err = kafka_error(exc)
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
    changed: frozenset[str] | None = None
    """Topics added, removed or with a partition that changed since the previous read (None: all,
    e.g. the first read)."""


@dataclass(slots=True)
class PartitionOffsets:
    log_start: int | None = None
    high_watermark: int | None = None
    last_stable: int | None = None
    at: float = 0.0
    """Wall time of the call that read the high watermark shown."""
    moved_from: tuple[float, int] | None = None
    """(read time, high watermark) of the read before the last change, for the produce rate."""
    log_start_at: float = 0.0
    """Wall time of the call that read the log start shown."""


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


def state_name(state: Any) -> str:
    name = getattr(state, "name", None) or str(state or "UNKNOWN")
    return STATE_NAMES.get(name.upper(), name.title().replace("_", ""))


def type_name(kind: Any) -> str:
    name = (getattr(kind, "name", None) or str(kind or "UNKNOWN")).lower()
    return name if name in ("classic", "consumer") else "unknown"


def tps_of(items: Iterable[Any] | None) -> tuple[TP, ...]:
    return tuple(sorted((tp.topic, tp.partition) for tp in items or ()))
