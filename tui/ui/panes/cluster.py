"""Cluster screen: lab nodes and brokers (with actions), topics, and the partition table.

Leader and ISR changes are highlighted for a while (``▼`` shrunk, ``▲`` expanded, ``◆`` leader
moved), so a kill you triggered shows up as it happens. The pane does not compare snapshots to find
them: the watcher publishes each change as an event (tui/engine/watcher/diff.py) and the app hands
the events to :meth:`ClusterPane.add_events`.

What the watcher could not read this refresh is said where it is shown: a broker that does not answer
reads "unreachable" with the time since the cluster last answered, a section that is stale carries a
"⚠ stale 12 s" mark in its title, and its rows are dimmed. Offsets librdkafka reports as invalid
(-1,001 while a leader does not answer) show as "–", and so does the rate right after them.
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
    Event,
    LabAction,
    PartitionView,
    Snapshot,
    TopicView,
)
from tui.ui.browse.dialogs import DeleteDialog, TopicConfigDialog
from tui.ui.browse.keys import BrowseWanted
from tui.ui.fast_table import Column, FastTable, LazyRows
from tui.ui.fmt import UNKNOWN, ago, clock, ids, num, offset, rate, sparkline
from tui.ui.forms.factory import topic_form
from tui.ui.panes.base import DataKey, Pane
from tui.ui.registry import bindings_for
from tui.ui.widgets.put import put

HIGHLIGHT_SECONDS = 20.0
"""How long a leader/ISR change stays highlighted."""

ISR_CHANGES = {"partition.isr-shrunk": "shrunk", "partition.isr-expanded": "expanded"}
"""Watcher event kind -> the highlight it gives the partition's ISR cell."""
LEADER_CHANGES = ("partition.leader-changed", "partition.online")
"""Watcher event kinds after which a partition has a different leader."""

NODE_ACTIONS = (("node.kill", "kill"), ("node.stop", "stop"), ("node.pause", "pause"),
                ("node.resume", "resume"), ("node.restart", "restart"), ("node.start", "start"))
"""Node commands named in the Nodes title, with the keys of the live keymap."""

PartitionKey = tuple[str, int]

NODE_COLUMNS = (Column("node", cut=False, drop=False), Column("process", 8, cut=False),
                Column("broker", 11, cut=False), Column("leads", 5, right=True),
                Column("pid", 6, right=True), Column("port", 5), Column("ctrl"))
TOPIC_COLUMNS = (Column("topic", 12, flex=True, drop=False), Column("parts", right=True),
                 Column("under-rep", right=True), Column("offline", right=True),
                 Column("unknown", right=True), Column("rate", 7, right=True),
                 Column("RF", right=True))
PARTITION_COLUMNS = (Column("topic", 12, flex=True, drop=False), Column("p", 3, right=True),
                     Column("leader", 6, cut=False), Column("ISR", 5, cut=False),
                     Column("high wm", 9, right=True), Column("records", 9, right=True),
                     Column("rate", 7, right=True), Column("stale", 5, cut=False),
                     Column("log start", 9, right=True), Column("replicas", 5),
                     Column("high wm history", 12))
"""The "stale" column says since when a row's offsets or placement are a memory ("12 s")."""


class ClusterPane(Pane):
    BINDINGS = bindings_for("cluster")
    PUMP_HZ = 2.0  # the watcher refreshes once a second

    def __init__(self) -> None:
        super().__init__(id="cluster")
        self._isr_changes: dict[PartitionKey, tuple[str, float]] = {}
        """(topic, partition) -> ("shrunk" | "expanded", when it arrived)."""
        self._leader_moves: dict[PartitionKey, float] = {}
        self._topic_filter: str | None = None
        self._shown: DataKey | None = None
        self._node_keys = ""
        """The node keys, when the Nodes title is too narrow for them (shown in the status line)."""

    @staticmethod
    def data_key(snapshot: Snapshot) -> DataKey:
        # the watcher refreshes once per interval: other snapshot changes (producer counters at
        # 20,000 records/s) leave this pane as it is
        return (snapshot.cluster, snapshot.lab, snapshot.connection)

    def compose(self) -> ComposeResult:
        with Horizontal(id="cluster-top"):
            with Vertical(id="nodes-box"):
                yield Label("Nodes", classes="title", id="nodes-title")
                yield FastTable(NODE_COLUMNS, id="nodes")
            with Vertical(id="topics-box"):
                yield Label("Topics", classes="title", id="topics-title")
                yield FastTable(TOPIC_COLUMNS, id="topics")
        yield Label("Partitions", classes="title", id="partitions-title")
        yield FastTable(PARTITION_COLUMNS, id="partitions")
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
        state = self.data_key(snapshot)
        if not force and self._shown is not None and all(
                a is b or a == b for a, b in zip(state, self._shown, strict=True)):
            return
        self._shown = state
        self.last = snapshot
        self._expire()
        cluster = snapshot.cluster
        now = snapshot.ts
        self._render_nodes(snapshot)
        topics: tuple[TopicView, ...] = cluster.topics if cluster is not None else ()
        topics_age = cluster.section_age("topics", now) if cluster is not None else None
        self.topics_table.set_rows(LazyRows(
            topics, lambda t: t.name, lambda t: self._topic_cells(cluster, t, topics_age is not None)))
        put(self.query_one("#topics-title", Label), Text.assemble(
            f"Topics ({len(topics):,})  enter: only its partitions", self.stale_mark(topics_age)))
        self._render_partitions(cluster, now)
        self._render_status(snapshot)

    def invalidate(self) -> None:
        self._shown = None

    def _count(self, value: int, colour: str, dim: bool) -> Text:
        style = self.colour(colour) if value else Style()
        return Text(num(value), style=style + Style(dim=dim))

    def _topic_cells(self, cluster: ClusterView | None, t: TopicView, stale: bool
                     ) -> tuple[RenderableType, ...]:
        dim = Style(dim=stale)
        produce_rate = cluster.topic_rate(t) if cluster is not None else None
        return (Text(t.name, style=dim), Text(num(len(t.partitions)), style=dim),
                self._count(t.under_replicated_count, "warning", stale),
                self._count(t.offline_count, "error", stale),
                self._count(t.unknown_count, "warning", stale),
                Text(rate(produce_rate) if produce_rate is not None else UNKNOWN, style=dim),
                Text(num(t.replication_factor), style=dim))

    def _render_partitions(self, cluster: ClusterView | None, now: float) -> None:
        if cluster is None:
            self.parts.set_rows(LazyRows((), str, tuple))
            put(self.query_one("#partitions-title", Label), "Partitions")
            return
        if self._topic_filter is not None:
            topic = cluster.topic(self._topic_filter)
            shown = topic.partitions if topic is not None else ()
        else:
            shown = cluster.all_partitions
        meta_age = cluster.section_age("topics", now)
        offsets_age = cluster.section_age("offsets", now)
        series = cluster.series.partition_high_watermark
        self.parts.set_rows(LazyRows(
            shown, lambda p: f"{p.topic}\x00{p.partition}",
            lambda p: self._part_cells(cluster, p, series.get((p.topic, p.partition), ()),
                                       meta_age is not None),
            name=lambda p: p.topic))
        stale_rows = 0
        if offsets_age is None:  # a fresh section may still miss the partitions of one broker
            stale_rows = (cluster.offsets_stale_count if self._topic_filter is None
                          else sum(1 for p in shown if p.offsets_stale))
        title = Text(f"Partitions ({len(shown):,})")
        if self._topic_filter:
            title.append(f" of {self._topic_filter}  (enter on the topic again: all topics)")
        # what is not fresh first: a narrow window cuts the legend, never the warning
        title.append_text(self.stale_mark(meta_age, "leaders/ISR stale"))
        title.append_text(self.stale_mark(offsets_age, "offsets stale"))
        if stale_rows:
            title.append(f"  ⚠ offsets of {stale_rows:,} dimmed "
                         f"{'row' if stale_rows == 1 else 'rows'} not read this refresh",
                         style=self.colour("warning"))
        title.append("  ▼ ISR shrunk ▲ expanded ◆ leader moved (20 s)")
        put(self.query_one("#partitions-title", Label), title)

    def _render_nodes(self, snapshot: Snapshot) -> None:
        cluster = snapshot.cluster
        brokers: dict[int, BrokerView] = {b.node_id: b for b in cluster.brokers} if cluster else {}
        lab = {n.node_id: n for n in snapshot.lab}
        age = cluster.section_age("brokers", snapshot.ts) if cluster is not None else None
        rows: list[tuple[str, tuple[RenderableType, ...]]] = []
        for node_id in sorted(set(lab) | set(brokers)):
            node = lab.get(node_id)
            broker = brokers.get(node_id)
            state = snapshot.node_state(node_id) if node else "-"
            shown_state = "starting…" if state == "starting" else state
            port = str(node.broker_port) if node else (str(broker.port) if broker and broker.port
                                                       else "-")
            memory = Style(dim=age is not None)
            rows.append((str(node_id), (
                str(node_id), Text(shown_state, style=self._state_style(state)),
                self._broker_cell(broker, cluster, age, snapshot.ts),
                Text(num(broker.leader_count) if broker else "-", style=memory),
                str(node.pid) if node and node.pid else "-", port,
                Text("●" if broker and broker.is_controller else "", style=memory))))
        self.nodes.update(rows)
        self._node_keys = ""
        if snapshot.connection.is_lab:
            keys = self.keys_hint(*NODE_ACTIONS)
            title = Text(f"Lab nodes  {keys}")
            if not self.fits(title.plain, "nodes-box"):  # narrow: the keys go to the status line
                title, self._node_keys = Text("Lab nodes"), f"Selected node: {keys}."
        else:
            title = Text("Brokers")
        title.append_text(self.stale_mark(age, "no answer for"))
        put(self.query_one("#nodes-title", Label), title)

    def _broker_cell(self, broker: BrokerView | None, cluster: ClusterView | None,
                     age: float | None, now: float) -> Text:
        if cluster is None:
            return Text("-")
        if broker is None:
            return Text("not registered", style=self._state_style("missing"))
        # silent for: since its own last answer, else since the cluster's metadata last came back
        silent = now - broker.last_answer_at if broker.last_answer_at is not None else age
        since = f" {ago(silent)}" if silent is not None else ""
        if broker.state == "fenced-or-missing":
            return Text(f"not registered{since}", style=self._state_style("missing"))
        if age is not None or broker.state == "unreachable":
            # what we hold is how the broker was, not how it is
            return Text(f"unreachable{since}", style=self._state_style("unreachable"))
        return Text(broker.state, style=self._state_style(broker.state))

    def _state_style(self, state: str) -> Style:
        if state in ("running", "up"):
            return self.colour("success")
        if state in ("paused", "unreachable", "stale", "starting"):
            return self.colour("warning")
        if state in ("dead", "stopped", "fenced-or-missing", "missing", "offline"):
            return self.colour("error")
        return Style()

    def _part_cells(self, cluster: ClusterView, p: PartitionView, hw_series: tuple[float, ...],
                    meta_stale: bool) -> tuple[RenderableType, ...]:
        key = (p.topic, p.partition)
        change = self._isr_changes.get(key)
        meta_stale = meta_stale or p.unknown
        dim_meta = Style(dim=meta_stale)
        dim_offsets = Style(dim=meta_stale or p.offsets_stale)
        isr_text = Text(ids(p.isr), style=dim_meta)
        # a leader that is only the last one known reads "2?": whether it serves is unknown
        leader = Text("offline" if p.offline else f"{p.leader}{'?' if p.unknown else ''}",
                      style=(self.colour("error") if p.offline else Style()) + dim_meta)
        if key in self._leader_moves and not p.offline:
            leader = Text(leader.plain + " ◆", style=self.colour("warning") + Style(bold=True))
        if change is not None:
            kind = change[0]
            colour = self.colour("error" if kind == "shrunk" else "success")
            isr_text = Text(ids(p.isr) + (" ▼" if kind == "shrunk" else " ▲"),
                            style=colour + Style(bold=True, reverse=True))
        elif p.under_replicated:
            isr_text = Text(ids(p.isr), style=self.colour("warning") + dim_meta)
        produce_rate = cluster.partition_rate(p)
        return (Text(p.topic, style=dim_meta), str(p.partition), leader, isr_text,
                Text(offset(p.high_watermark), style=dim_offsets),
                Text(num(p.records) if p.records is not None else UNKNOWN, style=dim_offsets),
                Text(rate(produce_rate) if produce_rate is not None else UNKNOWN,
                     style=dim_offsets),
                self._stale_cell(p, cluster.refreshed_at),
                Text(offset(p.log_start), style=dim_offsets), ids(p.replicas),
                Text(sparkline(hw_series, 12), style=dim_offsets))

    def _stale_cell(self, p: PartitionView, now: float) -> Text:
        """How old this row's figures are, when they are not from this refresh."""
        since = [t for t in (p.stale_since if p.offsets_stale else None, p.placement_stale_since)
                 if t is not None]
        if not since:
            return Text("⚠" if p.offsets_stale else "", style=self.colour("warning"))
        return Text(ago(now - min(since)), style=self.colour("warning"))

    def _render_status(self, snapshot: Snapshot) -> None:
        cluster = snapshot.cluster
        status = self.query_one("#cluster-status", Static)
        if cluster is None:
            put(status, Text("Waiting for the cluster's first answer…"))
            return
        text = Text()
        bad = cluster.stale_sections
        if bad:
            text.append("Not read this refresh: ", style=self.colour("warning") + Style(bold=True))
            text.append("; ".join(
                (s.message or f"{s.name} {s.state}")
                + (f" (last read {ago(snapshot.ts - s.updated_at)} ago)" if s.updated_at else "")
                for s in bad))
        else:
            text.append(f"Cluster view of {clock(cluster.refreshed_at)}, "
                        f"read every {cluster.interval:g} s.")
        if self._node_keys:
            text.append(f"  {self._node_keys}")
        if not cluster.topics and cluster.section("topics").state == "ok":
            text.append(f"  No topics yet: press {self.key('topic.create')} to create one, then "
                        f"{self.key('screen.produce')} to produce to it.",
                        style=self.colour("accent"))
        put(status, text)

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

    def _need_topic(self) -> str | None:
        topic = self.selected_topic()
        if topic is None:
            self.app.notify("Select a topic in the Topics table first.", severity="warning")
        return topic

    def action_browse_topic(self) -> None:
        if (topic := self._need_topic()) is not None:
            self.post_message(BrowseWanted(topic))

    def action_topic_configs(self) -> None:
        if (topic := self._need_topic()) is not None:
            self.open_form(TopicConfigDialog(topic), lambda _result: None)

    def action_delete_topic(self) -> None:
        if (topic := self._need_topic()) is not None:
            self.open_form(DeleteDialog("topic", topic), lambda _deleted: None)

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
        # the form knows brokers and topics, creates the topic itself and stays open on a refusal
        self.open_form(topic_form(self.last), lambda _spec: None)

    def on_explorer_ready(self) -> None:
        self.query_one("#nodes", FastTable).focus()
