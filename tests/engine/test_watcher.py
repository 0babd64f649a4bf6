"""The watcher on the real 1-node lab: offsets, filters, and groups run by Kafka's own Java clients
compared with what Kafka's own ConsumerGroupCommand prints for them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

from tests.helpers import unique, wait_until
from tui.engine.context import Connection, EngineContext
from tui.engine.events import Subscription
from tui.engine.watcher.commands import ShowInternal, WatchTopics
from tui.engine.watcher.views import ClusterView, GroupView
from tui.engine.watcher.watcher import Watcher
from tui.kafka import clients
from tui.lab import LabCluster
from tui.lab.jars import classpath, ensure_jars
from tui.lab.java import java_executable

pytestmark = pytest.mark.kafka

GROUP_COMMAND = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer"
PARTITIONS = 3
PER_PARTITION = 20


def java_tool(main_class: str, *args: str) -> list[str]:
    libs: Path = ensure_jars()
    return [java_executable(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-cp", classpath(libs), main_class, *args]


def run_tool(main_class: str, *args: str) -> str:
    return subprocess.run(java_tool(main_class, *args), capture_output=True, text=True, timeout=120,
                          check=True).stdout


def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    """Create a topic and wait until the broker's metadata lists every partition with a leader
    (KRaft answers CreateTopics before the broker has applied it)."""
    admin = clients.admin({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=15)[name].result(30)

    def listed() -> bool:
        topic = admin.list_topics(name, timeout=5).topics.get(name)
        return topic is not None and topic.error is None and len(topic.partitions) == partitions \
            and all(p.leader >= 0 for p in topic.partitions.values())
    wait_until(listed, 30, message=f"topic {name} in the metadata")


def produce(bootstrap: str, topic: str, per_partition: int, partitions: int) -> None:
    producer = clients.producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    for i in range(per_partition * partitions):
        producer.produce(topic, b"v%d" % i, partition=i % partitions)
    assert producer.flush(20) == 0


def wait_view(watcher: Watcher, pred: object, timeout: float, message: str) -> ClusterView:
    def check() -> ClusterView | None:
        v = watcher.view()
        return v if v is not None and pred(v) else None  # type: ignore[operator]
    return wait_until(check, timeout, message=message)


@pytest.fixture(scope="module")
def watcher(lab1: LabCluster) -> Iterator[Watcher]:
    w = Watcher(EngineContext(Connection(lab1.bootstrap, lab_dir=lab1.dir)), interval=0.5)
    w.start()
    yield w
    w.close(5)


def test_offsets_filters_and_internal_topics(lab1: LabCluster, watcher: Watcher) -> None:
    topic = unique("wx-off")
    create_topic(lab1.bootstrap, topic, PARTITIONS)
    produce(lab1.bootstrap, topic, PER_PARTITION, PARTITIONS)
    admin = clients.admin({"bootstrap.servers": lab1.bootstrap})
    admin.delete_records([TopicPartition(topic, 1, 5)])[TopicPartition(topic, 1, 5)].result(30)
    # a commit makes Kafka create __consumer_offsets: on a fresh lab it does not exist yet
    committer = clients.consumer({"bootstrap.servers": lab1.bootstrap, "group.id": unique("wx-off-g"),
                                  "enable.auto.commit": False})
    try:
        committer.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)
    finally:
        committer.close()
    view = wait_view(watcher, lambda v: (t := v.topic(topic)) is not None and not any(
        p.offsets_stale for p in t.partitions) and t.partitions[1].log_start == 5, 20,
        "the watcher to read the new topic's offsets")
    parts = view.topic(topic).partitions  # type: ignore[union-attr]
    assert [p.high_watermark for p in parts] == [PER_PARTITION] * PARTITIONS
    assert [p.last_stable for p in parts] == [PER_PARTITION] * PARTITIONS
    assert [p.log_start for p in parts] == [0, 5, 0]
    assert parts[1].records == PER_PARTITION - 5
    assert all(p.leader == 1 and p.isr == (1,) and not p.offline for p in parts)
    assert view.broker(1) is not None
    assert view.broker(1).state == "up"  # type: ignore[union-attr]
    assert view.broker(1).is_controller is True  # type: ignore[union-attr]
    assert view.ok, [s for s in view.sections if s.state != "ok"]
    assert view.topic("__consumer_offsets") is None
    assert len(view.series.partition_high_watermark[(topic, 0)]) >= 1

    watcher.handle(WatchTopics((topic,)))
    watcher.handle(ShowInternal(True))
    try:
        narrowed = wait_view(watcher, lambda v: v.filter.topics == (topic,) and v.seq > view.seq, 10,
                             "the narrowed view")
        assert [t.name for t in narrowed.topics] == [topic]
        watcher.handle(WatchTopics(()))
        wide = wait_view(watcher, lambda v: not v.filter.topics and v.filter.show_internal, 10,
                         "the view with internal topics")
        internal = wide.topic("__consumer_offsets")
        assert internal is not None
        assert internal.internal
    finally:
        watcher.handle(WatchTopics(()))
        watcher.handle(ShowInternal(False))


# ---- groups run by Kafka's own clients --------------------------------------------------------


@dataclass
class ToolRow:
    topic: str
    partition: int
    current: int | None
    end: int
    lag: int | None
    consumer_id: str | None
    host: str | None
    client_id: str | None


def parse_offsets(output: str, group: str) -> dict[tuple[str, int], ToolRow]:
    """Rows of ``--describe``: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST
    CLIENT-ID ('-' for none)."""
    rows = {}
    for line in output.splitlines():
        cols = line.split()
        if len(cols) == 9 and cols[0] == group and cols[2].isdigit():
            def opt(text: str) -> str | None:
                return None if text == "-" else text
            rows[(cols[1], int(cols[2]))] = ToolRow(
                cols[1], int(cols[2]), int(cols[3]) if cols[3].isdigit() else None, int(cols[4]),
                int(cols[5]) if cols[5].lstrip("-").isdigit() else None, opt(cols[6]), opt(cols[7]),
                opt(cols[8]))
    return rows


def parse_state(output: str, group: str) -> tuple[str, str, int]:
    """(assignment strategy, state, #members) from ``--describe --state``."""
    for line in output.splitlines():
        cols = line.split()
        if cols and cols[0] == group and cols[-1].isdigit():
            strategy = cols[3] if len(cols) == 6 else ""
            return ("" if strategy == "-" else strategy), cols[-2], int(cols[-1])
    raise AssertionError(f"group {group} not in --state output:\n{output}")


@dataclass
class ForeignGroups:
    topic: str
    classic: str
    kip848: str
    simple: str
    view: ClusterView
    offsets_output: str
    state_output: str
    procs: dict[str, subprocess.Popen[bytes]]
    events: Subscription


def _settled(v: ClusterView, fg: ForeignGroups, topic: str) -> bool:
    def ok(gid: str, members: int) -> GroupView | None:
        g = v.group(gid)
        if g is None or g.stale or g.state != ("Stable" if members else "Empty"):
            return None
        if len(g.members) != members:
            return None
        if members and sum(len(m.assignment) for m in g.members) != PARTITIONS:
            return None
        return g if all(p.committed is not None for p in g.partitions) and len(g.partitions) == PARTITIONS \
            else None
    classic, kip848 = ok(fg.classic, 1), ok(fg.kip848, 1)
    return bool(classic and kip848 and ok(fg.simple, 0)
                and classic.total_lag == 0 and kip848.total_lag == 0)


@pytest.fixture(scope="module")
def foreign(lab1: LabCluster, watcher: Watcher) -> Iterator[ForeignGroups]:
    topic = unique("wx-foreign")
    create_topic(lab1.bootstrap, topic, PARTITIONS)
    produce(lab1.bootstrap, topic, PER_PARTITION, PARTITIONS)
    fg = ForeignGroups(topic, unique("wx-classic"), unique("wx-848"), unique("wx-simple"),
                       ClusterView(), "", "", {}, watcher.ctx.bus.subscribe(kinds=("group.",)))
    procs = fg.procs
    try:
        for group, extra in ((fg.classic, []), (fg.kip848, ["--consumer-property",
                                                            "group.protocol=consumer"])):
            cmd = java_tool(CONSOLE_CONSUMER, "--bootstrap-server", lab1.bootstrap, "--topic", topic,
                            "--group", group, "--from-beginning",
                            "--consumer-property", f"client.id=cli-{group[-6:]}",
                            "--consumer-property", "auto.commit.interval.ms=300", *extra)
            procs[group] = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            stdin=subprocess.DEVNULL)
        # a "simple" group: offsets committed without membership (an assign-only client)
        committer = clients.consumer({"bootstrap.servers": lab1.bootstrap, "group.id": fg.simple,
                                      "enable.auto.commit": False})
        committer.commit(offsets=[TopicPartition(topic, p, 7) for p in range(PARTITIONS)],
                         asynchronous=False)
        committer.close()
        fg.view = wait_view(watcher, lambda v: _settled(v, fg, topic), 90,
                            "both console consumers to consume everything and commit")
        # only these groups: another test's group over a deleted topic makes --all-groups fail
        mine = [arg for g in (fg.classic, fg.kip848, fg.simple) for arg in ("--group", g)]
        fg.offsets_output = run_tool(GROUP_COMMAND, "--bootstrap-server", lab1.bootstrap, "--describe",
                                     *mine)
        fg.state_output = run_tool(GROUP_COMMAND, "--bootstrap-server", lab1.bootstrap, "--describe",
                                   *mine, "--state")
        # the watcher's view from after the tool ran (nothing moves any more)
        after = fg.view.seq
        fg.view = wait_view(watcher, lambda v: v.seq > after + 1 and _settled(v, fg, topic), 20,
                            "a fresh view")
        yield fg
    finally:
        fg.events.close()
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.mark.parametrize("which", ["classic", "kip848", "simple"])
def test_group_matches_consumer_group_command(foreign: ForeignGroups, which: str) -> None:
    gid = getattr(foreign, which)
    group = foreign.view.group(gid)
    assert group is not None
    rows = parse_offsets(foreign.offsets_output, gid)
    assert set(rows) == {(foreign.topic, p) for p in range(PARTITIONS)}, foreign.offsets_output
    mine = {(p.topic, p.partition): p for p in group.partitions}
    assert set(mine) == set(rows)
    members = {m.member_id: m for m in group.members}
    for key, row in rows.items():
        assert mine[key].committed == row.current
        assert mine[key].high_watermark == row.end
        assert mine[key].lag == row.lag
        assert mine[key].member_id == row.consumer_id
        if row.consumer_id is not None:
            member = members[row.consumer_id]
            assert member.host == row.host
            assert member.client_id == row.client_id
            assert key in member.assignment
    strategy, state, count = parse_state(foreign.state_output, gid)
    assert group.state == state
    assert len(group.members) == count
    assert group.assignor == strategy
    if which == "simple":
        assert group.total_lag == (PER_PARTITION - 7) * PARTITIONS
        assert not group.members


def test_kip848_group_shows_type_consumer(foreign: ForeignGroups) -> None:
    group = foreign.view.group(foreign.kip848)
    assert group is not None
    assert group.type == "consumer"
    assert group.assignor == "uniform"  # the broker-side default assignor
    (member,) = group.members
    assert member.target_assignment == member.assignment


def test_classic_group_shows_its_assignor(foreign: ForeignGroups) -> None:
    group = foreign.view.group(foreign.classic)
    assert group is not None
    assert group.type == "classic"
    assert group.assignor == "range"  # the Java client's first default strategy
    (member,) = group.members
    assert member.target_assignment is None


def test_group_events_from_another_client(foreign: ForeignGroups) -> None:
    """The Java consumer joining showed up as member-joined, rebalanced and committed; stopping it
    shows up as member-left. (Runs last among the tests that use ``foreign``: it stops a member.)"""
    seen: list[str] = []

    def collect() -> list[str]:
        seen.extend(e.kind for e in foreign.events.drain() if e.data.get("group") == foreign.classic)
        return seen
    wanted = {"group.member-joined", "group.rebalanced", "group.committed"}
    wait_until(lambda: wanted <= set(collect()), 20, message=f"join/rebalance/commit events, saw {seen}")
    proc = foreign.procs[foreign.classic]
    proc.terminate()
    proc.wait(30)
    wait_until(lambda: "group.member-left" in collect(), 30, message="the member-left event")


# ---- through the engine facade and the headless command ---------------------------------------


def test_engine_routes_watcher_commands_and_snapshots_carry_the_view(lab1: LabCluster) -> None:
    from tui.engine.engine import Engine
    from tui.engine.watcher.commands import SetInterval, WatchGroups

    with Engine(Connection(lab1.bootstrap), watch_interval=0.5) as engine:
        engine.call(SetInterval(0.25), timeout=10)
        engine.call(WatchGroups(("no-such-group-xyz",)), timeout=10)
        with pytest.raises(ValueError, match="between"):
            engine.call(SetInterval(100), timeout=10)
        snap = wait_until(lambda: (s := engine.snapshot()).cluster is not None
                          and s.cluster.filter.groups == ("no-such-group-xyz",)
                          and not s.cluster.groups[0].stale and s or None, 20,
                          message="a snapshot with the narrowed watcher view, the group described")
        assert snap.cluster.interval == 0.25
        assert [g.group_id for g in snap.cluster.groups] == ["no-such-group-xyz"]
        assert snap.cluster.groups[0].state == "Dead"
        assert not snap.cluster.groups[0].members


def _headless(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    import argparse

    from tui.connect import add_connection_arguments
    from tui.headless import watch

    parser = argparse.ArgumentParser()
    add_connection_arguments(parser)
    watch.add_arguments(parser)
    code = watch.run(parser.parse_args(list(argv)))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_headless_watch_prints_summary_and_events_as_json(
        lab1: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import threading

    topic = unique("wx-cli")
    create_topic(lab1.bootstrap, topic, 2)
    # a topic created while the command runs must show up as an event line
    late = unique("wx-cli-late")
    timer = threading.Timer(1.5, create_topic, (lab1.bootstrap, late, 1))
    timer.start()
    try:
        code, lines, err = _headless(capsys, "-b", lab1.bootstrap, "--json", "--duration", "4",
                                     "--interval", "0.5")
    finally:
        timer.join()
    assert code == 0, err
    records = [json.loads(line) for line in lines]
    summary = records[0]
    assert summary["kind"] == "snapshot"
    assert {"name": topic, "partitions": 2}.items() <= next(
        t for t in summary["topics"] if t["name"] == topic).items()
    assert summary["brokers"][0]["state"] == "up"
    assert all(not t["name"].startswith("__") for t in summary["topics"])
    created = [r for r in records[1:] if r["kind"] == "topic.created" and r["data"]["topic"] == late]
    assert created, records[1:]


def test_headless_watch_fails_in_one_sentence(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from tui.headless import watch

    monkeypatch.setattr(watch, "FIRST_VIEW_TIMEOUT", 2.0)
    code, lines, err = _headless(capsys, "-b", "127.0.0.1:1", "--duration", "5")
    assert code == 1
    assert lines == []
    assert err.startswith("kafka-explorer: Cannot watch 127.0.0.1:1:")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    code, _, err = _headless(capsys, "-b", "127.0.0.1:1", "--interval", "0.1")
    assert code == 1
    assert "between 0.25 and 30" in err
