"""Scripted inputs for the watcher's pure parts: a fetcher filled by hand, and an admin stand-in whose
``list_offsets`` answers from a script (through the public-API fallback of ``fetch.list_offsets``).

Not a Kafka mock for Kafka-facing behaviour: the real-cluster tests cover that. These feed the
view builder and diff the exact raw results real brokers were seen to give (sentinel offsets,
transport errors, silence).
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from tui.engine.watcher.build import Plan, ViewBuilder
from tui.engine.watcher.fetch import Fetcher
from tui.engine.watcher.raw import GroupDescription, Metadata, Outcome, PartitionMeta
from tui.engine.watcher.views import ClusterView, WatchFilter

PENDING = object()
"""A scripted answer that never comes (a paused broker)."""
Answer = Callable[[str, int, str], Any]
"""(topic, partition, spec 'latest'|'earliest') -> offset, exception or PENDING."""


def transport_error() -> KafkaException:
    return KafkaException(KafkaError(KafkaError._TRANSPORT))


class ScriptedAdmin:
    """Answers ``list_offsets`` from ``answer``; everything else is unused by these tests."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.calls = 0

    def list_offsets(self, request: dict[TopicPartition, Any], isolation_level: Any = None,
                     request_timeout: float = 0) -> dict[TopicPartition, concurrent.futures.Future[Any]]:
        self.calls += 1
        out: dict[TopicPartition, concurrent.futures.Future[Any]] = {}
        for tp, spec in request.items():
            fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
            kind = "earliest" if int(spec._value) == -2 else "latest"
            value = self.answer(tp.topic, tp.partition, kind)
            if isinstance(value, BaseException):
                fut.set_exception(value)
            elif value is not PENDING:
                fut.set_result(SimpleNamespace(offset=value))
            out[tp] = fut
        return out


def fetcher(now: float, partitions: int = 2, brokers: tuple[int, ...] = (1,), topic: str = "t",
            answer: Answer | None = None) -> Fetcher:
    """A fetcher whose metadata says ``topic`` has ``partitions`` partitions led by ``brokers[0]``."""
    admin = ScriptedAdmin(answer or (lambda t, p, kind: 0 if kind == "earliest" else 10))
    f = Fetcher(cast(Any, admin))
    f.begin_tick(now)
    f.metadata = Metadata("cid", {b: ("127.0.0.1", 9000 + b) for b in brokers},
                          {topic: {p: PartitionMeta(brokers[0], brokers, brokers, None)
                                   for p in range(partitions)}}, {}, now, None)
    f.metadata_outcome = Outcome("ok", "", now)
    return f


def read_offsets(f: Fetcher, leader: int = 1) -> None:
    """Issue one offsets call for every partition led by ``leader`` and apply what is answered."""
    md = f.metadata
    assert md is not None
    tps = sorted((t, p) for t, parts in md.topics.items() for p, m in parts.items()
                 if m.leader == leader)
    f.issue_offsets(leader, tps)
    f.collect()


def with_group(f: Fetcher, gid: str, commits: dict[tuple[str, int], int | None], at: float,
               state: str = "Empty") -> None:
    f.descriptions[gid] = GroupDescription(gid, "classic", state, "", False, 1, (), at)
    f.outcomes[("describe-group", gid)] = Outcome("ok", "", at)
    f.commits[gid] = dict(commits)
    f.commits_at[gid] = at
    f.outcomes[("commits", gid)] = Outcome("ok", "", at)


def build(builder: ViewBuilder, f: Fetcher, now: float, seq: int, groups: tuple[str, ...] = (),
          known: dict[int, tuple[str, int]] | None = None) -> ClusterView:
    md = f.metadata
    leaders = sorted(md.brokers) if md is not None else []
    plan = Plan(now, offsets_keys=[("offsets", b) for b in leaders],
                describe_keys=[("describe", 1)] if groups else [],
                commit_keys=[("commits", g) for g in groups], groups=list(groups))
    return builder.build(f, plan, WatchFilter(), seq=seq, interval=1.0, known_brokers=known or {},
                         controller=None, lag_threshold=1000, requests=0, now=now)
