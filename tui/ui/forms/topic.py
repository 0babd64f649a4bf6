"""Create-topic form: partitions, replication factor, min.insync.replicas, unclean election.

Knowing the snapshot, it refuses what the cluster would refuse before anything is sent: a name that
is taken, more replicas than brokers, 0 partitions. With ``submits`` it creates the topic itself
(``exists_ok=False``, so a topic created meanwhile is an error in the form, not "done").
"""

from __future__ import annotations

from collections.abc import Sequence

from tui.engine import Command, CreateTopic, Snapshot, TopicSpec
from tui.ui.forms.base import Field, FieldError, FormScreen, Note
from tui.ui.forms.memory import store

CREATED_TOPIC = "topic-created"
"""Memory entry (this session only) naming the topic the form created last: a first producer
proposes it."""


def broker_count(snapshot: Snapshot | None) -> int | None:
    """Brokers the cluster has (the watcher's list, else the lab's nodes); None when unknown."""
    if snapshot is None:
        return None
    if snapshot.cluster is not None and snapshot.cluster.brokers:
        return len(snapshot.cluster.brokers)
    return len(snapshot.lab) or None


def topic_names(snapshot: Snapshot | None) -> frozenset[str] | None:
    """Topics the watcher sees; None when it has not read them (then nothing is refused)."""
    if snapshot is None or snapshot.cluster is None:
        return None
    return frozenset(t.name for t in snapshot.cluster.topics)


class TopicForm(FormScreen[TopicSpec]):
    form_id = "topic"
    title_text = "Create a topic"
    error_fields = (("topic name", "name"), ("already exists", "name"), ("partition", "partitions"),
                    ("replication factor", "rf"), ("broker", "rf"),
                    ("min.insync.replicas", "min_isr"))

    def __init__(self, brokers: int | None = None, name: str | None = None, *,
                 snapshot: Snapshot | None = None, submits: bool = False) -> None:
        super().__init__(context={"name": name} if name is not None else None, submits=submits)
        self.snapshot = snapshot
        self.brokers = brokers if brokers is not None else broker_count(snapshot)
        self.existing = topic_names(snapshot)
        rf = min(3, max(1, self.brokers or 1))
        known = f"this cluster has {self.brokers}" if self.brokers else "the broker count is unknown"
        self.fields = (
            Field("name", "Name", default=self._free_name("demo"), remember=False,
                  help="Letters, digits, '.', '_' and '-' (1-249)."),
            Field("partitions", "Partitions", "int", 6,
                  help="Units of order and parallelism: a group reads one partition with one "
                       "member; the count can grow later, never shrink."),
            Field("rf", "Replication factor", "int", rf,
                  help=f"Copies of each partition: RF 3 survives 2 broker losses; {known}."),
            Field("min_isr", "min.insync.replicas", "int", max(1, rf - 1) if rf > 1 else "",
                  help="Replicas an acks=all write needs: higher refuses writes sooner rather "
                       "than risk loss; empty: the broker default."),
            Field("unclean", "Unclean election", "switch", False,
                  help="Lets an out-of-sync replica lead: available again sooner, but "
                       "acknowledged writes can be lost."),
        )

    def _free_name(self, base: str) -> str:
        """``base``, or ``base-2``, ``base-3``... when the cluster has it already."""
        taken = self.existing or frozenset()
        return next(name for name in (base, *(f"{base}-{n}" for n in range(2, len(taken) + 3)))
                    if name not in taken)

    def build(self) -> TopicSpec:
        name = str(self.value("name"))
        if self.existing is not None and name in self.existing:
            raise FieldError("name", f"Topic {name!r} already exists; choose another name.")
        partitions = self.int_value("partitions", "Partitions", required=True, low=1)
        rf = self.int_value("rf", "The replication factor", required=True, low=1)
        if self.brokers is not None and rf is not None and rf > self.brokers:
            raise FieldError("rf", f"Replication factor {rf} needs {rf} brokers; this cluster has "
                                   f"{self.brokers}.")
        spec = TopicSpec(name=name, partitions=partitions or 0, replication_factor=rf or 0,
                         min_insync_replicas=self.int_value("min_isr", "min.insync.replicas"),
                         unclean_leader_election=bool(self.value("unclean")))
        return spec.validate()

    def notes(self) -> dict[str, Note]:
        notes: dict[str, Note] = {}
        if self.value("unclean"):
            notes["unclean"] = ("On: a replica that missed writes may lead; the verdict will show "
                                "what that lost.", "warning")
        return notes

    def commands(self, result: TopicSpec) -> Sequence[tuple[Command, str]]:
        return ((CreateTopic(spec=result, exists_ok=False), f"create topic {result.name}"),)

    def finished(self, result: TopicSpec) -> None:
        store(self.app, CREATED_TOPIC, {"name": result.name})
