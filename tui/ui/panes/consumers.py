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

from tui.engine.commands import Command
from tui.engine.consumer.commands import (
    CrashMember,
    PauseMember,
    RemoveMember,
    RestartMember,
    ResumeMember,
)
from tui.engine.snapshot import Snapshot
from tui.ui import model
from tui.ui.fast_table import FastTable
from tui.ui.fmt import num, payload, short, sparkline
from tui.ui.panes.base import Pane
from tui.ui.registry import bindings_for

MOVE_SECONDS = 20.0
"""How long an assignment move stays highlighted."""
MAP_COLUMNS = 32
"""Partitions shown in the assignment map (the offsets table lists every partition)."""


class ConsumersPane(Pane):
    BINDINGS = bindings_for("consumers")

    DEFAULT_CSS = """
    ConsumersPane #members { height: auto; max-height: 10; }
    ConsumersPane #consumers-middle { height: 1fr; }
    ConsumersPane #map-box { width: 2fr; }
    ConsumersPane #offsets-box { width: 3fr; }
    ConsumersPane #map { height: auto; padding: 0 1; }
    ConsumersPane #offsets { height: 1fr; }
    ConsumersPane #recent { height: 9; }
    ConsumersPane .title { color: $accent; text-style: bold; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="consumers")
        self._rows: list[model.MemberRow] = []
        self._owner: dict[tuple[str, str, int], str] = {}
        self._moves: dict[tuple[str, str, int], tuple[str, float]] = {}
        """(member, topic, partition) -> ("in" | "out", when)."""
        self._last: Snapshot | None = None

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
                yield FastTable(["group", "topic", "p", "member", "committed", "position", "high wm", "lag",
             "lag history"], id="offsets")
        yield Label("Latest deliveries of the selected member", classes="title", id="recent-title")
        yield FastTable(["topic", "p", "offset", "again", "msg id", "key", "value"], id="recent")

    def on_mount(self) -> None:
        self.members_table = self.query_one("#members", FastTable)
        self.offsets = self.query_one("#offsets", FastTable)
        self.recent = self.query_one("#recent", FastTable)

    # ---- rendering ---------------------------------------------------------------------------

    def show(self, snapshot: Snapshot) -> None:
        self._last = snapshot
        self._rows = model.members(snapshot.consumers)
        self.members_table.update([(r.name, self._member_cells(r)) for r in self._rows])
        self._track_moves()
        self._render_map()
        self._render_offsets(snapshot)
        self._render_recent(self.selected())

    def _member_cells(self, r: model.MemberRow) -> tuple[RenderableType, ...]:
        state_colour = {"running": "success", "crashed": "error", "kicked": "error",
                        "paused": "warning", "joining": "warning"}.get(r.state)
        strategy = r.strategy + (f" → {r.pending_strategy}" if r.pending_strategy else "")
        assigned = ",".join(f"{t}:{p}" if len({t for t, _ in r.assignment}) > 1 else str(p)
                            for t, p in r.assignment) or "∅"
        commits = Text(f"{num(r.commits_ok)}/{num(r.commits_failed)}",
                       style=self.colour("error") if r.commits_failed else "")
        return (r.name, Text(r.group), num(r.incarnation),
                Text(r.state, style=self.colour(state_colour) if state_colour else ""),
                Text(strategy), Text(r.protocol), num(r.generation), Text(short(assigned, 24)),
                num(r.delivered), num(r.processed),
                Text(num(r.redelivered), style=self.colour("warning") if r.redelivered else ""),
                commits, Text(short(r.last_commit, 40)),
                Text(short(payload(r.last_error, 80), 40), style=self.colour("error")))

    def _track_moves(self) -> None:
        now = time.monotonic()
        owner: dict[tuple[str, str, int], str] = {}
        for r in self._rows:
            if r.state in ("running", "paused", "joining"):
                for topic, partition in r.assignment:
                    owner[(r.group, topic, partition)] = r.name
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
        parts = sorted({(t, p) for r in self._rows for t, p in r.assignment}
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
        for r in self._rows:
            cells: list[RenderableType] = [Text(r.name, style="" if r.state == "running"
                                                else self.colour("warning"))]
            owned = set(r.assignment)
            for topic, partition in parts:
                move = self._moves.get((r.name, topic, partition))
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
        ours = {r.group for r in self._rows}
        watched = {g.id: g for g in model.groups(snapshot.cluster) if g.id in ours}
        owner = {(g, t, p): m for (g, t, p), m in self._owner.items()}
        positions: dict[tuple[str, str, int], model.MemberPartRow] = {}
        for r in self._rows:
            for part in r.partitions:
                positions[(r.group, part.topic, part.partition)] = part
        keys = set(positions)
        for gid, g in watched.items():
            keys |= {(gid, o.topic, o.partition) for o in g.offsets}
        rows = []
        for key in sorted(keys):
            group, topic, partition = key
            watched_part = next((o for o in watched[group].offsets
                                 if (o.topic, o.partition) == (topic, partition)), None) \
                if group in watched else None
            mine = positions.get(key)
            committed = watched_part.committed if watched_part and watched_part.committed is not None \
                else (mine.committed if mine else None)
            high = watched_part.high if watched_part and watched_part.high is not None \
                else (mine.high if mine else None)
            lag = watched_part.lag if watched_part and watched_part.lag is not None \
                else (mine.lag if mine else None)
            series = watched_part.lag_series if watched_part else ()
            rows.append((f"{group}\x00{topic}\x00{partition}", (
                Text(group), Text(topic), str(partition), owner.get(key, "-"), num(committed),
                num(mine.position if mine else None), num(high),
                Text(num(lag), style=self.colour("warning") if lag else ""),
                Text(sparkline(series, 16), style=self.colour("accent")))))
        self.offsets.update(rows)

    def _render_recent(self, row: model.MemberRow | None) -> None:
        if row is None:
            self.recent.update([])
            return
        self.query_one("#recent-title", Label).update(
            f"Latest deliveries of {row.name} (incarnation {row.incarnation})")
        rows: list[tuple[str, tuple[RenderableType, ...]]] = []
        for d in reversed(row.tail):
            rows.append((f"{d.topic}\x00{d.partition}\x00{d.offset}\x00{len(rows)}", (
                Text(d.topic), num(d.partition), num(d.offset),
                Text("yes" if d.redelivered else "", style=self.colour("warning")),
                Text(payload(d.msg_id, 40)), Text(payload(d.key, 24)), Text(payload(d.value, 48)))))
        self.recent.update(rows)

    def selected(self) -> model.MemberRow | None:
        key = self.members_table.selected_key()
        return next((r for r in self._rows if r.name == key), None)

    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        if event.table.id == "members":
            self._render_recent(self.selected())

    # ---- actions -----------------------------------------------------------------------------

    def _need_member(self) -> model.MemberRow | None:
        row = self.selected()
        if row is None:
            self.app.notify("Select a member in the Members table first.", severity="warning")
        return row

    def action_add_member(self) -> None:
        topic = None
        if self._last is not None:
            runners = model.producers(self._last.producers)
            topic = runners[-1].topic if runners else None
        group = self._rows[-1].group if self._rows else None
        self.explorer.open_member_form(group, topic)

    def action_member(self, action: str) -> None:
        row = self._need_member()
        if row is None:
            return
        commands: dict[str, Command] = {
            "remove": RemoveMember(row.name), "crash": CrashMember(row.name),
            "restart": RestartMember(row.name), "pause": PauseMember(row.name),
            "resume": ResumeMember(row.name)}
        self.submit(commands[action], f"{action} member {row.name}")

    def action_switch_strategy(self) -> None:
        row = self._need_member()
        if row is not None:
            self.explorer.open_strategy_picker(row.name, row.strategy)

    def on_explorer_ready(self) -> None:
        self.query_one("#members", FastTable).focus()
