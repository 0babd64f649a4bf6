"""Browse & fix: reset a group's offsets, delete a group or a topic, show and alter topic configs.

The commands (target ``admin``) and their results are plain data the UI and headless use; the work
runs on the engine's metadata thread with its AdminClient (:meth:`MetadataWorker.submit`), never on
the caller's thread. Every refusal is a ValueError with one sentence. confluent_kafka is imported
inside the functions, so the UI can import this module.

A reset works like ``kafka-consumer-groups --reset-offsets``: it is planned first (the committed and
the new offset of every partition, new offsets kept within the log), and executed only with
``execute`` and only while the group has no active member (Kafka refuses to move a live group's
offsets under it, and so do we, with one sentence).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from tui.engine.browse.start import parse_timestamp
from tui.engine.commands import Command
from tui.engine.jsonview import JsonView
from tui.vocab import ResetKind

if TYPE_CHECKING:
    from tui.kafka.committed import CommittedReader

Publish = Callable[..., object]
"""``EventBus.publish(kind, source, text, severity, **data)``."""
INACTIVE_STATES = frozenset({"Empty", "Dead"})
STATE_NAMES = {"PREPARING_REBALANCING": "PreparingRebalance",
               "COMPLETING_REBALANCING": "CompletingRebalance", "STABLE": "Stable", "DEAD": "Dead",
               "EMPTY": "Empty", "UNKNOWN": "Unknown", "ASSIGNING": "Assigning",
               "RECONCILING": "Reconciling"}


# ---- commands -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResetOffsets(Command):
    """Plan (and with ``execute``, apply) new committed offsets for ``group``. Resolves with a
    :class:`ResetPlan`."""

    target: ClassVar[str] = "admin"
    group: str
    topics: tuple[str, ...] = ()
    """``T`` (every partition) or ``T:P`` / ``T:0,2``."""
    to: str = "earliest"
    """earliest, latest, an offset, @TIMESTAMP (ms or ISO time) or shift:±N."""
    execute: bool = False
    all_topics: bool = False
    """Every topic the group has committed offsets for (instead of ``topics``)."""
    timeout: float = 15.0


@dataclass(frozen=True)
class DeleteGroup(Command):
    """Delete a consumer group that has no active member; resolves with a sentence."""

    target: ClassVar[str] = "admin"
    group: str
    timeout: float = 15.0


@dataclass(frozen=True)
class DeleteTopic(Command):
    """Delete a topic (never an internal one); resolves with a sentence."""

    target: ClassVar[str] = "admin"
    topic: str
    timeout: float = 30.0


@dataclass(frozen=True)
class DescribeTopicConfig(Command):
    """Every non-default config of a topic with its source; resolves with a :class:`TopicConfigView`."""

    target: ClassVar[str] = "admin"
    topic: str
    include_defaults: bool = False
    timeout: float = 15.0


@dataclass(frozen=True)
class AlterTopicConfig(Command):
    """Set configs of a topic (only those in :data:`ALTERABLE`, validated first); resolves with an
    :class:`AlterResult`."""

    target: ClassVar[str] = "admin"
    topic: str
    changes: tuple[tuple[str, str], ...]
    timeout: float = 15.0


ADMIN_COMMANDS = (ResetOffsets, DeleteGroup, DeleteTopic, DescribeTopicConfig, AlterTopicConfig)


# ---- results --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ResetRow(JsonView):
    topic: str
    partition: int
    current: int | None
    """The group's committed offset now (None: nothing committed)."""
    new: int
    low: int
    """The log start offset."""
    high: int
    """The log end offset."""
    note: str = ""
    """Why ``new`` is not what was asked (kept within the log)."""


@dataclass(frozen=True, slots=True)
class ResetPlan(JsonView):
    group: str
    state: str
    """The group's state when planned (Empty, Stable, Dead...)."""
    members: int
    """Active members when planned: an execute is refused unless this is 0."""
    to: str
    rows: tuple[ResetRow, ...]
    executed: bool

    @property
    def changes(self) -> int:
        return sum(1 for r in self.rows if r.new != r.current)


@dataclass(frozen=True, slots=True)
class ConfigEntryView(JsonView):
    name: str
    value: str | None
    """None for a sensitive value (never shown)."""
    source: str
    """Kafka's ConfigSource name: DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG..."""
    read_only: bool = False
    sensitive: bool = False


@dataclass(frozen=True, slots=True)
class TopicConfigView(JsonView):
    topic: str
    partitions: int
    replication_factor: int
    entries: tuple[ConfigEntryView, ...]
    """Sorted by name; only non-default ones unless defaults were asked for."""

    def get(self, name: str) -> ConfigEntryView | None:
        return next((e for e in self.entries if e.name == name), None)


@dataclass(frozen=True, slots=True)
class ConfigChange(JsonView):
    name: str
    before: str | None
    after: str


@dataclass(frozen=True, slots=True)
class AlterResult(JsonView):
    topic: str
    changes: tuple[ConfigChange, ...]
    config: TopicConfigView


# ---- pure parsing and validation ------------------------------------------------------------------

@dataclass(frozen=True)
class ResetTarget:
    kind: ResetKind
    value: int = 0

    @classmethod
    def parse(cls, text: str) -> ResetTarget:
        raw = str(text).strip()
        low = raw.lower()
        if low in (ResetKind.EARLIEST, ResetKind.LATEST):
            return cls(ResetKind(low))
        if raw.startswith("@"):
            return cls(ResetKind.TIMESTAMP, parse_timestamp(raw[1:]))
        if low.startswith("shift:"):
            amount = raw[6:].strip()
            if amount.lstrip("+-").isdigit():
                return cls(ResetKind.SHIFT, int(amount))
        elif raw.isdigit():
            return cls(ResetKind.OFFSET, int(raw))
        raise ValueError(f"Reset to {raw!r}? Use earliest, latest, an offset, @TIMESTAMP (ms or an ISO "
                         "time) or shift:-N / shift:+N.")

    def new_offset(self, current: int | None, low: int, high: int, at_time: int | None) -> tuple[int, str]:
        """The new offset within ``[low, high]`` and a note when it had to be moved there."""
        if self.kind is ResetKind.EARLIEST:
            return low, ""
        if self.kind is ResetKind.LATEST:
            return high, ""
        if self.kind is ResetKind.TIMESTAMP:
            return (at_time, "") if at_time is not None and at_time >= 0 else (high, "no record that late")
        if self.kind is ResetKind.SHIFT:
            if current is None:
                raise ValueError("shift needs a committed offset to shift from")
            wanted = current + self.value
        else:
            wanted = self.value
        if wanted < low:
            return low, f"{wanted} is before the log start"
        if wanted > high:
            return high, f"{wanted} is past the log end"
        return wanted, ""


def parse_topic_targets(items: Iterable[str]) -> tuple[tuple[str, tuple[int, ...] | None], ...]:
    """``T`` -> (T, None: every partition); ``T:0,2`` -> (T, (0, 2))."""
    out: list[tuple[str, tuple[int, ...] | None]] = []
    for item in items:
        text = str(item).strip()
        topic, sep, parts = text.rpartition(":")
        topic = topic.strip() if sep else text
        if not topic:
            raise ValueError(f"Name a topic, as T or T:P, not {item!r}.")
        if not sep:
            out.append((topic, None))
            continue
        numbers = [p.strip() for p in parts.split(",")]
        if not numbers or not all(n.isdigit() for n in numbers):
            raise ValueError(f"{item!r}: after the ':' come partition numbers, like {topic}:0 or "
                             f"{topic}:0,2.")
        out.append((topic, tuple(sorted({int(n) for n in numbers}))))
    return tuple(out)


def _integer(name: str, value: str, low: int, high: int = 2**31 - 1, hint: str = "") -> str:
    try:
        number = int(value.strip())
    except ValueError:
        raise ValueError(f"{name} must be a whole number{hint}, not {value!r}.") from None
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high}{hint}, not {number}.")
    return str(number)


def _boolean(name: str, value: str) -> str:
    text = value.strip().lower()
    if text not in ("true", "false"):
        raise ValueError(f"{name} must be true or false, not {value!r}.")
    return text


ALTERABLE: dict[str, str] = {
    "retention.ms": "how long records are kept, in ms (-1: forever)",
    "min.insync.replicas": "replicas that must have a write before acks=all succeeds",
    "unclean.leader.election.enable": "may an out-of-sync replica become leader (true/false)",
    "max.message.bytes": "the largest record batch the topic accepts, in bytes",
}
"""The topic configs kafka-explorer alters, with what each means."""


def validate_change(name: str, value: str, replication_factor: int) -> str:
    """The value to send (normalised), or ValueError with one sentence."""
    if name not in ALTERABLE:
        raise ValueError(f"kafka-explorer alters only {', '.join(ALTERABLE)}; use kafka-configs for "
                         f"{name!r}.")
    if name == "retention.ms":
        return _integer(name, value, -1, 2**63 - 1, " of milliseconds (-1 keeps records forever)")
    if name == "min.insync.replicas":
        checked = _integer(name, value, 1)
        if int(checked) > replication_factor:
            raise ValueError(f"min.insync.replicas {checked} is more than the topic's replication "
                             f"factor {replication_factor}: every acks=all write would fail.")
        return checked
    if name == "unclean.leader.election.enable":
        return _boolean(name, value)
    return _integer(name, value, 0, hint=" of bytes")


def internal_topic(name: str) -> bool:
    """Kafka's own topics (__consumer_offsets, __transaction_state...): never deleted or altered."""
    return name.startswith("__")


# ---- the work (on the metadata thread) ------------------------------------------------------------

def run(admin: Any, cmd: Command, publish: Publish, committed: CommittedReader) -> Any:
    """Carry out one admin command with ``admin`` (committed offsets through ``committed``);
    ``publish`` tells the timeline what changed."""
    if isinstance(cmd, ResetOffsets):
        plan = reset_offsets(admin, cmd, committed)
        if plan.executed:
            publish("group.offsets-reset", f"group:{cmd.group}",
                    f"offsets of group {cmd.group} reset to {cmd.to} on {len(plan.rows)} partition(s)",
                    "notice", group=cmd.group, to=cmd.to,
                    partitions=[[r.topic, r.partition, r.current, r.new] for r in plan.rows])
        return plan
    if isinstance(cmd, DeleteGroup):
        text = delete_group(admin, cmd.group, cmd.timeout)
        publish("group.deleted", f"group:{cmd.group}", text, "notice", group=cmd.group)
        return text
    if isinstance(cmd, DeleteTopic):
        text = delete_topic(admin, cmd.topic, cmd.timeout)
        publish("topic.deleted", f"topic:{cmd.topic}", text, "notice", topic=cmd.topic)
        return text
    if isinstance(cmd, DescribeTopicConfig):
        return describe_topic_config(admin, cmd.topic, cmd.include_defaults, cmd.timeout)
    if isinstance(cmd, AlterTopicConfig):
        result = alter_topic_config(admin, cmd.topic, cmd.changes, cmd.timeout)
        publish("topic.config-altered", f"topic:{cmd.topic}", f"topic {cmd.topic}: " + ", ".join(
            f"{c.name} {c.before or 'default'} → {c.after}" for c in result.changes), "notice",
            topic=cmd.topic, changes={c.name: c.after for c in result.changes})
        return result
    raise ValueError(f"No admin operation handles {type(cmd).__name__}.")


def _error(exc: BaseException) -> tuple[str, str]:
    """(error code name, librdkafka's text) of a failed admin future."""
    from tui.kafka.errors import error_text, kafka_error

    err = kafka_error(exc)
    return (err.name() if err is not None else type(exc).__name__), error_text(exc).rstrip(".")


def _result(future: Any, timeout: float, what: str) -> Any:
    try:
        return future.result(timeout=timeout + 1.0)
    except TimeoutError:
        raise ValueError(f"The cluster did not answer the {what} within {timeout:g} s.") from None


def _topic_partitions(admin: Any, topic: str, timeout: float) -> tuple[int, int]:
    """(partitions, replication factor) of ``topic``; ValueError when it does not exist."""
    md = admin.list_topics(topic=topic, timeout=timeout)
    info = md.topics.get(topic)
    if info is None or info.error is not None or not info.partitions:
        raise ValueError(f"Topic {topic!r} does not exist.")
    return len(info.partitions), max(len(p.replicas) for p in info.partitions.values())


def describe_group(admin: Any, group: str, timeout: float) -> tuple[str, int]:
    """(state, active members) of a consumer group; a group that does not exist is Dead with 0."""
    from tui.kafka.errors import retry_while_busy  # inside: the UI imports this module's names

    try:
        desc = retry_while_busy(lambda: _result(
            admin.describe_consumer_groups([group], request_timeout=timeout)[group], timeout,
            f"description of group {group!r}"), timeout)
    except ValueError:
        raise
    except Exception as exc:
        code, text = _error(exc)
        if code == "GROUP_ID_NOT_FOUND":
            return "Dead", 0
        raise ValueError(f"Cannot describe group {group!r}: {text}.") from None
    raw = getattr(desc.state, "name", None) or str(desc.state or "UNKNOWN")
    return STATE_NAMES.get(raw.upper(), raw.title()), len(desc.members or ())


def _refuse_if_active(group: str, state: str, members: int, doing: str) -> None:
    if members or state not in INACTIVE_STATES:
        raise ValueError(f"Group {group!r} has {members} active member(s) (state {state}): stop them "
                         f"before {doing}.")


def reset_offsets(admin: Any, cmd: ResetOffsets, reader: CommittedReader) -> ResetPlan:
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

    if not cmd.group.strip():
        raise ValueError("Name the group whose offsets to reset.")
    target = ResetTarget.parse(cmd.to)
    if cmd.all_topics == bool(cmd.topics):
        raise ValueError("Name the topics to reset (T or T:P), or ask for all the group's topics.")
    t = cmd.timeout
    state, members = describe_group(admin, cmd.group, t)
    committed = _committed(reader, cmd.group, t)
    if cmd.all_topics:
        wanted: dict[str, tuple[int, ...] | None] = {}
        for topic, _ in committed:
            wanted.setdefault(topic, None)
        if not wanted:
            raise ValueError(f"Group {cmd.group!r} has no committed offsets, so it has no topics to reset.")
    else:
        wanted = dict(parse_topic_targets(cmd.topics))
    tps: list[tuple[str, int]] = []
    for topic, parts in wanted.items():
        count, _ = _topic_partitions(admin, topic, t)
        missing = [p for p in parts or () if p >= count]
        if missing:
            raise ValueError(f"Topic {topic!r} has partitions 0-{count - 1}; there is no partition "
                             f"{missing[0]}.")
        tps += [(topic, p) for p in (parts if parts is not None else range(count))]
    low = _list_offsets(admin, tps, "earliest", t)
    high = _list_offsets(admin, tps, "latest", t)
    at = _list_offsets(admin, tps, target.value, t) if target.kind is ResetKind.TIMESTAMP else {}
    rows = []
    for tp in tps:
        current = committed.get(tp)
        try:
            new, note = target.new_offset(current, low[tp], high[tp], at.get(tp))
        except ValueError:
            raise ValueError(f"Partition {tp[0]}:{tp[1]} has no committed offset in group {cmd.group!r}, "
                             "so there is nothing to shift; reset it to earliest, latest or an offset."
                             ) from None
        rows.append(ResetRow(tp[0], tp[1], current, new, low[tp], high[tp], note))
    plan = ResetPlan(cmd.group, state, members, cmd.to, tuple(rows), executed=False)
    if not cmd.execute:
        return plan
    _refuse_if_active(cmd.group, state, members, "resetting its offsets")
    request = [ConsumerGroupTopicPartitions(cmd.group, [TopicPartition(r.topic, r.partition, r.new)
                                                        for r in rows])]
    futures = admin.alter_consumer_group_offsets(request, request_timeout=t)
    try:
        answer = _result(futures[cmd.group], t, f"offset reset of group {cmd.group!r}")
    except ValueError:
        raise
    except Exception as exc:
        code, text = _error(exc)
        if code in ("UNKNOWN_MEMBER_ID", "REBALANCE_IN_PROGRESS", "NON_EMPTY_GROUP"):
            raise ValueError(f"Group {cmd.group!r} got an active member meanwhile: stop it before "
                             "resetting its offsets.") from None
        raise ValueError(f"The cluster refused to reset group {cmd.group!r}: {text}.") from None
    bad = [tp for tp in answer.topic_partitions or () if tp.error is not None]
    if bad:
        raise ValueError(f"The cluster refused the new offset of {bad[0].topic}:{bad[0].partition}: "
                         f"{_error(bad[0].error)[1]}.")
    return ResetPlan(cmd.group, state, members, cmd.to, tuple(rows), executed=True)


def _committed(reader: CommittedReader, group: str, timeout: float) -> dict[tuple[str, int], int]:
    """The group's committed offsets (partitions without one are left out)."""
    from confluent_kafka import KafkaException

    from tui.kafka.errors import retry_while_busy

    def ask() -> Any:
        answer = _result(reader.submit(group, timeout), timeout, f"committed offsets of group {group!r}")
        # a partition answered with an error is not "no committed offset": ask again while the
        # coordinator is busy, else say so, rather than plan a reset from a missing row
        failed = next((tp for tp in answer.topic_partitions or () if tp.error is not None), None)
        if failed is not None:
            raise KafkaException(failed.error)
        return answer

    try:
        answer = retry_while_busy(ask, timeout)
    except ValueError:
        raise
    except Exception as exc:
        code, text = _error(exc)
        if code == "GROUP_ID_NOT_FOUND":
            return {}
        raise ValueError(f"Cannot read the committed offsets of group {group!r}: {text}.") from None
    return {(tp.topic, tp.partition): int(tp.offset) for tp in answer.topic_partitions or ()
            if tp.error is None and tp.offset >= 0}


def _list_offsets(admin: Any, tps: list[tuple[str, int]], spec: str | int,
                  timeout: float) -> dict[tuple[str, int], int]:
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin._listoffsets import OffsetSpec

    factory: Any = OffsetSpec  # its factory methods are untyped
    offset_spec = (factory.earliest() if spec == "earliest" else factory.latest() if spec == "latest"
                   else factory.for_timestamp(int(spec)))
    if not tps:
        return {}
    futures = admin.list_offsets({TopicPartition(t, p): offset_spec for t, p in tps},
                                 request_timeout=timeout)
    out: dict[tuple[str, int], int] = {}
    for tp, future in futures.items():
        try:
            out[(tp.topic, tp.partition)] = int(_result(future, timeout, "offsets request").offset)
        except ValueError:
            raise
        except Exception as exc:
            raise ValueError(f"Cannot read the offsets of {tp.topic}:{tp.partition}: "
                             f"{_error(exc)[1]}.") from None
    return out


def delete_group(admin: Any, group: str, timeout: float) -> str:
    state, members = describe_group(admin, group, timeout)
    _refuse_if_active(group, state, members, "deleting it")
    futures = admin.delete_consumer_groups([group], request_timeout=timeout)
    try:
        _result(futures[group], timeout, f"deletion of group {group!r}")
    except ValueError:
        raise
    except Exception as exc:
        code, text = _error(exc)
        if code == "GROUP_ID_NOT_FOUND":
            raise ValueError(f"Group {group!r} does not exist.") from None
        if code == "NON_EMPTY_GROUP":
            raise ValueError(f"Group {group!r} has active members: stop them before deleting it.") from None
        raise ValueError(f"The cluster refused to delete group {group!r}: {text}.") from None
    return f"group {group} deleted (it had no active member; its committed offsets are gone)"


def delete_topic(admin: Any, topic: str, timeout: float) -> str:
    if internal_topic(topic):
        raise ValueError(f"{topic!r} is one of Kafka's internal topics; kafka-explorer never deletes those.")
    count, _ = _topic_partitions(admin, topic, timeout)
    futures = admin.delete_topics([topic], operation_timeout=timeout, request_timeout=timeout)
    try:
        _result(futures[topic], timeout, f"deletion of topic {topic!r}")
    except ValueError:
        raise
    except Exception as exc:
        code, text = _error(exc)
        if code == "UNKNOWN_TOPIC_OR_PART":
            raise ValueError(f"Topic {topic!r} does not exist.") from None
        raise ValueError(f"The cluster refused to delete topic {topic!r}: {text}.") from None
    return f"topic {topic} deleted ({count} partition(s) and every record in them)"


def describe_topic_config(admin: Any, topic: str, include_defaults: bool, timeout: float) -> TopicConfigView:
    from confluent_kafka.admin._config import ConfigResource, ConfigSource
    from confluent_kafka.admin._resource import ResourceType

    partitions, rf = _topic_partitions(admin, topic, timeout)
    futures = admin.describe_configs([ConfigResource(ResourceType.TOPIC, topic)], request_timeout=timeout)
    try:
        entries = _result(next(iter(futures.values())), timeout, f"configs of topic {topic!r}")
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(f"Cannot read the configs of topic {topic!r}: {_error(exc)[1]}.") from None
    out = []
    for name, entry in sorted(entries.items()):
        try:  # librdkafka hands over the source as a plain int
            source = ConfigSource(int(entry.source)).name
        except ValueError:
            source = str(entry.source)
        if source == "DEFAULT_CONFIG" and not include_defaults:
            continue
        sensitive = bool(entry.is_sensitive)
        out.append(ConfigEntryView(name, None if sensitive else entry.value, source,
                                   bool(entry.is_read_only), sensitive))
    return TopicConfigView(topic, partitions, rf, tuple(out))


def alter_topic_config(admin: Any, topic: str, changes: Iterable[tuple[str, str]],
                       timeout: float) -> AlterResult:
    from confluent_kafka.admin._config import AlterConfigOpType, ConfigEntry, ConfigResource
    from confluent_kafka.admin._resource import ResourceType

    if internal_topic(topic):
        raise ValueError(f"{topic!r} is one of Kafka's internal topics; kafka-explorer never alters those.")
    wanted = dict(changes)
    if not wanted:
        raise ValueError("Give at least one config to set, as name=value.")
    before = describe_topic_config(admin, topic, True, timeout)
    values = {name: validate_change(name, value, before.replication_factor)
              for name, value in wanted.items()}
    resource = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry(name, value, incremental_operation=AlterConfigOpType.SET)
        for name, value in values.items()])
    futures = admin.incremental_alter_configs([resource], request_timeout=timeout)
    try:
        _result(next(iter(futures.values())), timeout, f"config change of topic {topic!r}")
    except ValueError:
        raise
    except Exception as exc:
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        raise ValueError(f"The broker refused {shown} on topic {topic!r}: {_error(exc)[1]}.") from None
    after = describe_topic_config(admin, topic, False, timeout)
    old = {e.name: e.value for e in before.entries}
    return AlterResult(topic, tuple(ConfigChange(name, old.get(name), value)
                                    for name, value in values.items()), after)
