"""Namespaces keep participants on a shared cluster apart: writes outside are refused, and scenario
runs name their topics and groups inside."""

from __future__ import annotations

import pytest

from tests.scenarios.fake_driver import FakeDriver
from tui.engine import (
    AddMember,
    Connection,
    CreateTopic,
    Engine,
    LabAction,
    MemberSpec,
    ProducerProfile,
    StartProducer,
    TopicSpec,
    Workload,
)
from tui.engine.namespace import Namespace
from tui.scenario.load import loads
from tui.scenario.runner import ScenarioRun


def test_writes_outside_the_namespace_are_refused_with_the_right_name() -> None:
    space = Namespace("alice")
    space.check(CreateTopic(TopicSpec("alice.orders")))
    with pytest.raises(ValueError, match="try 'alice.orders'"):
        space.check(CreateTopic(TopicSpec("orders")))
    with pytest.raises(ValueError, match="group 'g'"):
        space.check(AddMember(MemberSpec(group="g", topics=("alice.orders",))))
    with pytest.raises(ValueError, match="topic 'bob.orders'"):
        space.check(AddMember(MemberSpec(group="alice.g", topics=("bob.orders",))))
    with pytest.raises(ValueError, match="cannot break nodes"):
        space.check(LabAction(1, "kill"))
    assert space.apply("orders") == "alice.orders"
    assert space.apply("alice.orders") == "alice.orders"


def test_the_engine_refuses_through_the_future() -> None:
    engine = Engine(Connection("127.0.0.1:1"), watch=False, namespace="alice")
    future = engine.submit(StartProducer(ProducerProfile("p"), Workload("orders", count=1)))
    with pytest.raises(ValueError, match="namespace alice"):
        future.result(1)
    assert engine.in_namespace("orders") == "alice.orders"


SCENARIO = """
title: t
goal: g
topics: [{name: work}]
steps:
  - produce: {name: p, topic: work, count: 5}
  - start-members: {group: workers, topic: work, name: m}
"""


def test_scenario_runs_name_their_topics_and_groups_inside_the_namespace() -> None:
    driver = FakeDriver(nodes=1)
    driver.namespace = "room1"
    run = ScenarioRun(loads(SCENARIO, "s.yaml"), driver=driver, run_suffix="abc")
    run.run_all()
    assert ("topic", "room1.work-abc") in driver.calls
    assert ("member", "m-abc", "room1.workers-abc", ("room1.work-abc",)) in driver.calls
    assert run.names()["work"] == "room1.work-abc"
    assert run.names()["workers"] == "room1.workers-abc"
