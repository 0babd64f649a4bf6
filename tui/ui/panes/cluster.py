"""Cluster screen: lab nodes and brokers (with actions), topics, and the partition table.

Leader and ISR changes since the pane last rendered are highlighted for a while (``▼`` shrunk,
``▲`` expanded), so a kill you triggered shows up as it happens.
"""

from __future__ import annotations

import time

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from tui.engine.commands import LabAction
from tui.engine.snapshot import Snapshot
from tui.ui import model
from tui.ui.fast_table import FastTable
from tui.ui.fmt import clock, ids, num, rate, sparkline
from tui.ui.panes.base import Pane
from tui.ui.registry import bindings_for

HIGHLIGHT_SECONDS = 20.0
"""How long a leader/ISR change stays highlighted."""


class ClusterPane(Pane):
    BINDINGS = bindings_for("cluster")

    DEFAULT_CSS = """
    ClusterPane #cluster-top { height: 10; }
    ClusterPane #nodes-box { width: 1fr; }
    ClusterPane #topics-box { width: 1fr; }
    ClusterPane .title { color: $accent; text-style: bold; padding: 0 1; }
    ClusterPane #cluster-status { height: 1; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(id="cluster")
        self._isr: dict[tuple[str, int], tuple[int, ...]] = {}
        self._leader: dict[tuple[str, int], int | None] = {}
        self._changes: dict[tuple[str, int], tuple[str, float]] = {}
        """ISR changes: (topic, partition) -> ("shrunk" | "expanded", when)."""
        self._leader_moves: dict[tuple[str, int], float] = {}
        self._topic_filter: str | None = None
        self._is_lab = False
        self._last: Snapshot | None = None
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

    # ---- rendering ---------------------------------------------------------------------------

    def show(self, snapshot: Snapshot, force: bool = False) -> None:
        # the watcher refreshes once per interval: other snapshot changes (producer counters at
        # 20,000 records/s) leave this pane as it is
        state = (snapshot.cluster, snapshot.lab, snapshot.connection)
        if not force and self._shown is not None and all(
                a is b or a == b for a, b in zip(state, self._shown, strict=True)):
            return
        self._shown = state
        self._last = snapshot
        self._is_lab = snapshot.connection.is_lab
        cluster = snapshot.cluster
        brokers = {b.id: b for b in model.brokers(cluster)}
        self._render_nodes(snapshot, brokers)
        parts = model.partitions(cluster)
        self._track_changes(parts)
        self.topics_table.update([
            (t.name, (t.name, num(t.partitions), num(t.rf), self._count(t.under_replicated, "warning"),
                      self._count(t.offline, "error"), rate(t.rate)))
            for t in model.topics(cluster, parts)])
        shown = [p for p in parts if self._topic_filter in (None, p.topic)]
        self.parts.update([(f"{p.topic}\x00{p.partition}", self._part_cells(p)) for p in shown])
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

    def _render_nodes(self, snapshot: Snapshot, brokers: dict[int, model.BrokerRow]) -> None:
        rows: list[tuple[str, tuple[RenderableType, ...]]] = []
        lab = {n.node_id: n for n in snapshot.lab}
        leads = {b.node_id: b.leader_count for b in getattr(snapshot.cluster, "brokers", ())}
        for node_id in sorted(set(lab) | set(brokers)):
            node = lab.get(node_id)
            broker = brokers.get(node_id)
            proc = Text(node.state if node else "-", style=self._state_style(node.state if node
                                                                             else ""))
            bstate = broker.state if broker else ("-" if snapshot.cluster is None else "missing")
            rows.append((str(node_id), (
                str(node_id), proc, str(node.pid) if node and node.pid else "-",
                str(node.broker_port) if node else (broker.address.rsplit(":", 1)[-1]
                                                    if broker else "-"),
                Text(bstate, style=self._state_style(bstate)),
                "●" if broker and broker.controller else "",
                num(leads.get(node_id)) if node_id in leads else "-")))
        self.nodes.update(rows)
        title = "Lab nodes  (k kill · s stop · p pause · u resume · r restart)" if self._is_lab \
            else "Brokers"
        self.query_one("#nodes-title", Label).update(title)

    def _state_style(self, state: str) -> str:
        if state in ("running", "up"):
            return str(self.colour("success"))
        if state in ("paused", "unreachable", "stale"):
            return str(self.colour("warning"))
        if state in ("dead", "stopped", "fenced-or-missing", "missing", "offline"):
            return str(self.colour("error"))
        return ""

    def _track_changes(self, parts: list[model.PartRow]) -> None:
        now = time.monotonic()
        for p in parts:
            key = (p.topic, p.partition)
            old_isr = self._isr.get(key)
            if old_isr is not None and old_isr != p.isr:
                kind = "shrunk" if len(p.isr) < len(old_isr) else "expanded"
                self._changes[key] = (kind, now)
            if key in self._leader and self._leader[key] != p.leader:
                self._leader_moves[key] = now
            self._isr[key] = p.isr
            self._leader[key] = p.leader
        for key in [k for k, (_, t) in self._changes.items() if now - t > HIGHLIGHT_SECONDS]:
            del self._changes[key]
        for key in [k for k, t in self._leader_moves.items() if now - t > HIGHLIGHT_SECONDS]:
            del self._leader_moves[key]

    def _part_cells(self, p: model.PartRow) -> tuple[RenderableType, ...]:
        change = self._changes.get((p.topic, p.partition))
        isr_text = Text(ids(p.isr))
        leader = Text("offline" if p.offline or p.leader in (None, -1) else str(p.leader),
                      style=str(self.colour("error")) if p.offline or p.leader in (None, -1) else "")
        if (p.topic, p.partition) in self._leader_moves and not p.offline:
            leader = Text(leader.plain + " ◆", style=self.colour("warning") + Style(bold=True))
        if change is not None:
            kind = change[0]
            colour = self.colour("error" if kind == "shrunk" else "success")
            isr_text = Text(ids(p.isr) + (" ▼" if kind == "shrunk" else " ▲"),
                            style=colour + Style(bold=True, reverse=True))
        elif len(p.isr) < len(p.replicas):
            isr_text = Text(ids(p.isr), style=self.colour("warning"))
        records = None if p.high is None or p.log_start is None else max(0, p.high - p.log_start)
        return (p.topic, str(p.partition), leader, ids(p.replicas), isr_text, num(p.log_start),
                num(p.high), num(records), rate(p.rate), sparkline(p.hw_series, 12))

    def _render_status(self, cluster: object) -> None:
        if cluster is None:
            text = "Watcher: waiting for the first refresh…"
        else:
            sections = model.sections(cluster)
            bad = [f"{s.name} {s.state}" + (f" ({s.message})" if s.message else "")
                   for s in sections if s.state != "ok"]
            refreshed = getattr(cluster, "refreshed_at", 0.0)
            duration = getattr(cluster, "duration", 0.0)
            text = (f"Watcher refresh #{getattr(cluster, 'seq', '?')} at {clock(refreshed)} "
                    f"took {duration * 1000:.0f} ms")
            text += ("  ·  " + "; ".join(bad)) if bad else "  ·  all sections fresh"
        self.query_one("#cluster-status", Static).update(Text(text))

    # ---- interaction -------------------------------------------------------------------------

    def on_fast_table_selected(self, event: FastTable.Selected) -> None:
        if event.table.id != "topics":
            return
        topic = event.key
        self._topic_filter = None if self._topic_filter == topic else topic
        if self._last is not None:
            self.show(self._last, force=True)

    def selected_node(self) -> int | None:
        key = self.nodes.selected_key()
        return int(key) if key is not None and key.isdigit() else None

    def action_node(self, action: str) -> None:
        if not self._is_lab:
            self.app.notify("Node actions need the local lab cluster; this cluster was not "
                            "started by kafka-explorer.", severity="warning")
            return
        node = self.selected_node()
        if node is None:
            self.app.notify("Select a node in the Nodes table first.", severity="warning")
            return
        self.submit(LabAction(node=node, action=action), f"{action} node {node}")

    def action_create_topic(self) -> None:
        self.explorer.open_topic_form()

    def on_explorer_ready(self) -> None:
        self.query_one("#nodes", FastTable).focus()
