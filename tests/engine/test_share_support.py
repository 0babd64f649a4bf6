"""Helpers for the share-group tests (not a test module itself): a lab that can run share groups, an
engine on it, topics with records, and waits on share members.

Share groups need Kafka 4.2+: on an older lab every share test is skipped with the reason (librdkafka's
share consumer busy-loops against 4.1, flooding the broker log).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import unique, wait_until
from tui.engine import (
    AddShareMember,
    CreateTopic,
    Engine,
    ProducerProfile,
    RunScope,
    SetShareGroupConfig,
    ShareMemberSpec,
    ShareMemberView,
    StartProducer,
    TopicSpec,
    Verdict,
    Workload,
    parse_key_mode,
)
from tui.engine.context import Connection
from tui.engine.history import ConsumerEvent, ConsumerEventKind
from tui.lab import LabCluster
from tui.lab.versions import has_share_groups


def require_share_groups(lab: LabCluster) -> LabCluster:
    """The lab itself, or a skip with the reason when its Kafka is older than 4.2 (call it from a
    module's ``share_lab`` fixture)."""
    version = lab.spec.kafka_version
    if not has_share_groups(version):
        pytest.skip(f"share groups need Kafka 4.2 or newer; the lab runs Kafka {version} "
                    "(KX_TEST_LAB1_DIR=<a 4.4.0 lab> runs these tests)")
    return lab


def engine_on(lab: LabCluster) -> Iterator[Engine]:
    """An engine on the lab (no watcher), closed at the end (for a module's ``engine`` fixture)."""
    with Engine(Connection(lab.bootstrap, lab_dir=lab.dir), watch=False) as eng:
        yield eng


def topic_with_records(engine: Engine, count: int, partitions: int = 1, producer: str | None = None,
                       keys: str = "none") -> tuple[str, str]:
    """A fresh topic holding ``count`` records of a fresh producer (``keys``: a key mode, e.g. cycle:2
    to fill two partitions); returns (topic, producer name)."""
    topic = unique("share-t")
    name = producer or unique("p")
    engine.call(CreateTopic(TopicSpec(topic, partitions=partitions)), timeout=20)
    if count:
        engine.call(StartProducer(ProducerProfile(name=name), Workload(topic=topic, count=count,
                                                                           key_mode=parse_key_mode(keys))),
                    timeout=20)
        assert engine.wait_producer(name, 30), "the producer did not get every delivery report"
    return topic, name


def share_group(engine: Engine, lock_ms: int = 6000, limit: int | None = None) -> str:
    group = unique("share-g")
    engine.call(SetShareGroupConfig(group, auto_offset_reset="earliest", lock_duration_ms=lock_ms,
                                    delivery_count_limit=limit), timeout=20)
    return group


def add(engine: Engine, spec: ShareMemberSpec) -> str:
    return str(engine.call(AddShareMember(spec), timeout=20))


def member(engine: Engine, name: str) -> ShareMemberView:
    view = engine.snapshot().shares.member(name)
    assert view is not None, f"no share member {name}"
    return view


def events(engine: Engine, member_name: str | None = None, kind: ConsumerEventKind | None = None
           ) -> list[ConsumerEvent]:
    return [e for e in engine.shares.history()
            if (member_name is None or e.member == member_name) and (kind is None or e.kind is kind)]


def wait_done(engine: Engine, names: list[str], records: int, timeout: float = 40.0) -> None:
    """Until the members together finished (accepted or rejected, and confirmed) ``records`` records."""
    def done() -> bool:
        views = [member(engine, n) for n in names]
        return (sum(v.accepted + v.rejected for v in views) >= records
                and all(v.in_flight == 0 for v in views))
    wait_until(done, timeout, message=f"{', '.join(names)} to finish {records} records")


def judge(engine: Engine, topic: str, group: str) -> Verdict:
    """The verdict on one test's topic and share group only (the engine is shared by the module)."""
    return engine.judge([topic], scope=RunScope(topics=(topic,), groups=(group,)), timeout=60)
