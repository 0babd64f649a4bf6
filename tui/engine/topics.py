"""Creating demo topics: partitions, replication, min.insync.replicas, unclean election.

``create_topic(admin, spec, timeout)`` turns the admin client's errors into one sentence each
(replication factor above the broker count, invalid names, timeouts). The :class:`CreateTopic`
command runs it on the engine's metadata thread (one AdminClient), bounded by ``timeout``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tui.engine.commands import Command

_LEGAL = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class TopicError(ValueError):
    """The topic could not be created; the message is one sentence for the user."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 1
    replication_factor: int = 1
    min_insync_replicas: int | None = None
    """None: the broker default."""
    unclean_leader_election: bool = False
    config: Mapping[str, str] = field(default_factory=dict)
    """Any other topic configs (``retention.ms``...); they win over the fields above."""
    replica_assignment: tuple[tuple[int, ...], ...] | None = None
    """Broker ids per partition, preferred leader first; overrides partitions and RF."""

    def validate(self) -> TopicSpec:
        if not self.name or len(self.name) > 249 or not set(self.name) <= _LEGAL \
                or self.name in (".", ".."):
            raise TopicError(f"Topic name {self.name!r} is invalid: use 1-249 letters, digits, "
                             "'.', '_' or '-'.")
        if self.replica_assignment is not None:
            if not self.replica_assignment or any(not r for r in self.replica_assignment):
                raise TopicError("A replica assignment needs at least one broker per partition.")
            sizes = {len(r) for r in self.replica_assignment}
            if len(sizes) != 1:
                raise TopicError("Every partition of a replica assignment needs the same number of "
                                 "replicas.")
            if any(len(set(r)) != len(r) for r in self.replica_assignment):
                raise TopicError("A partition cannot list the same broker twice.")
        else:
            if self.partitions < 1:
                raise TopicError(f"A topic needs at least 1 partition, not {self.partitions}.")
            if self.replication_factor < 1:
                raise TopicError(f"The replication factor must be at least 1, not "
                                 f"{self.replication_factor}.")
        rf = self.effective_replication_factor
        if self.min_insync_replicas is not None and self.min_insync_replicas < 1:
            raise TopicError(f"min.insync.replicas must be at least 1, not {self.min_insync_replicas}.")
        if self.min_insync_replicas is not None and self.min_insync_replicas > rf:
            # legal for Kafka, but then acks=all can never succeed: say so instead of surprising
            raise TopicError(f"min.insync.replicas={self.min_insync_replicas} is above the "
                             f"replication factor {rf}, so acks=all writes could never succeed.")
        return self

    @property
    def effective_replication_factor(self) -> int:
        if self.replica_assignment is not None:
            return len(self.replica_assignment[0])
        return self.replication_factor

    def topic_config(self) -> dict[str, str]:
        conf: dict[str, str] = {}
        if self.min_insync_replicas is not None:
            conf["min.insync.replicas"] = str(self.min_insync_replicas)
        conf["unclean.leader.election.enable"] = "true" if self.unclean_leader_election else "false"
        conf.update({k: str(v) for k, v in self.config.items()})
        return conf


@dataclass(frozen=True)
class CreateTopic(Command):
    """Create a topic; the result is True when created, False when it existed (``exists_ok``)."""

    target: ClassVar[str] = "engine"
    spec: TopicSpec
    exists_ok: bool = True
    timeout: float = 15.0


def create_topic(admin: Any, spec: TopicSpec, timeout: float = 15.0, exists_ok: bool = True) -> bool:
    """Create ``spec`` with an AdminClient; True if created, False if it already existed.

    Raises :class:`TopicError` with one sentence on any failure (including a timeout).
    """
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.cimpl import NewTopic

    spec.validate()
    if spec.replica_assignment is not None:
        # confluent-kafka wants the partition count spelled out next to an assignment
        new = NewTopic(spec.name, num_partitions=len(spec.replica_assignment),
                       replica_assignment=[list(r) for r in spec.replica_assignment],
                       config=spec.topic_config())
    else:
        new = NewTopic(spec.name, num_partitions=spec.partitions,
                       replication_factor=spec.replication_factor, config=spec.topic_config())
    try:
        futures = admin.create_topics([new], operation_timeout=timeout, request_timeout=timeout)
        futures[spec.name].result(timeout=timeout + 1.0)
        return True
    except KafkaException as exc:
        err = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
        if err is not None and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
            if exists_ok:
                return False
            raise TopicError(f"Topic {spec.name!r} already exists.") from None
        raise TopicError(_explain(spec, err, exc)) from None
    except TimeoutError:
        raise TopicError(f"Creating topic {spec.name!r} did not finish within {timeout:g} s; is the "
                         "cluster reachable?") from None


def _explain(spec: TopicSpec, err: Any, exc: Exception) -> str:
    from confluent_kafka import KafkaError

    code = err.code() if err is not None else None
    text = (err.str() if err is not None else str(exc)).rstrip(".")
    if code == KafkaError.INVALID_REPLICATION_FACTOR:
        return (f"Cannot create topic {spec.name!r} with replication factor "
                f"{spec.effective_replication_factor}: the cluster has fewer live brokers ({text}).")
    if code == KafkaError.INVALID_REPLICA_ASSIGNMENT:
        return f"Cannot create topic {spec.name!r}: the replica assignment names unknown brokers ({text})."
    if code == KafkaError.INVALID_CONFIG:
        return f"Cannot create topic {spec.name!r}: a topic config is invalid ({text})."
    if code in (KafkaError._TIMED_OUT, KafkaError.REQUEST_TIMED_OUT, KafkaError._TRANSPORT):
        return f"Creating topic {spec.name!r} timed out; is the cluster reachable?"
    return f"Cannot create topic {spec.name!r}: {text}."
