"""The verdict learns each topic's min.insync.replicas and unclean-election setting from the cluster."""

from __future__ import annotations

from tests.helpers import unique
from tui.engine.evidence import topic_guarantees
from tui.engine.topics import TopicSpec, create_topic
from tui.kafka import clients
from tui.lab import LabCluster


def test_topic_guarantees_read_back(lab1: LabCluster) -> None:
    conf = {"bootstrap.servers": lab1.bootstrap}
    admin = clients.admin(conf)
    strict, loose = unique("guar-strict"), unique("guar-unclean")
    create_topic(admin, TopicSpec(strict, partitions=1, replication_factor=1, min_insync_replicas=1),
                 timeout=20)
    min_insync, unclean = topic_guarantees(conf, [strict], timeout=10)
    assert min_insync == {strict: 1}
    assert unclean == set()
    create_topic(admin, TopicSpec(loose, partitions=1, replication_factor=1,
                                  unclean_leader_election=True), timeout=20)
    min_insync, unclean = topic_guarantees(conf, [strict, loose], timeout=10)
    assert set(min_insync) == {strict, loose}
    assert unclean == {loose}  # judged per topic: the strict one stays strict


def test_unknown_topic_gives_no_settings(lab1: LabCluster) -> None:
    min_insync, unclean = topic_guarantees({"bootstrap.servers": lab1.bootstrap},
                                           [unique("no-such-topic")], timeout=5)
    assert min_insync == {}
    assert unclean == set()
