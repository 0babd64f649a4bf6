"""Cluster screen: lab nodes and brokers (with actions), topics, and the partition table.

Leader and ISR changes are highlighted for a while (``▼`` shrunk, ``▲`` expanded, ``◆`` leader
moved), so a kill you triggered shows up as it happens. The pane does not compare snapshots to find
them: the watcher publishes each change as an event (tui/engine/watcher/diff.py) and the app hands
the events to :meth:`ClusterPane.add_events`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from tui.engine import (
    BrokerView,
    ClusterView,
    CreateTopic,
    Event,
    LabAction,
    PartitionView,
    Snapshot,
    TopicSpec,
)
from tui.ui.fast_table import FastTable
from tui.ui.fmt import clock, ids, num, rate, sparkline
from tui.ui.forms.topic import TopicForm
from tui.ui.panes.base import Pane
from tui.ui.registry import bindings_for

HIGHLIGHT_SECONDS = 20.0
"""How long a leader/ISR change stays highlighted."""

ISR_CHANGES = {"partition.isr-shrunk": "shrunk", "partition.isr-expanded": "expanded"}
"""Watcher event kind -> the highlight it gives the partition's ISR cell."""
LEADER_CHANGES = ("partition.leader-changed", "partition.online")
"""Watcher event kinds after which a partition has a different leader."""

PartitionKey = tuple[str, int]


class ClusterPane(Pane):
    BINDINGS = bindings_for("cluster")

    def __init__(self) -> None:
        super().__init__(id="cluster")
        self._isr_changes: dict[PartitionKey, tuple[str, float]] = {}
        """(topic, partition) -> ("shrunk" | "expanded", when it arrived)."""
        self._leader_moves: dict[PartitionKey, float] = {}
        self._topic_filter: str | None = None
        self._shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="cluster-top"):
            with Vertical(id="nodes-box"):
                yield Label("Nodes", classes="title", id="nodes-title")
                yield FastTable(["node", "process", "pid", "port", "broker", "ctrl", "leads"], id="nodes")
            with Vertical(id="topics-box"):
                yield Label("Topics  (enter: show only this topic's partitions)", classes="title")
                yield FastTable(["topic", "parts", "RF", "under-rep", "offline", "rate"], id="topics")
        yield Label("Partitions", classes="title", id="partitions-title")
        yield FastTable(["topic", "p", "leader", "replicas", "ISR", "log start", "high wm",
                         "records", "rate", "high wm history"], id="partitions")
        yield Static("", id="cluster-status")

    def on_mount(self) -> None:
        self.nodes = self.query_one("#nodes", FastTable)
        self.topics_table = self.query_one("#topics", FastTable)
        self.parts = self.query_one("#partitions", FastTable)

    # ---- the watcher's change events ---------------------------------------------------------

    def add_events(self, events: Iterable[Event]) -> None:
        """Remember the partitions whose ISR or leader the watcher saw change (visible or not)."""
        now = time.monotonic()
        changed = False
        for event in events:
            kind = ISR_CHANGES.get(event.kind)
            if kind is None and event.kind not in LEADER_CHANGES:
                continue
            topic, partition = event.data.get("topic"), event.data.get("partition")
            if not isinstance(topic, str) or not isinstance(partition, int):
                continue  # not a partition event after all: nothing to highlight
            key = (topic, partition)
            if kind is not None:
                self._isr_changes[key] = (kind, now)
            else:
                self._leader_moves[key] = now
            changed = True
        if changed and self.last is not None and self.is_on_screen:
            self.show(self.last, force=True)

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, t) in self._isr_changes.items() if now - t > HIGHLIGHT_SECONDS]:
            del self._isr_changes[key]
        for key in [k for k, t in self._leader_moves.items() if now - t > HIGHLIGHT_SECONDS]:
            del self._leader_moves[key]

    # ---- rendering ---------------------------------------------------------------------------

    def show(self, snapshot: Snapshot, force: bool = False) -> None:
        # the watcher refreshes once per interval: other snapshot changes (producer counters at
        # 20,000 records/s) leave this pane as it is
        state = (snapshot.cluster, snapshot.lab, snapshot.connection)
        if not force and self._shown is not None and all(
                a is b or a == b for a, b in zip(state, self._shown, strict=True)):
            return
        self._shown = state
        self.last = snapshot
        self._expire()
        cluster = snapshot.cluster
        self._render_nodes(snapshot)
        topics = cluster.topics if cluster is not None else ()
        self.topics_table.update([
            (t.name, (t.name, num(len(t.partitions)), num(t.replication_factor),
                      self._count(t.under_replicated_count, "warning"),
                      self._count(t.offline_count, "error"), rate(t.produce_rate or 0.0)))
            for t in topics])
        shown = [p for t in topics if self._topic_filter in (None, t.name) for p in t.partitions]
        series = cluster.series.partition_high_watermark if cluster is not None else {}
        self.parts.update([(f"{p.topic}\x00{p.partition}",
                            self._part_cells(p, series.get((p.topic, p.partition), ())))
                           for p in shown])
        title = f"Partitions ({len(shown)})"
        if self._topic_filter:
            title += f" of {self._topic_filter}  (enter on the topic again: all topics)"
        title += "  ·  ▼ ISR shrunk  ▲ ISR expanded  ◆ leader moved (highlighted for 20 s)"
        self.query_one("#partitions-title", Label).update(title)
        self._render_status(cluster)

    def invalidate(self) -> None:
        self._shown = None

    def _count(self, value: int, colour: str) -> Text:
        return Text(num(value), style=self.colour(colour) if value else "")

    def _render_nodes(self, snapshot: Snapshot) -> None:
        cluster = snapshot.cluster
        brokers: dict[int, BrokerView] = {b.node_id: b for b in cluster.brokers} if cluster else {}
        lab = {n.node_id: n for n in snapshot.lab}
        rows: list[tuple[str, tuple[RenderableType, ...]]] = []
        for node_id in sorted(set(lab) | set(brokers)):
            node = lab.get(node_id)
            broker = brokers.get(node_id)
            proc = Text(node.state if node else "-", style=self._state_style(node.state if node
                                                                             else ""))
            bstate = broker.state if broker else ("-" if cluster is None else "missing")
            port = str(node.broker_port) if node else (str(broker.port) if broker and broker.port
                                                       else "-")
            rows.append((str(node_id), (
                str(node_id), proc, str(node.pid) if node and node.pid else "-", port,
                Text(bstate, style=self._state_style(bstate)),
                "●" if broker and broker.is_controller else "",
                num(broker.leader_count) if broker else "-")))
        self.nodes.update(rows)
        title = "Lab nodes  (k kill · s stop · p pause · u resume · r restart)" \
            if snapshot.connection.is_lab else "Brokers"
        self.query_one("#nodes-title", Label).update(title)

    def _state_style(self, state: str) -> str:
        if state in ("running", "up"):
            return str(self.colour("success"))
        if state in ("paused", "unreachable", "stale"):
            return str(self.colour("warning"))
        if state in ("dead", "stopped", "fenced-or-missing", "missing", "offline"):
            return str(self.colour("error"))
        return ""

    def _part_cells(self, p: PartitionView, hw_series: tuple[float, ...]
                    ) -> tuple[RenderableType, ...]:
        key = (p.topic, p.partition)
        change = self._isr_changes.get(key)
        isr_text = Text(ids(p.isr))
        leader = Text("offline" if p.offline else str(p.leader),
                      style=str(self.colour("error")) if p.offline else "")
        if key in self._leader_moves and not p.offline:
            leader = Text(leader.plain + " ◆", style=self.colour("warning") + Style(bold=True))
        if change is not None:
            kind = change[0]
            colour = self.colour("error" if kind == "shrunk" else "success")
            isr_text = Text(ids(p.isr) + (" ▼" if kind == "shrunk" else " ▲"),
                            style=colour + Style(bold=True, reverse=True))
        elif p.under_replicated:
            isr_text = Text(ids(p.isr), style=self.colour("warning"))
        return (p.topic, str(p.partition), leader, ids(p.replicas), isr_text, num(p.log_start),
                num(p.high_watermark), num(p.records), rate(p.produce_rate),
                sparkline(hw_series, 12))

    def _render_status(self, cluster: ClusterView | None) -> None:
        if cluster is None:
            text = "Watcher: waiting for the first refresh…"
        else:
            bad = [f"{s.name} {s.state}" + (f" ({s.message})" if s.message else "")
                   for s in cluster.stale_sections]
            text = (f"Watcher refresh #{cluster.seq} at {clock(cluster.refreshed_at)} "
                    f"took {cluster.duration * 1000:.0f} ms")
            text += ("  ·  " + "; ".join(bad)) if bad else "  ·  all sections fresh"
        self.query_one("#cluster-status", Static).update(Text(text))

    # ---- interaction -------------------------------------------------------------------------

    def on_fast_table_selected(self, event: FastTable.Selected) -> None:
        if event.table.id != "topics":
            return
        topic = event.key
        self._topic_filter = None if self._topic_filter == topic else topic
        if self.last is not None:
            self.show(self.last, force=True)

    def selected_node(self) -> int | None:
        key = self.nodes.selected_key()
        return int(key) if key is not None and key.isdigit() else None

    def selected_topic(self) -> str | None:
        """The topic under the cursor of the Topics table."""
        return self.topics_table.selected_key()

    def action_node(self, action: str) -> None:
        if self.last is None or not self.last.connection.is_lab:
            self.app.notify("Node actions need the local lab cluster; this cluster was not "
                            "started by kafka-explorer.", severity="warning")
            return
        node = self.selected_node()
        if node is None:
            self.app.notify("Select a node in the Nodes table first.", severity="warning")
            return
        self.submit(LabAction(node=node, action=action), f"{action} node {node}")

    def action_create_topic(self) -> None:
        snapshot = self.last
        brokers = len(snapshot.cluster.brokers) if snapshot and snapshot.cluster else 0
        brokers = brokers or (len(snapshot.lab) if snapshot else 1)

        def then(spec: TopicSpec | None) -> None:
            if spec is not None:
                self.submit(CreateTopic(spec=spec), f"create topic {spec.name}")

        self.open_form(TopicForm(brokers=brokers), then)

    def on_explorer_ready(self) -> None:
        self.query_one("#nodes", FastTable).focus()
