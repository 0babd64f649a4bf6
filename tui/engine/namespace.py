"""Namespaces: a room of participants sharing one real cluster without touching each other's data.

An engine with a namespace ``alice`` accepts only commands whose topics and groups it writes, commits
or deletes start with ``alice.`` (transactional ids and dead-letter topics derive from those, so they
are inside too); forms and scenario runs name their resources with :meth:`Namespace.apply`. Reading
is not restricted (the record browser may read any topic): a namespace keeps participants from
colliding, it is not a permission system.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tui.engine.admin_ops import AlterTopicConfig, DeleteGroup, DeleteTopic, ResetOffsets
from tui.engine.commands import Command, LabAction
from tui.engine.consumer.commands import AddMember, SetErrorPolicy
from tui.engine.producer.commands import StartProducer
from tui.engine.share.commands import AddShareMember, SetShareGroupConfig
from tui.engine.topics import CreateTopic

SEPARATOR = "."


@dataclass(frozen=True)
class Namespace:
    name: str

    @property
    def prefix(self) -> str:
        return f"{self.name}{SEPARATOR}"

    def owns(self, resource: str) -> bool:
        return resource.startswith(self.prefix)

    def apply(self, resource: str) -> str:
        """``resource`` inside this namespace (unchanged when it already is)."""
        return resource if self.owns(resource) else f"{self.prefix}{resource}"

    def check(self, cmd: Command) -> None:
        """ValueError (one sentence) when ``cmd`` would write outside this namespace."""
        if isinstance(cmd, LabAction):
            raise ValueError(f"Node actions affect everyone sharing the cluster; namespace {self.name} "
                             "cannot break nodes.")
        for what, resource in _written(cmd):
            if not self.owns(resource):
                raise ValueError(f"In namespace {self.name} every topic and group starts with "
                                 f"{self.prefix!r}: {what} {resource!r} does not (try "
                                 f"{self.apply(resource)!r}).")


def _written(cmd: Command) -> Iterator[tuple[str, str]]:
    """(what, name) of every topic or group ``cmd`` writes to, commits in or deletes."""
    if isinstance(cmd, StartProducer):
        yield "topic", cmd.workload.topic
    elif isinstance(cmd, AddMember):
        yield "group", cmd.spec.group
        for topic in cmd.spec.topics:
            yield "topic", topic
        if cmd.spec.output_topic:
            yield "topic", cmd.spec.output_topic
        if cmd.spec.dead_letter_topic:  # the default <topic>.DLT is inside when its topic is
            yield "topic", cmd.spec.dead_letter_topic
    elif isinstance(cmd, SetErrorPolicy) and cmd.dead_letter_topic:
        yield "topic", cmd.dead_letter_topic
    elif isinstance(cmd, CreateTopic | DeleteTopic | AlterTopicConfig):
        yield "topic", cmd.spec.name if isinstance(cmd, CreateTopic) else cmd.topic
    elif isinstance(cmd, ResetOffsets | DeleteGroup | SetShareGroupConfig):
        yield "group", cmd.group
    elif isinstance(cmd, AddShareMember):
        yield "group", cmd.spec.group
        for topic in cmd.spec.topics:
            yield "topic", topic
