"""New-producer form: every producer-profile setting, the key mode and the workload.

The profile and workload validate themselves (pure checks, no Kafka) on every change, so a
combination such as idempotence with acks=1 is explained in the form, not after submit. The topic is
checked against the snapshot: a missing one is created first ("create if missing", on by default
for a topic the cluster does not have, with the lab's defaults as ``produce --create-topic``), or
refused with one sentence naming it, so a first producer never times out on a topic that is not
there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tui.engine import (
    Command,
    CreateTopic,
    ProducerProfile,
    RunnerView,
    Snapshot,
    StartProducer,
    TopicSpec,
    Workload,
    parse_header,
    parse_key_mode,
    parse_poison,
)
from tui.ui.forms import explain
from tui.ui.forms.base import Field, FieldError, FormScreen, Note
from tui.ui.forms.choice import Choice
from tui.ui.forms.memory import recall
from tui.ui.forms.topic import CREATED_TOPIC, broker_count, topic_names
from tui.vocab import ValueContent

ProducerRequest = tuple[ProducerProfile, Workload]
CREATE_PARTITIONS = 3
"""Partitions of a topic the form creates (as ``kafka-explorer produce --create-topic``)."""


def parse_extra(text: str) -> dict[str, str]:
    """``k=v, k2=v2`` -> dict (the same -X properties the command line takes)."""
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"Extra properties look like key=value, not {item!r}.")
        out[key.strip()] = value.strip()
    return out


def clone_values(runner: RunnerView) -> dict[str, Any]:
    """The form values of an existing producer (its name excepted: a clone needs a new one)."""
    return {"topic": runner.topic, "acks": runner.acks, "idempotence": runner.idempotent,
            "retries": str(runner.retries), "in_flight": str(runner.max_in_flight),
            "linger": str(runner.linger_ms), "batch": str(runner.batch_size),
            "compression": runner.compression, "keys": runner.key_mode,
            "count": "" if runner.target_count is None else str(runner.target_count),
            "rate": "" if runner.target_rate is None else f"{runner.target_rate:g}"}


def next_name(snapshot: Snapshot | None) -> str:
    """``pN`` that no producer of this session has."""
    taken = {r.name for r in snapshot.producers.runners} if snapshot is not None else set()
    return next(f"p{n}" for n in range(1, len(taken) + 2) if f"p{n}" not in taken)


class ProducerForm(FormScreen[ProducerRequest]):
    form_id = "producer"
    title_text = "Start a producer"
    help_text = ("Every record carries a run id and a sequence number, so the verdict can follow "
                 "it.")
    error_fields = (("producer name", "name"), ("transactional.id turns", "txn"),
                    ("idempotence needs acks", "idempotence"), ("in flight", "in_flight"),
                    ("needs retries", "retries"), ("acks must", "acks"), ("retries", "retries"),
                    ("max in-flight", "in_flight"), ("linger.ms", "linger"),
                    ("batch.size", "batch"), ("message.timeout.ms", "timeout"),
                    ("compression", "compression"), ("partitioner", "partitioner"),
                    ("topic", "topic"), ("extra properties", "extra"), ("property", "extra"))

    def __init__(self, name: str | None = None, topic: str | None = None,
                 acks: str | None = None, *, snapshot: Snapshot | None = None,
                 suggested_topic: str | None = None, clone: Mapping[str, Any] | None = None,
                 submits: bool = False) -> None:
        given = {"name": name, "topic": topic, "acks": acks}
        super().__init__(context={k: v for k, v in given.items() if v is not None}, clone=clone,
                         submits=submits)
        self.snapshot = snapshot
        self.suggested_topic = suggested_topic
        self.brokers = broker_count(snapshot)
        self.existing = topic_names(snapshot)
        self.fields = (
            Field("name", "Profile name", default=next_name(snapshot), remember=False,
                  help="Names this producer in the tables, the timeline and the verdict."),
            Field("topic", "Topic", default="demo",
                  help="Where the records go."),
            Field("create", "Create if missing", "switch", True,
                  help=f"Creates a missing topic first ({CREATE_PARTITIONS} partitions, RF "
                       f"{self._create_rf()}), as produce --create-topic."),
            Field("acks", "acks", "select", "all", explain.ACKS,
                  help="Who must have a record before the send counts as done;"),
            Field("idempotence", "Idempotence", "switch", False,
                  help="The broker drops retried duplicates and keeps order per partition; needs "
                       "acks=all and in-flight <= 5."),
            Field("retries", "Retries", "int", 2147483647,
                  help="Resends of a failed request: without idempotence a retry can duplicate "
                       "or reorder records."),
            Field("in_flight", "Max in-flight", "int", 5,
                  help="Requests sent before an answer: more is faster, but retries reorder "
                       "unless idempotent."),
            Field("linger", "linger.ms", "int", 5,
                  help="Waits this long to fill a batch: more latency, fewer and larger "
                       "requests."),
            Field("batch", "batch.size (bytes)", "int", 1_000_000,
                  help="Largest batch per partition: bigger helps throughput once linger fills "
                       "it."),
            Field("compression", "Compression", "select", "none", explain.COMPRESSION,
                  help="Whole batches: CPU against bytes on the wire and on disk;"),
            Field("partitioner", "Partitioner", "select", "murmur2_random", explain.PARTITIONER,
                  help="Picks the partition of a keyed record;"),
            Field("timeout", "message.timeout.ms", "int", 15_000,
                  help="A record not acknowledged in this time (retries included) fails as "
                       "maybe-written."),
            Field("txn", "transactional.id", default="", remember=False,
                  help="Sends in transactions (readers with read_committed see only committed "
                       "ones); empty: off."),
            Field("keys", "Key mode", default="cycle:16",
                  help="none | fixed:K | cycle:N | random | hot:P; one key keeps its order in "
                       "one partition."),
            Field("value_size", "Value size (bytes)", "int", 100,
                  help="Bytes per value: the msg_id, then the content below."),
            Field("content", "Value content", "select", ValueContent.KX.value, options=(
                (ValueContent.KX.value, "the msg_id padded with dots: compresses absurdly well"),
                (ValueContent.RANDOM.value, "random bytes: incompressible (what compression cannot do)"),
                (ValueContent.TEXT.value, "words: compresses like prose"),
                (ValueContent.JSON.value, "a JSON object with repeated field names (the header carries "
                                          "the msg_id): what a member's json format validates"))),
            Field("poison", "Poison records", default="", remember=False,
                  help="KIND:every=N or KIND:at=S,S — invalid-json, missing-field, tombstone, oversized "
                       "(larger than max.message.bytes: the producer's own error)."),
            Field("resend", "Application resends", "int", 0,
                  help="Re-send a record whose delivery failed or timed out, up to N times (0: off): "
                       "a resend is a new record, so idempotence cannot dedupe it."),
            Field("headers", "Extra headers", default="",
                  help="name=value, name2=value2 on every record."),
            Field("count", "Count", "int", 10_000,
                  help="Records to send; empty: until you stop the producer (x)."),
            Field("rate", "Rate (records/s)", "float", 1000,
                  help="Records per second; empty: as fast as possible."),
            Field("partition", "Partition", "int", "", remember=False,
                  help="Sends every record to this partition; empty: the partitioner decides."),
            Field("extra", "Extra -X properties", default="",
                  help="More librdkafka producer settings: key=value, key2=value2."),
        )

    def _create_rf(self) -> int:
        return min(3, max(1, self.brokers or 1))

    def _missing(self, topic: str) -> bool:
        return self.existing is not None and topic not in self.existing

    def initial_values(self) -> dict[str, Any]:
        values = super().initial_values()
        if "topic" not in self._clone and "topic" not in self._given:
            # no producer ran yet: the topic just created, else last time's, else the highlighted one
            created = recall(self.app, CREATED_TOPIC).get("name")
            remembered = recall(self.app, self.form_id).get("topic")
            values["topic"] = created or remembered or self.suggested_topic or values["topic"]
        # on by default exactly when the topic is not on the cluster (unknown: on, harmless)
        values["create"] = self.existing is None or str(values["topic"]) not in self.existing
        return values

    def value_changed(self, name: str) -> None:
        create = self.query_one("#f-create", Choice)
        if name == "topic" and not create.touched:
            # until a person sets it, it follows whether the topic exists (a flag on the widget,
            # not a later change message: those arrive after keys typed meanwhile)
            create.value = self.existing is None or str(self.value("topic")) not in self.existing

    def build(self) -> ProducerRequest:
        txn = str(self.value("txn")) or None
        try:
            extra = parse_extra(str(self.value("extra")))
        except ValueError as exc:
            raise FieldError("extra", str(exc)) from None
        profile = ProducerProfile(
            name=str(self.value("name")),
            acks=str(self.value("acks")),
            idempotence=bool(self.value("idempotence")),
            retries=self.int_value("retries", "Retries", required=True, low=0) or 0,
            max_in_flight=self.int_value("in_flight", "Max in-flight", required=True, low=1) or 0,
            linger_ms=self.int_value("linger", "linger.ms", required=True, low=0) or 0,
            batch_size=self.int_value("batch", "batch.size", required=True, low=1) or 0,
            compression=str(self.value("compression")),
            partitioner=str(self.value("partitioner")),
            message_timeout_ms=self.int_value("timeout", "message.timeout.ms", required=True,
                                              low=1) or 0,
            transactional_id=txn,
            resend=self.int_value("resend", "Resends", 0, low=0) or 0,
            extra=extra,
        ).validate()
        topic = str(self.value("topic"))
        if self._missing(topic) and not self.value("create"):
            raise FieldError("topic", f"Topic {topic!r} does not exist on this cluster: turn on "
                                      "'Create if missing' or create it on the Cluster screen.")
        try:
            headers = tuple(parse_header(h.strip()) for h in str(self.value("headers")).split(",")
                            if h.strip())
        except ValueError as exc:
            raise FieldError("headers", str(exc)) from None
        try:
            key_mode = parse_key_mode(str(self.value("keys")) or "none")
        except ValueError as exc:
            raise FieldError("keys", str(exc)) from None
        try:
            poison = parse_poison(str(self.value("poison"))) if self.value("poison") else None
        except ValueError as exc:
            raise FieldError("poison", str(exc)) from None
        partition = self.int_value("partition", "Partition", low=0)
        count = self._partitions(topic)
        if partition is not None and count is not None and partition >= count:
            raise FieldError("partition", f"Topic {topic!r} has partitions 0-{count - 1}; there is "
                                          f"no partition {partition}.")
        workload = Workload(
            topic=topic,
            count=self.int_value("count", "Count", low=0),
            rate=self.float_value("rate", "Rate"),
            key_mode=key_mode,
            value_size=self.int_value("value_size", "Value size", 100, low=0) or 0,
            headers=headers,
            partition=partition,
            value_content=str(self.value("content")),
            poison=poison,
        ).validate()
        return profile, workload

    def _partitions(self, topic: str) -> int | None:
        cluster = self.snapshot.cluster if self.snapshot is not None else None
        view = cluster.topic(topic) if cluster is not None else None
        return len(view.partitions) if view is not None and view.partitions else None

    def notes(self) -> dict[str, Note]:
        topic = str(self.value("topic"))
        notes: dict[str, Note] = {}
        if self._missing(topic):
            if self.value("create"):
                notes["topic"] = (f"{topic!r} does not exist yet: it is created first "
                                  f"({CREATE_PARTITIONS} partitions, RF {self._create_rf()}).",
                                  "info")
            else:
                notes["create"] = (f"Off: {topic!r} is missing, so the form cannot start.",
                                   "warning")
        elif self.existing is not None:
            count = self._partitions(topic)
            notes["topic"] = (f"{topic!r} exists ({count} partition{'s' if count != 1 else ''}).",
                              "info") if count else ("Where the records go.", "info")
        return notes

    def commands(self, result: ProducerRequest) -> Sequence[tuple[Command, str]]:
        profile, workload = result
        work: list[tuple[Command, str]] = []
        if self.value("create") and (self.existing is None or self._missing(workload.topic)):
            spec = TopicSpec(workload.topic, CREATE_PARTITIONS, self._create_rf()).validate()
            work.append((CreateTopic(spec=spec, exists_ok=True), f"create topic {workload.topic}"))
        # 'Create if missing' off: the engine asks the cluster, so a topic list the form has not
        # seen yet (the watcher catching up after a fault) cannot let a missing topic through
        work.append((StartProducer(profile=profile, workload=workload,
                                   require_topic=not self.value("create")),
                     f"start producer {profile.name}"))
        return work
