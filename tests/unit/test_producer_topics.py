"""TopicSpec validation (no cluster)."""

from __future__ import annotations

import pytest

from tui.engine.topics import TopicError, TopicSpec


def test_config_carries_min_isr_and_unclean() -> None:
    spec = TopicSpec("t", 3, 3, min_insync_replicas=2, unclean_leader_election=True,
                     config={"retention.ms": "1000"}).validate()
    assert spec.topic_config() == {"min.insync.replicas": "2", "unclean.leader.election.enable": "true",
                                   "retention.ms": "1000"}


def test_replica_assignment_sets_rf() -> None:
    assert TopicSpec("t", replica_assignment=((1, 2), (2, 3))).validate().effective_replication_factor == 2


@pytest.mark.parametrize(("spec", "pattern"), [
    (TopicSpec("bad name"), "invalid"),
    (TopicSpec("t", partitions=0), "at least 1 partition"),
    (TopicSpec("t", replication_factor=2, min_insync_replicas=3), "could never succeed"),
    (TopicSpec("t", replica_assignment=((1, 1),)), "same broker twice"),
    (TopicSpec("t", replica_assignment=((1, 2), (1,))), "same number"),
])
def test_invalid_specs(spec: TopicSpec, pattern: str) -> None:
    with pytest.raises(TopicError, match=pattern):
        spec.validate()
