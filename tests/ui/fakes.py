"""A fake engine with scripted snapshots, for SVG snapshot tests and fast Pilot tests.

It implements the UI's port (:class:`tui.ui.port.EnginePort`: ``submit``, ``snapshot``,
``subscribe``) and nothing else, and its snapshots are built from the engine's real frozen view
classes, so a renamed view field breaks these tests instead of silently rendering dashes. Moving to
the next snapshot publishes the change events the real watcher would (its own ``diff``), so panes
that highlight changes see what they see on a live cluster.
"""

from __future__ import annotations

import io
import itertools
import threading
from concurrent.futures import Future
from typing import Any

from rich.console import Console

from tui.engine import (
    Anomaly,
    BrokerView,
    ClusterView,
    Command,
    ConnectionView,
    ConsumedRecordView,
    ConsumersView,
    DeliveryReportView,
    ErrorCount,
    Event,
    Explain,
    GroupMemberView,
    GroupPartitionView,
    GroupView,
    Judge,
    LabNodeView,
    MemberPartitionView,
    MemberView,
    PartitionView,
    ProducersView,
    RunnerView,
    SectionStatus,
    SeriesView,
    Snapshot,
    TopicView,
    Verdict,
    VerdictSummary,
    WatchLane,
)
from tui.engine.watcher.diff import diff
from tui.ui.port import EnginePort

T0 = 1_767_225_600.0
"""A fixed wall time (2026-01-01 00:00 UTC) so rendered clocks never change."""


def plain(widget: object) -> str:
    """What a Static shows, as plain text (for assertions)."""
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)  # type: ignore[attr-defined]
    return console.export_text()


class FakeSubscription:
    def __init__(self, events: list[Event]) -> None:
        self._events = list(events)
        self.dropped = 0
        self._lock = threading.Lock()

    def push(self, events: list[Event]) -> None:
        with self._lock:
            self._events.extend(events)

    def drain(self, limit: int | None = None) -> list[Event]:
        with self._lock:
            count = len(self._events) if limit is None else min(limit, len(self._events))
            out, self._events = self._events[:count], self._events[count:]
        return out

    def close(self) -> None:
        return None


class FakeEngine:
    """Serves ``snapshots[i]``; ``advance()`` moves to the next one. Commands are recorded.

    ``Judge`` resolves with ``verdict_result`` (an error when it is None), ``Explain`` with scripted
    lines; ``fail`` makes every command of a type fail with that sentence.
    """

    def __init__(self, snapshots: list[Snapshot], events: list[Event] | None = None,
                 fail: dict[type[Command], str] | None = None) -> None:
        self.snapshots = snapshots
        self.index = 0
        self.submitted: list[Command] = []
        self.lanes_wanted: list[WatchLane] = []
        self.subscription = FakeSubscription(events or [])
        self.fail = fail or {}
        self.verdict_result: Verdict | None = None
        self._seq = itertools.count(max((e.seq for e in events or ()), default=0) + 1)

    def advance(self) -> None:
        before = self.snapshots[self.index]
        self.index = min(self.index + 1, len(self.snapshots) - 1)
        after = self.snapshots[self.index]
        if after is not before and after.cluster is not None:
            self.subscription.push([Event(next(self._seq), after.ts, c.kind, c.source, c.text,
                                          c.severity, c.data)
                                    for c in diff(before.cluster, after.cluster)])

    def snapshot(self) -> Snapshot:
        return self.snapshots[self.index]

    def submit(self, cmd: Command) -> Future[Any]:
        if isinstance(cmd, WatchLane):  # the record lane's own requests, kept apart
            self.lanes_wanted.append(cmd)
            future_lane: Future[Any] = Future()
            future_lane.set_result(None)
            return future_lane
        self.submitted.append(cmd)
        future: Future[Any] = Future()
        if type(cmd) in self.fail:
            future.set_exception(ValueError(self.fail[type(cmd)]))
        elif isinstance(cmd, Judge):
            if self.verdict_result is None:
                future.set_exception(ValueError("nothing to judge"))
            else:
                future.set_result(self.verdict_result)
        elif isinstance(cmd, Explain):
            future.set_result(explanation(cmd.msg_id))
        else:
            future.set_result(None)
        return future

    def subscribe(self, maxlen: int = 10_000, kinds: tuple[str, ...] | None = None,
                  replay: bool = False) -> FakeSubscription:
        return self.subscription


def explanation(msg_id: str) -> tuple[str, ...]:
    """What the fake engine answers to ``Explain(msg_id)`` (with a terminal escape to be escaped)."""
    return (f"{msg_id}: sent by p1", f"{msg_id}: acked at demo[1]@120",
            f"{msg_id}: \x1b[31mnever processed\x1b[0m (m2 crashed)")


def _port(engine: FakeEngine) -> EnginePort:
    return engine  # mypy checks here that the fake implements the whole port


def event(seq: int, kind: str, source: str, text: str, severity: str = "info") -> Event:
    return Event(seq, T0 + seq, kind, source, text, severity, {})


def runner(name: str = "p1", acks: str = "all", state: str = "running", sent: int = 5000,
           acked: int = 4990, failed: int = 0, topic: str = "demo",
           key: bytes = b"key-\x1b[31mred\x1b[0m", timed_out: int = 0) -> RunnerView:
    no_ack = acks == "0"
    recent = tuple(DeliveryReportView(seq=i, msg_id=f"run1/{name}/0/{i}", partition=i % 3,
                                    offset=None if no_ack else 1000 + i,
                                    latency=None if no_ack else 0.004 + i / 1000,
                                    outcome="ok-no-offset" if no_ack else "ok", error=None, key=key)
                   for i in range(6))
    errors = ((ErrorCount("NOT_ENOUGH_REPLICAS", "fail-definite", failed),) if failed else ()) + \
        ((ErrorCount("_MSG_TIMED_OUT", "fail-indefinite", timed_out),) if timed_out else ())
    return RunnerView(
        name=name, incarnation=0, topic=topic, state=state,
        summary=f"acks={acks} in-flight=5 linger=5ms", acks=acks, idempotent=False,
        transactional=False, retries=2147483647, max_in_flight=5, linger_ms=5, batch_size=1000000,
        compression="none", key_mode="cycle:16", target_count=10000, target_rate=1000.0,
        # acks=0: reported sent, never acknowledged (no offset, no ack latency), as the engine counts
        sent=sent, acked=0 if no_ack else acked, acked_no_offset=0, failed_definite=failed,
        failed_indefinite=timed_out, pending=max(0, sent - acked - failed - timed_out), unknown=0,
        send_rate=1000.0, ack_rate=998.0, avg_rate=990.0,
        latency_p50=None if no_ack else 0.004, latency_p90=None if no_ack else 0.009,
        latency_p99=None if no_ack else 0.021, latency_max=None if no_ack else 0.050,
        errors=errors, partitions=((0, 1700), (1, 1650), (2, 1640)), avg_batch_records=12.5,
        avg_batch_bytes=1800.0, recent=recent, started_at=T0, ended_at=None, message=None,
        sent_unacknowledged=acked if no_ack else 0)


def member(name: str, assignment: tuple[tuple[str, int], ...], state: str = "running",
           strategy: str = "sync-per-batch", redelivered: int = 0,
           last_error: str | None = None) -> MemberView:
    parts = tuple(MemberPartitionView(t, p, position=500 + p, committed=490 + p, delivered=500 + p,
                                  high=520 + p, lag=20) for t, p in assignment)
    recent = tuple(ConsumedRecordView(T0, t, p, 499 + p, f"run1/p1/0/{p}", b"k\x07", b"kx|run1/p1/0/1|\x00zz",
                                False) for t, p in assignment)
    return MemberView(
        name=name, group="g1", incarnation=0, state=state, strategy=strategy, pending_strategy=None,
        protocol="classic/range", group_instance_id=None, topics=("demo",), assignment=assignment,
        partitions=parts, assignments=1, delivered=1500, processed=1490, redelivered=redelivered,
        commits_ok=150, commits_failed=0, last_commit="sync ok: demo[0]@490", last_error=last_error,
        processing_ms=0, slow=False, member_id=f"{name}-id", recent=recent)


def cluster(isr: dict[int, tuple[int, ...]] | None = None, leaders: dict[int, int] | None = None,
            broker_states: dict[int, str] | None = None, seq: int = 1,
            stale: dict[str, float] | None = None, invalid_leader: int | None = None,
            resumed_leader: int | None = None, group_members: tuple[GroupMemberView, ...] | None = None,
            nodes: tuple[int, ...] = (1, 2, 3), stale_partitions: tuple[int, ...] = ()
            ) -> ClusterView:
    """The 3-partition topic ``demo`` on ``nodes``. ``stale`` maps a section to how many seconds ago
    it was last read (it is stale now); partitions led by ``invalid_leader`` have librdkafka's
    -1,001 offsets (their leader is paused); ``resumed_leader``'s partitions just came back from
    -1,001 (a phantom jump in their history)."""
    isr = isr or {}
    leaders = leaders or {}
    states = broker_states or {}
    stale = stale or {}
    count = len(nodes)

    def replicas(p: int) -> tuple[int, ...]:
        return tuple(nodes[(p + i) % count] for i in range(count))

    def high(p: int, leader: int) -> int:
        return -1001 if leader == invalid_leader else 1700 - p * 10

    def history(p: int) -> tuple[float, ...]:
        points = [float(i * 50) for i in range(30)]
        if leaders.get(p, nodes[p % count]) == resumed_leader:
            points[-2] = -1001.0
        return tuple(points)

    parts = tuple(PartitionView("demo", p, leaders.get(p, nodes[p % count]), replicas(p),
                                isr.get(p, replicas(p)), False,
                                0 if leaders.get(p, nodes[p % count]) != invalid_leader else -1001,
                                high(p, leaders.get(p, nodes[p % count])),
                                high(p, leaders.get(p, nodes[p % count])),
                                2702.0 if leaders.get(p, nodes[p % count]) == resumed_leader
                                else 12.0, offsets_stale=p in stale_partitions,
                                stale_since=T0 + seq - 8 if p in stale_partitions else None)
                  for p in range(3))
    brokers = tuple(BrokerView(n, "127.0.0.1", 9090 + n, states.get(n, "up"), n == 1, 1)
                    for n in nodes if states.get(n) != "absent")
    members = group_members if group_members is not None else (
        GroupMemberView("m1-id", "m1", "/127.0.0.1", None, (("demo", 0), ("demo", 1))),)
    group_stale = stale.get("group-offsets")
    group = GroupView("g1", "classic", "Stable", "range", False, 1, members,
                      tuple(GroupPartitionView("demo", p, 490 + p, 520 + p, 30 - p, "m1-id",
                                               stale_since=None if group_stale is None
                                               else T0 + seq - group_stale,
                                               oldest_unconsumed_at=T0 + seq - 3 - p,
                                               status="lagging" if p == 2 else "ok")
                            for p in range(3)), 87, 95.0,
                      stale=group_stale is not None,
                      stale_since=None if group_stale is None else T0 + seq - group_stale)
    series = SeriesView(length=30,
                        partition_high_watermark={("demo", p): history(p) for p in range(3)},
                        group_lag={"g1": tuple(float(i % 7) for i in range(30))},
                        group_partition_lag={("g1", "demo", p): tuple(float((i + p) % 5)
                                                                      for i in range(30))
                                             for p in range(3)})
    now = T0 + seq
    sections = tuple(
        SectionStatus(n, "stale", f"{n}: no answer for {stale[n]:.0f} s", now - stale[n])
        if n in stale else SectionStatus(n, "ok", "", now)
        for n in ("brokers", "topics", "offsets", "groups", "group-details", "group-offsets"))
    return ClusterView(seq=seq, refreshed_at=T0 + seq, duration=0.042, interval=1.0, requests=4,
                       cluster_id="abc", controller=1, brokers=brokers,
                       topics=(TopicView("demo", False, parts),), groups=(group,), sections=sections,
                       series=series)


def verdict() -> Verdict:
    return Verdict(
        anomalies=(
            Anomaly("skipped", "expected", "demo", 1, (120, 121, 122, 123, 124, 125, 126),
                    tuple(f"run1/p1/0/{i}" for i in range(7)),
                    "member m2 (auto) crashed after processing offset 119; auto-commit had already "
                    "committed 127, so offsets 120-126 were never processed.", ("m2",)),
            Anomaly("redelivered", "expected", "demo", 0, (40, 41), ("run1/p1/0/40", "run1/p1/0/41"),
                    "m1 restarted from the last commit 40; offsets 40-41 were delivered again.",
                    ("m1",)),
        ),
        summary=VerdictSummary(produced=5000, acked=5000, audited=5000, delivered=5002,
                               distinct_delivered=5000, processed=4993,
                               committed={"g1": {"demo/0": 1700}}, groups=("g1",),
                               members=("m1", "m2")))


def snapshot(seq: int = 1, *, lab_states: tuple[str, ...] = ("running", "running", "running"),
             isr: dict[int, tuple[int, ...]] | None = None, leaders: dict[int, int] | None = None,
             with_verdict: bool = False, runners: tuple[RunnerView, ...] | None = None,
             members: tuple[MemberView, ...] | None = None, verdict_value: Verdict | None = None,
             broker_states: dict[int, str] | None = None, lab: bool = True,
             **cluster_knobs: Any) -> Snapshot:
    nodes = tuple(range(1, len(lab_states) + 1))
    states = {n + 1: ("up" if s == "running" else "fenced-or-missing")
              for n, s in enumerate(lab_states)}
    states.update(broker_states or {})
    connection = ConnectionView("lab (3 nodes)" if len(nodes) == 3 else f"lab ({len(nodes)} node)",
                                "127.0.0.1:9091", True, "run1") if lab else \
        ConnectionView("127.0.0.1:9092", "127.0.0.1:9092", False, "run1")
    return Snapshot(
        seq=seq, ts=T0 + seq,
        connection=connection,
        producers=ProducersView(runners if runners is not None
                                else (runner(), runner("p2", acks="1", failed=3))),
        consumers=ConsumersView(members if members is not None else (
            member("m1", (("demo", 0), ("demo", 1))), member("m2", (("demo", 2),)))),
        cluster=cluster(isr, leaders, states, seq, nodes=nodes, **cluster_knobs),
        lab=tuple(LabNodeView(n + 1, 4000 + n if s not in ("dead", "stopped") else None, s, 9091 + n)
                  for n, s in enumerate(lab_states)) if lab else (),
        verdict=verdict_value if verdict_value is not None else (verdict() if with_verdict else None),
    )


# ---- scripted states of issues 17 and 19 (each a FakeEngine, for Pilot tests and snapshots) ----

def dead_broker() -> FakeEngine:
    """Connected with -b to a 1-node cluster whose broker was killed 12 s ago: nothing answers, the
    watcher still holds the broker as it last saw it ("up")."""
    stale = {"brokers": 12.0, "topics": 12.0, "offsets": 12.0, "groups": 12.0}
    return FakeEngine([snapshot(1, lab=False, lab_states=("running",)),
                       snapshot(2, lab=False, lab_states=("running",), stale=stale)])


def stale_sections() -> FakeEngine:
    """A 3-node lab where broker 2 does not answer offset requests: partition 1's offsets are kept
    from an earlier refresh, and the group offsets were last read 8 s ago."""
    return FakeEngine([snapshot(1), snapshot(2, broker_states={2: "unreachable"},
                                             stale_partitions=(1,),
                                             stale={"group-offsets": 8.0})])


def paused_node() -> FakeEngine:
    """Node 2 is paused: its partitions answer -1,001 offsets (invalid, not numbers)."""
    return FakeEngine([snapshot(1), snapshot(2, lab_states=("running", "paused", "running"),
                                             broker_states={2: "unreachable"}, invalid_leader=2)])


def resumed_node() -> FakeEngine:
    """One refresh after node 2 resumed: its partitions jumped from -1,001 to real offsets; that
    jump is no produce rate."""
    return FakeEngine([snapshot(1, lab_states=("running", "paused", "running"),
                                broker_states={2: "unreachable"}, invalid_leader=2),
                       snapshot(2, resumed_leader=2)])


def starting_node() -> FakeEngine:
    """Node 3 was just started: its process runs, its broker has not registered yet."""
    return FakeEngine([snapshot(1, lab_states=("running", "running", "dead")),
                       snapshot(2, broker_states={3: "absent"})])


def crashed_member() -> FakeEngine:
    """m2 crashed a moment ago: its process is gone, but the coordinator still lists it with
    partition 2 until the session times out."""
    gone = member("m2", (), state="crashed", strategy="auto")
    members_seen = (GroupMemberView("m1-id", "m1", "/127.0.0.1", None, (("demo", 0), ("demo", 1))),
                    GroupMemberView("m2-id", "m2", "/127.0.0.1", None, (("demo", 2),)))
    return FakeEngine([snapshot(1), snapshot(2, members=(member("m1", (("demo", 0), ("demo", 1))),
                                                         gone),
                                             group_members=members_seen)])


def acks0_producer() -> FakeEngine:
    """An acks=0 producer next to an acks=all one whose records time out on a missing topic."""
    return FakeEngine([snapshot(1, runners=(
        runner("fire", acks="0", sent=10_581, acked=10_581),
        runner("p2", acks="all", sent=10_000, acked=0, timed_out=10_000, topic="missing")))])


def unconsumed_verdict() -> Verdict:
    """Nothing broken, but group g1 stopped before 27,940 records: 'ok so far', never plain ok."""
    return Verdict(
        anomalies=(
            Anomaly("redelivered", "expected", "demo", 0, (40, 41), ("run1/p1/0/40", "run1/p1/0/41"),
                    "m1 restarted from the last commit 40; offsets 40-41 were delivered again.",
                    ("m1",), group="g1"),
            Anomaly("unconsumed", "liveness", "demo", 2, (), (),
                    "group g1 never received offsets 2,060-29,999 of demo[2] before the run ended "
                    "(lag 27,940 at the end).", (), count=27_940, group="g1"),
        ),
        summary=VerdictSummary(produced=30_000, acked=30_000, audited=30_000, delivered=2_062,
                               distinct_delivered=2_060, processed=2_060,
                               committed={"g1": {"demo/2": 2060}}, groups=("g1",),
                               members=("m1",), lag={"g1": {"demo/2": 27_940}}))


def unconsumed() -> FakeEngine:
    return FakeEngine([snapshot(1, verdict_value=unconsumed_verdict())])
