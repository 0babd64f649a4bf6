"""Error classification, filters, commands and view building from raw fetch results (no Kafka)."""

from __future__ import annotations

import time
from typing import Any, cast

import pytest
from confluent_kafka import KafkaError, KafkaException

from tests.unit import watcher_fakes as fakes
from tui.engine.context import Connection, EngineContext
from tui.engine.watcher.build import Plan, ViewBuilder, is_internal, shown_topics
from tui.engine.watcher.commands import (
    SetInterval,
    SetLagThreshold,
    ShowInternal,
    WatchGroups,
    WatchTopics,
    check_interval,
)
from tui.engine.watcher.fetch import (
    Fetcher,
    GroupDescription,
    MemberRaw,
    Metadata,
    Outcome,
    PartitionMeta,
    PartitionOffsets,
    classify,
    no_answer,
)
from tui.engine.watcher.views import WatchFilter
from tui.engine.watcher.watcher import Watcher


def err(code: int) -> KafkaException:
    return KafkaException(KafkaError(code))


@pytest.mark.parametrize(("code", "state"), [
    (KafkaError.GROUP_AUTHORIZATION_FAILED, "forbidden"),
    (KafkaError.TOPIC_AUTHORIZATION_FAILED, "forbidden"),
    (KafkaError.CLUSTER_AUTHORIZATION_FAILED, "forbidden"),
    (KafkaError.UNSUPPORTED_VERSION, "unsupported"),
    (KafkaError._UNSUPPORTED_FEATURE, "unsupported"),
    (KafkaError._TIMED_OUT, "stale"),
    (KafkaError.NOT_LEADER_FOR_PARTITION, "stale"),
])
def test_classify(code: int, state: str) -> None:
    got, message = classify(err(code), "the group list")
    assert got == state
    assert message.startswith("the group list")


def test_no_answer_only_for_silence() -> None:
    assert no_answer(err(KafkaError._TIMED_OUT))
    assert no_answer(err(KafkaError._TRANSPORT))
    assert not no_answer(err(KafkaError.NOT_LEADER_FOR_PARTITION))
    assert not no_answer(err(KafkaError.GROUP_AUTHORIZATION_FAILED))


def test_internal_topics_hidden_unless_asked() -> None:
    names = ["orders", "__consumer_offsets", "__transaction_state", "a"]
    assert is_internal("__consumer_offsets")
    assert shown_topics(names, WatchFilter()) == ["a", "orders"]
    assert shown_topics(names, WatchFilter(show_internal=True)) == sorted(names)
    assert shown_topics(names, WatchFilter(topics=("orders", "__consumer_offsets"))) == [
        "__consumer_offsets", "orders"]


def test_interval_bounds() -> None:
    assert check_interval(0.25) == 0.25
    for bad in (0.1, 31, "x"):
        with pytest.raises(ValueError, match="interval"):
            check_interval(bad)  # type: ignore[arg-type]


def test_commands_change_settings_without_a_cluster() -> None:
    w = Watcher(EngineContext(Connection("127.0.0.1:1")), interval=1.0)
    w.handle(SetInterval(2.5))
    w.handle(WatchGroups(("g1", "g2")))
    w.handle(WatchTopics(("t",)))
    w.handle(ShowInternal(True))
    w.handle(SetLagThreshold(5))
    assert w.interval == 2.5
    assert w.filter == WatchFilter(("g1", "g2"), ("t",), True)
    assert w.lag_threshold == 5
    with pytest.raises(ValueError, match="between"):
        w.handle(SetInterval(0.01))
    with pytest.raises(ValueError, match="empty"):
        w.handle(WatchGroups(("",)))
    assert w.view() is None


def _fetcher(now: float) -> Fetcher:
    f = Fetcher(cast(Any, None))
    f.begin_tick(now)
    f.metadata = Metadata("cid", {1: ("h", 1), 2: ("h", 2)},
                          {"t": {0: PartitionMeta(1, (1, 2), (1, 2), None),
                                 1: PartitionMeta(-1, (2, 1), (2,), "LEADER_NOT_AVAILABLE")},
                           "__consumer_offsets": {0: PartitionMeta(1, (1,), (1,), None)}},
                          {}, now)
    f.metadata_outcome = Outcome("ok", "", now)
    f.offsets[("t", 0)] = PartitionOffsets(2, 100, 90, now)
    f.offsets[("t", 1)] = PartitionOffsets(0, 50, 50, now - 10)  # from an older refresh
    f.outcomes[("offsets", 1)] = Outcome("ok", "", now)
    f.outcomes[("offsets", 2)] = Outcome("stale", "offsets of partitions led by broker 2 timed out",
                                         now, unreachable=True)
    f.health.answered(1, now)
    f.health.no_answer(2, now - 10)  # silent for 10 s: past its budget
    f.descriptions["g"] = GroupDescription(
        "g", "consumer", "Stable", "uniform", False, 1,
        (MemberRaw("m1", "c1", "/1.2.3.4", None, (("t", 0),), (("t", 0), ("t", 1))),), now)
    f.outcomes[("describe-group", "g")] = Outcome("ok", "", now)
    f.outcomes[("describe", 1)] = Outcome("ok", "", now)
    f.commits["g"] = {("t", 0): 40, ("t", 1): None}
    f.commits_at["g"] = now
    f.outcomes[("commits", "g")] = Outcome("ok", "", now)
    return f


def test_view_from_raw_results() -> None:
    now = time.time()
    f = _fetcher(now)
    plan = Plan(now, offsets_keys=[("offsets", 1), ("offsets", 2)], describe_keys=[("describe", 1)],
                commit_keys=[("commits", "g")], groups=["g"])
    v = ViewBuilder().build(f, plan, WatchFilter(), seq=1, interval=1.0,
                            known_brokers={3: ("h", 3)}, controller=2, lag_threshold=10, requests=4)
    assert [t.name for t in v.topics] == ["t"]
    p0, p1 = v.topics[0].partitions
    assert (p0.leader, p0.high_watermark, p0.last_stable, p0.log_start) == (1, 100, 90, 2)
    assert not p0.offsets_stale
    assert p0.records == 98
    assert p1.offline
    assert p1.leader is None
    assert p1.offsets_stale
    states = {b.node_id: b.state for b in v.brokers}
    assert states == {1: "up", 2: "unreachable", 3: "fenced-or-missing"}
    controller = v.broker(2)
    assert controller is not None
    assert controller.is_controller
    assert v.section("offsets").state == "stale"
    assert "broker 2" in v.section("offsets").message
    assert v.section("topics").state == "ok"
    g = v.group("g")
    assert g is not None
    assert (g.type, g.state, g.assignor, g.total_lag, g.stale) == ("consumer", "Stable", "uniform", 60, False)
    assert g.members[0].target_assignment == (("t", 0), ("t", 1))
    assert [(p.partition, p.committed, p.lag, p.member_id) for p in g.partitions] == [
        (0, 40, 60, "m1"), (1, None, None, None)]
    assert v.series.group_lag["g"] == (60,)
    assert v.series.partition_high_watermark[("t", 0)] == (100,)


def test_forbidden_section_is_marked_and_rest_kept() -> None:
    now = time.time()
    f = _fetcher(now)
    f.outcomes[("commits", "g")] = Outcome("forbidden", "offsets of group g is not allowed", now)
    f.commits_at["g"] = now - 5
    plan = Plan(now, offsets_keys=[("offsets", 1)], describe_keys=[("describe", 1)],
                commit_keys=[("commits", "g")], groups=["g"])
    v = ViewBuilder().build(f, plan, WatchFilter(), seq=1, interval=1.0, known_brokers={},
                            controller=None, lag_threshold=10, requests=3)
    assert v.section("group-offsets").state == "forbidden"
    assert v.section("offsets").state == "ok"
    g = v.group("g")
    assert g is not None
    assert g.stale
    assert "not allowed" in (g.error or "")
    assert g.total_lag == 60  # the last known commits are still shown
    assert all(b.is_controller is None for b in v.brokers)


def test_a_leader_of_hidden_partitions_only_leaves_the_offsets_section() -> None:
    """A broker that leads only partitions nobody shows (internal topics) is never asked for their
    offsets: an old failed answer of its must not hold the section stale while it leads them."""
    now = time.time()
    w = Watcher(EngineContext(Connection("127.0.0.1:1")), interval=1.0)
    f = fakes.fetcher(now, brokers=(1, 2))
    assert f.metadata is not None
    hidden = {0: PartitionMeta(2, (2, 1), (2, 1), None)}
    f.metadata = Metadata("cid", f.metadata.brokers, {**f.metadata.topics, "__consumer_offsets": hidden},
                          {}, now, None)
    f.outcomes[("offsets", 2)] = Outcome("stale", "offsets of partitions led by broker 2 failed: "
                                         "Broker: Leader epoch is older than broker epoch", now)
    plan = Plan(now)
    assert w._issue_offsets(f, plan, WatchFilter(), 1.0)
    assert plan.offsets_keys == [("offsets", 1)]
    assert ("offsets", 2) not in f.outcomes
    # once it leads a shown partition again it is asked, and its section key is back
    moved = {p: PartitionMeta(2, (2, 1), (2, 1), None) for p in f.metadata.topics["t"]}
    f.metadata = Metadata("cid", f.metadata.brokers, {**f.metadata.topics, "t": moved}, {}, now,
                          frozenset({"t"}))
    plan = Plan(now)
    assert w._issue_offsets(f, plan, WatchFilter(), 1.0)
    assert ("offsets", 2) in plan.offsets_keys
