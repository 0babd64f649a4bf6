"""Consumers screen: group members (strategy switchable live; add / remove / crash / restart), the
assignment map (member × partition, moves highlighted), offsets per partition with lag sparklines,
and the selected member's latest deliveries (untrusted bytes escaped and capped)."""

from __future__ import annotations

import time

from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, Static

from tui.engine import (
    AddMember,
    Command,
    CrashMember,
    GroupPartitionView,
    MemberPartitionView,
    MemberView,
    PauseMember,
    RemoveMember,
    RestartMember,
    ResumeMember,
    SetStrategy,
    Snapshot,
)
from tui.ui.fast_table import FastTable
from tui.ui.fmt import num, payload, short, sparkline
from tui.ui.forms.member import MemberForm, MemberRequest, StrategyPicker
from tui.ui.panes.base import Pane
from tui.ui.registry import bindings_for

MOVE_SECONDS = 20.0
"""How long an assignment move stays highlighted."""
MAP_COLUMNS = 32
"""Partitions shown in the assignment map (the offsets table lists every partition)."""

OwnerKey = tuple[str, str, int]
"""(group, topic, partition)."""


class ConsumersPane(Pane):
    BINDINGS = bindings_for("consumers")

    def __init__(self) -> None:
        super().__init__(id="consumers")
        self._rows: tuple[MemberView, ...] = ()
        self._owner: dict[OwnerKey, str] = {}
        self._moves: dict[tuple[str, str, int], tuple[str, float]] = {}
        """(member, topic, partition) -> ("in" | "out", when)."""

    def compose(self) -> ComposeResult:
        yield Label("Members  (a add · d remove · c crash · r restart · s strategy · p/u pause/resume)",
                    classes="title")
        yield FastTable(["member", "group", "inc", "state", "strategy", "protocol", "gen", "assigned",
                         "delivered", "processed", "redelivered", "commits ok/failed", "last commit",
                         "last error"], id="members")
        with Horizontal(id="consumers-middle"):
            with Vertical(id="map-box"):
                yield Label("Assignment map  (+ moved in · − moved out, highlighted 20 s)",
                            classes="title")
                with VerticalScroll():
                    yield Static("", id="map")
            with Vertical(id="offsets-box"):
                yield Label("Offsets per partition", classes="title")
                yield FastTable(["group", "topic", "p", "member", "committed", "position", "high wm",
                                 "lag", "lag history"], id="offsets")
        yield Label("Latest deliveries of the selected member", classes="title", id="recent-title")
        yield FastTable(["topic", "p", "offset", "again", "msg id", "key", "value"], id="recent")

    def on_mount(self) -> None:
        self.members_table = self.query_one("#members", FastTable)
        self.offsets = self.query_one("#offsets", FastTable)
        self.recent = self.query_one("#recent", FastTable)

    # ---- rendering ---------------------------------------------------------------------------

    def show(self, snapshot: Snapshot) -> None:
        self.last = snapshot
        self._rows = snapshot.consumers.members
        self.members_table.update([(m.name, self._member_cells(m)) for m in self._rows])
        self._track_moves()
        self._render_map()
        self._render_offsets(snapshot)
        self._render_recent(self.selected())

    def _member_cells(self, m: MemberView) -> tuple[RenderableType, ...]:
        state_colour = {"running": "success", "crashed": "error", "kicked": "error",
                        "paused": "warning", "joining": "warning"}.get(m.state)
        strategy = m.strategy + (f" → {m.pending_strategy}" if m.pending_strategy else "")
        assigned = ",".join(f"{t}:{p}" if len({t for t, _ in m.assignment}) > 1 else str(p)
                            for t, p in m.assignment) or "∅"
        commits = Text(f"{num(m.commits_ok)}/{num(m.commits_failed)}",
                       style=self.colour("error") if m.commits_failed else "")
        return (m.name, Text(m.group), num(m.incarnation),
                Text(m.state, style=self.colour(state_colour) if state_colour else ""),
                Text(strategy), Text(m.protocol), num(m.generation), Text(short(assigned, 24)),
                num(m.delivered), num(m.processed),
                Text(num(m.redelivered), style=self.colour("warning") if m.redelivered else ""),
                commits, Text(short(m.last_commit or "", 40)),
                Text(short(payload(m.last_error or "", 80), 40), style=self.colour("error")))

    def _track_moves(self) -> None:
        # who owns what is our own members' state (not the watcher's): a move is a change of owner
        # between two snapshots, shown for MOVE_SECONDS
        now = time.monotonic()
        owner: dict[OwnerKey, str] = {}
        for m in self._rows:
            if m.active:
                for topic, partition in m.assignment:
                    owner[(m.group, topic, partition)] = m.name
        for key in set(owner) | set(self._owner):
            before, after = self._owner.get(key), owner.get(key)
            if self._owner and before != after:
                if after is not None:
                    self._moves[(after, key[1], key[2])] = ("in", now)
                if before is not None:
                    self._moves[(before, key[1], key[2])] = ("out", now)
        self._owner = owner
        for key in [k for k, (_, t) in self._moves.items() if now - t > MOVE_SECONDS]:
            del self._moves[key]

    def _render_map(self) -> None:
        parts = sorted({(t, p) for m in self._rows for t, p in m.assignment}
                       | {(t, p) for (_, t, p) in self._owner}
                       | {(k[1], k[2]) for k in self._moves})[:MAP_COLUMNS]
        static = self.query_one("#map", Static)
        if not self._rows:
            static.update(Text("No members yet: press a to add one."))
            return
        multi_topic = len({t for t, _ in parts}) > 1
        table = Table(box=None, padding=(0, 1), show_edge=False, pad_edge=False)
        table.add_column("member")
        for topic, partition in parts:
            table.add_column(f"{topic[:6]}:{partition}" if multi_topic else f"p{partition}",
                             justify="center")
        moved_in = Style.combine([self.colour("success"), Style(bold=True, reverse=True)])
        moved_out = Style.combine([self.colour("error"), Style(bold=True)])
        for m in self._rows:
            cells: list[RenderableType] = [Text(m.name, style="" if m.state == "running"
                                                else self.colour("warning"))]
            owned = set(m.assignment)
            for topic, partition in parts:
                move = self._moves.get((m.name, topic, partition))
                if (topic, partition) in owned:
                    cells.append(Text("+" if move and move[0] == "in" else "●",
                                      style=moved_in if move and move[0] == "in" else
                                      self.colour("primary")))
                elif move and move[0] == "out":
                    cells.append(Text("−", style=moved_out))
                else:
                    cells.append(Text("·", style="dim"))
            table.add_row(*cells)
        static.update(table)

    def _render_offsets(self, snapshot: Snapshot) -> None:
        cluster = snapshot.cluster
        ours = {m.group for m in self._rows}
        watched: dict[OwnerKey, GroupPartitionView] = {}
        if cluster is not None:
            for g in cluster.groups:
                if g.group_id in ours:
                    watched.update({(g.group_id, o.topic, o.partition): o for o in g.partitions})
        lag_series = cluster.series.group_partition_lag if cluster is not None else {}
        positions: dict[OwnerKey, MemberPartitionView] = {}
        for m in self._rows:
            for part in m.partitions:
                positions[(m.group, part.topic, part.partition)] = part
        rows = []
        for key in sorted(set(positions) | set(watched)):
            group, topic, partition = key
            seen, mine = watched.get(key), positions.get(key)
            # the coordinator's numbers where the watcher has them, else what the member saw
            committed = seen.committed if seen and seen.committed is not None \
                else (mine.committed if mine else None)
            high = seen.high_watermark if seen and seen.high_watermark is not None \
                else (mine.high if mine else None)
            lag = seen.lag if seen and seen.lag is not None else (mine.lag if mine else None)
            series = lag_series.get(key, ()) if seen else ()
            rows.append((f"{group}\x00{topic}\x00{partition}", (
                Text(group), Text(topic), str(partition), self._owner.get(key, "-"), num(committed),
                num(mine.position if mine else None), num(high),
                Text(num(lag), style=self.colour("warning") if lag else ""),
                Text(sparkline(series, 16), style=self.colour("accent")))))
        self.offsets.update(rows)

    def _render_recent(self, member: MemberView | None) -> None:
        if member is None:
            self.recent.update([])
            return
        self.query_one("#recent-title", Label).update(
            f"Latest deliveries of {member.name} (incarnation {member.incarnation})")
        rows: list[tuple[str, tuple[RenderableType, ...]]] = []
        for d in reversed(member.recent):
            rows.append((f"{d.topic}\x00{d.partition}\x00{d.offset}\x00{len(rows)}", (
                Text(d.topic), num(d.partition), num(d.offset),
                Text("yes" if d.redelivered else "", style=self.colour("warning")),
                Text(payload(d.msg_id, 40)), Text(payload(d.key, 24)), Text(payload(d.value, 48)))))
        self.recent.update(rows)

    def selected(self) -> MemberView | None:
        key = self.members_table.selected_key()
        return next((m for m in self._rows if m.name == key), None)

    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        if event.table.id == "members":
            self._render_recent(self.selected())

    # ---- actions -----------------------------------------------------------------------------

    def _need_member(self) -> MemberView | None:
        member = self.selected()
        if member is None:
            self.app.notify("Select a member in the Members table first.", severity="warning")
        return member

    def action_add_member(self) -> None:
        runners = self.last.producers.runners if self.last is not None else ()
        topic = (runners[-1].topic if runners else "") or "demo"
        group = (self._rows[-1].group if self._rows else "") or "demo-group"

        def then(request: MemberRequest | None) -> None:
            if request is not None:
                for _ in range(request.count):
                    self.submit(AddMember(spec=request.spec), "add member")

        try:
            form = MemberForm(group=group, topic=topic)
        except Exception as exc:  # strategies unavailable: say so instead of crashing
            self.app.notify(f"Cannot add members: {exc}", severity="error")
            return
        self.open_form(form, then)

    def action_member(self, action: str) -> None:
        member = self._need_member()
        if member is None:
            return
        commands: dict[str, Command] = {
            "remove": RemoveMember(member.name), "crash": CrashMember(member.name),
            "restart": RestartMember(member.name), "pause": PauseMember(member.name),
            "resume": ResumeMember(member.name)}
        self.submit(commands[action], f"{action} member {member.name}")

    def action_switch_strategy(self) -> None:
        member = self._need_member()
        if member is None:
            return
        name, current = member.name, member.strategy

        def then(strategy: str | None) -> None:
            if strategy is not None and strategy != current:
                self.submit(SetStrategy(name=name, strategy=strategy), f"{name}: strategy {strategy}")

        self.open_form(StrategyPicker(name, current), then)

    def on_explorer_ready(self) -> None:
        self.query_one("#members", FastTable).focus()
