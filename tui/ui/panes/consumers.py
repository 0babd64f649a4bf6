"""Consumers screen: group members (strategy switchable live; add / remove / crash / restart), the
assignment map (member × partition, moves highlighted), offsets per partition with lag sparklines,
and the selected member's latest deliveries (untrusted bytes escaped and capped).

A crashed member does not leave its group: the coordinator keeps its partitions until the session
times out, and only then reassigns them. That gap is shown, not hidden: the member's row, the map
(``×``) and the offsets table say the partitions are "owned by a dead member until the session
times out" for as long as the watcher sees the coordinator say so.
"""

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
    Command,
    CrashMember,
    CrashShareMember,
    GroupPartitionView,
    MemberPartitionView,
    MemberView,
    PauseMember,
    RefreshShareGroups,
    RemoveMember,
    RemoveShareMember,
    RestartMember,
    RestartShareMember,
    ResumeMember,
    ResumePartition,
    SetStrategy,
    ShareGroupView,
    ShareMembersView,
    ShareMemberView,
    Snapshot,
)
from tui.ui.browse.dialogs import DeleteDialog, ResetOffsetsDialog
from tui.ui.fast_table import Column, FastTable, LazyRows
from tui.ui.fmt import UNKNOWN, ago, num, offset, payload, short, sparkline
from tui.ui.forms.errors import ErrorHandlingForm
from tui.ui.forms.factory import member_form
from tui.ui.forms.member import StrategyPicker
from tui.ui.panes.base import DataKey, Pane
from tui.ui.registry import bindings_for
from tui.ui.widgets.lane import RecordLane
from tui.ui.widgets.put import put

MOVE_SECONDS = 20.0
"""How long an assignment move stays highlighted."""
MAP_COLUMNS = 32
"""Partitions shown in the assignment map (the offsets table lists every partition)."""
HELD = "owned by a dead member until the session times out"

OwnerKey = tuple[str, str, int]
"""(group, topic, partition)."""

MEMBER_ACTIONS = (("member.add", "add"), ("member.remove", "remove"), ("member.crash", "crash"),
                  ("member.restart", "restart"), ("member.strategy", "strategy"),
                  ("member.pause", "pause"), ("member.resume", "resume"))

MEMBER_COLUMNS = (
    Column("member", cut=False, drop=False), Column("state", 8, cut=False),
    Column("assigned", 8, cut=False), Column("delivered", right=True),
    Column("processed", right=True), Column("redelivered", right=True),
    Column("commits ok/failed", right=True), Column("last error", 10, flex=True),
    Column("last commit", 12), Column("group", 8), Column("strategy", 8), Column("protocol", 8),
    Column("inc", right=True), Column("assign #", right=True))
OFFSET_COLUMNS = (
    Column("topic", 8, flex=True, drop=False), Column("p", 3, right=True),
    Column("member", 6, cut=False), Column("lag", 6, right=True),
    Column("lag age", 7, right=True), Column("status", 7, cut=False),
    Column("committed", 9, right=True), Column("position", 9, right=True),
    Column("high wm", 9, right=True), Column("stale", 5, cut=False), Column("lag history", 16),
    Column("group", 8))
"""lag age: how old the oldest unconsumed record is; status: ok, lagging or stalled (Burrow's
rules, from the watcher); stale: since when the row's offsets are a memory."""
STATUS_COLOURS = {"lagging": "warning", "stalled": "error"}
RECENT_COLUMNS = (Column("offset", 7, right=True), Column("p", 3, right=True),
                  Column("topic", 8), Column("again"), Column("msg id", 12, cut=False),
                  Column("key", 8), Column("value", 12, flex=True))


SHARE_COLUMNS = (
    Column("share member", cut=False, drop=False), Column("state", 8, cut=False), Column("group", 8),
    Column("acknowledges", 12), Column("acquired", right=True), Column("processed", right=True),
    Column("accept", right=True), Column("release", right=True), Column("reject", right=True),
    Column("in flight", right=True), Column("delivery counts", 12), Column("last error", 10, flex=True))
"""A share member: records acquired under a lock, each acknowledged (accept / release / reject);
delivery counts: how many acquisitions had count 1, 2, ... (above 1: redelivered)."""
SHARE_ASK_EVERY = 10.0
"""Seconds between the screen's requests for Kafka's ShareGroupCommand (a JVM per call)."""


class ConsumersPane(Pane):
    BINDINGS = bindings_for("consumers")
    PUMP_HZ = 4.0

    def __init__(self) -> None:
        super().__init__(id="consumers")
        self._rows: tuple[MemberView, ...] = ()
        self._held: dict[str, tuple[tuple[str, int], ...]] = {}
        """Member name -> partitions the coordinator still gives it after it crashed."""
        self._owner: dict[OwnerKey, str] = {}
        self._moves: dict[tuple[str, str, int], tuple[str, float]] = {}
        """(member, topic, partition) -> ("in" | "out", when)."""
        self._map_shown: object = None
        """What the member map shows (members, partitions, moves, theme): the same is not put again."""

    @staticmethod
    def data_key(snapshot: Snapshot) -> DataKey:
        return (snapshot.consumers, snapshot.cluster, snapshot.lane, snapshot.shares)

    def compose(self) -> ComposeResult:
        yield Label("Members", classes="title", id="members-title")
        yield FastTable(MEMBER_COLUMNS, id="members")
        yield Static("", id="member-hint")
        with Horizontal(id="consumers-middle"):
            with Vertical(id="map-box"):
                yield Label("Assignment map  + in · − out (20 s) · × held by a dead member",
                            classes="title", id="map-title")
                with VerticalScroll():
                    yield Static("", id="map")
            with Vertical(id="offsets-box"):
                yield Label("Offsets per partition", classes="title", id="offsets-title")
                yield FastTable(OFFSET_COLUMNS, id="offsets")
        yield RecordLane(final=False, id="consumers-lane")
        yield Label("Latest deliveries of the selected member", classes="title", id="recent-title")
        yield FastTable(RECENT_COLUMNS, id="recent")
        yield Label("Share members", classes="title", id="shares-title")
        yield FastTable(SHARE_COLUMNS, id="shares")
        yield Static("", id="share-groups")

    def on_mount(self) -> None:
        self.members_table = self.query_one("#members", FastTable)
        self.offsets = self.query_one("#offsets", FastTable)
        self.recent = self.query_one("#recent", FastTable)
        self.shares_table = self.query_one("#shares", FastTable)
        self.shares_table.styles.height = "auto"
        self.shares_table.styles.max_height = 8
        self._share_asked = 0.0
        for widget_id in ("shares-title", "shares", "share-groups"):
            self.query_one(f"#{widget_id}").display = False  # until a share member exists

    # ---- rendering ---------------------------------------------------------------------------

    def show(self, snapshot: Snapshot) -> None:
        if not self.changed(snapshot):
            return
        self.last = snapshot
        self._rows = snapshot.consumers.members
        self._held = {m.name: held for m in self._rows
                      if (held := snapshot.held_by_gone_member(m))}
        self.members_table.set_rows(LazyRows(self._rows, lambda m: m.name, self._member_cells,
                                             name=lambda m: f"{m.name} {m.group}"))
        title = f"Members  {self.keys_hint(*MEMBER_ACTIONS)}"
        if not self.fits(title, "members-title"):
            title = f"Members  {self.keys_hint(*MEMBER_ACTIONS[:5])}"
        put(self.query_one("#members-title", Label), title)
        self._track_moves()
        self._render_map()
        self._render_offsets(snapshot)
        self._render_selected(self.selected())
        self._render_lane(snapshot)
        self._render_shares(snapshot.shares)

    def _render_lane(self, snapshot: Snapshot) -> None:
        """The live record lane of the selected member's topic (else the first topic read)."""
        member = self.selected()
        topics = member.topics if member is not None and member.topics else \
            tuple(sorted(snapshot.consumers.topics))
        self.query_one(RecordLane).show(snapshot.lane, topics[0] if topics else None,
                                        member.group if member is not None else None)

    @staticmethod
    def _parts(assignment: tuple[tuple[str, int], ...]) -> str:
        multi = len({t for t, _ in assignment}) > 1
        return ",".join(f"{t}:{p}" if multi else str(p) for t, p in assignment)

    def _member_cells(self, m: MemberView) -> tuple[RenderableType, ...]:
        state_colour = {"running": "success", "crashed": "error", "kicked": "error",
                        "paused": "warning", "joining": "warning"}.get(m.state)
        strategy = m.strategy + (f" → {m.pending_strategy}" if m.pending_strategy else "")
        held = self._held.get(m.name)
        if held:
            assigned = Text(f"{self._parts(held)} (dead, held)", style=self.colour("warning"))
        else:
            assigned = Text(short(self._parts(m.assignment) or "∅", 24))
        commits = Text(f"{num(m.commits_ok)}/{num(m.commits_failed)}",
                       style=self.colour("error") if m.commits_failed else "")
        return (m.name, Text(m.state, style=self.colour(state_colour) if state_colour else ""),
                assigned, num(m.delivered), num(m.processed),
                Text(num(m.redelivered), style=self.colour("warning") if m.redelivered else ""),
                commits, Text(payload(m.last_error or "", 200), style=self.colour("error")),
                Text(short(m.last_commit or "", 40)), Text(m.group), Text(strategy),
                Text(m.protocol), num(m.incarnation), num(m.assignments))

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
                       | {tp for held in self._held.values() for tp in held}
                       | {(k[1], k[2]) for k in self._moves})[:MAP_COLUMNS]
        static = self.query_one("#map", Static)
        if not self._rows:
            self._map_shown = None
            put(static, Text(f"No members yet: press {self.key('member.add')} to add one.",
                              style=self.colour("accent")))
            return
        multi_topic = len({t for t, _ in parts}) > 1
        # the map is a Rich table, which cannot be compared: what it shows is, and an unchanged map
        # is not put again (each put is a layout pass of the whole screen)
        shown = (multi_topic, tuple(parts), tuple(self._held.items()), tuple(self._moves.items()),
                 tuple((m.name, m.state, m.assignment) for m in self._rows), self.app.theme)
        if shown == self._map_shown:
            return
        self._map_shown = shown
        table = Table(box=None, padding=(0, 1), show_edge=False, pad_edge=False)
        table.add_column("member")
        for topic, partition in parts:
            table.add_column(f"{topic[:6]}:{partition}" if multi_topic else f"p{partition}",
                             justify="center")
        moved_in = Style.combine([self.colour("success"), Style(bold=True, reverse=True)])
        moved_out = Style.combine([self.colour("error"), Style(bold=True)])
        held_style = Style.combine([self.colour("warning"), Style(bold=True)])
        for m in self._rows:
            cells: list[RenderableType] = [Text(m.name, style="" if m.state == "running"
                                                else self.colour("warning"))]
            owned = set(m.assignment)
            held = set(self._held.get(m.name, ()))
            for topic, partition in parts:
                move = self._moves.get((m.name, topic, partition))
                if (topic, partition) in owned:
                    cells.append(Text("+" if move and move[0] == "in" else "●",
                                      style=moved_in if move and move[0] == "in" else
                                      self.colour("primary")))
                elif (topic, partition) in held:
                    cells.append(Text("×", style=held_style))
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
        stale_groups: set[str] = set()
        by_member_id = {m.member_id: m for m in self._rows if m.member_id}
        if cluster is not None:
            for g in cluster.groups:
                if g.group_id in ours:
                    watched.update({(g.group_id, o.topic, o.partition): o for o in g.partitions})
                    if g.stale:
                        stale_groups.add(g.group_id)
        lag_series = cluster.series.group_partition_lag if cluster is not None else {}
        positions: dict[OwnerKey, MemberPartitionView] = {}
        for m in self._rows:
            for part in m.partitions:
                positions[(m.group, part.topic, part.partition)] = part
        held_by = {(m.group, t, p): m.name for m in self._rows
                   for t, p in self._held.get(m.name, ())}
        age = None
        now = cluster.refreshed_at if cluster is not None else snapshot.ts
        if cluster is not None:
            ages = [a for name in ("groups", "group-offsets")
                    if (a := cluster.section_age(name, snapshot.ts)) is not None]
            age = max(ages) if ages else None

        def owner_cell(key: OwnerKey, seen: GroupPartitionView | None) -> Text:
            if key in held_by:
                return Text(f"{held_by[key]} (dead)", style=self.colour("warning"))
            name = self._owner.get(key)
            if name is None and seen is not None and seen.member_id in by_member_id:
                name = by_member_id[seen.member_id].name
            return Text(name or "-")

        def cells(key: OwnerKey) -> tuple[RenderableType, ...]:
            group, topic, partition = key
            seen, mine = watched.get(key), positions.get(key)
            # the coordinator's numbers where the watcher has them, else what the member saw
            committed = seen.committed if seen and seen.committed is not None \
                else (mine.committed if mine else None)
            high = seen.high_watermark if seen and seen.high_watermark is not None \
                else (mine.high if mine else None)
            lag = seen.lag if seen and seen.lag is not None else (mine.lag if mine else None)
            if lag is not None and lag < 0:
                lag = None
            series = lag_series.get(key, ()) if seen else ()
            stale_since = seen.stale_since if seen is not None else None
            dim = Style(dim=age is not None or group in stale_groups or stale_since is not None)
            lag_age = seen.lag_age(now) if seen is not None else None
            status = seen.status if seen is not None else ""
            return (Text(topic, style=dim), str(partition), owner_cell(key, seen),
                    Text(offset(lag), style=(self.colour("warning") if lag else Style()) + dim),
                    Text(ago(lag_age) if lag_age is not None else UNKNOWN, style=dim),
                    Text(status, style=(self.colour(STATUS_COLOURS[status])
                                        if status in STATUS_COLOURS else Style()) + dim),
                    Text(offset(committed), style=dim),
                    Text(offset(mine.position if mine else None)),
                    Text(offset(high), style=dim),
                    Text(ago(now - stale_since) if stale_since is not None else "",
                         style=self.colour("warning")),
                    Text(sparkline(series, 16), style=self.colour("accent") + dim), Text(group))

        keys = sorted(set(positions) | set(watched) | set(held_by))
        self.offsets.set_rows(LazyRows(keys, lambda k: "\x00".join(map(str, k)), cells,
                                       name=lambda k: f"{k[0]} {k[1]}"))
        title = Text("Offsets per partition")
        title.append_text(self.stale_mark(age, "group offsets stale"))
        if stale_groups and age is None:
            title.append(f"  ⚠ dimmed: {', '.join(sorted(stale_groups))} not read this refresh",
                         style=self.colour("warning"))
        title.append("  committed: the coordinator's · position: the member's")
        put(self.query_one("#offsets-title", Label), title)

    def _render_selected(self, member: MemberView | None) -> None:
        hint = self.query_one("#member-hint", Static)
        if member is None:
            put(hint, Text("No members yet: press " f"{self.key('member.add')} to add one."
                             if not self._rows else "", style=self.colour("accent")))
            self.recent.update([])
            return
        held = self._held.get(member.name)
        if held:
            gone = "crashed" if member.crashed else member.state
            put(hint, Text(f"{member.name} {gone}: partitions {self._parts(held)} are {HELD} "
                             "(session.timeout.ms); then the coordinator gives them to the others.",
                             style=self.colour("warning")))
        elif member.last_error:
            put(hint, Text(f"{member.name}: {payload(member.last_error, 300)}",
                             style=self.colour("error")))
        else:
            put(hint, Text(f"{member.name}: {member.state} in {member.group} · {member.strategy}"
                             f" · {member.protocol} · incarnation {member.incarnation}"))
        put(self.query_one("#recent-title", Label), 
            f"Latest deliveries of {member.name} (incarnation {member.incarnation})")
        rows: list[tuple[str, tuple[RenderableType, ...]]] = []
        for d in reversed(member.recent):
            rows.append((f"{d.topic}\x00{d.partition}\x00{d.offset}\x00{len(rows)}", (
                num(d.offset), num(d.partition), Text(d.topic),
                Text("yes" if d.redelivered else "", style=self.colour("warning")),
                Text(payload(d.msg_id, 40)), Text(payload(d.key, 24)), Text(payload(d.value, 48)))))
        self.recent.update(rows)

    def selected(self) -> MemberView | None:
        key = self.members_table.selected_key()
        return next((m for m in self._rows if m.name == key), None)

    def on_fast_table_highlighted(self, event: FastTable.Highlighted) -> None:
        if event.table.id == "shares" and self.last is not None:
            self._render_share_groups(self.last.shares)
        if event.table.id == "members":
            self._render_selected(self.selected())
            if self.last is not None:
                self._render_lane(self.last)

    # ---- actions -----------------------------------------------------------------------------

    def _need_member(self) -> MemberView | None:
        member = self.selected()
        if member is None:
            self.app.notify("Select a member in the Members table first.", severity="warning")
        return member

    def action_reset_offsets(self) -> None:
        if (member := self._need_member()) is not None:
            self.open_form(ResetOffsetsDialog(member.group, member.topics), lambda _plan: None)

    def action_delete_group(self) -> None:
        if (member := self._need_member()) is not None:
            self.open_form(DeleteDialog("group", member.group), lambda _deleted: None)

    def action_add_member(self, clone: bool = False) -> None:
        # the form adds the members itself and stays open on a refusal
        model = self._need_member() if clone else None
        if clone and model is None:
            return
        try:
            form = member_form(self.last, clone=model)
        except Exception as exc:  # strategies unavailable: say so instead of crashing
            self.app.notify(f"Cannot add members: {exc}", severity="error")
            return
        self.open_form(form, lambda _request: None)

    def action_clone_member(self) -> None:
        self.action_add_member(clone=True)

    def action_member(self, action: str) -> None:
        if self._share_member_action(action):
            return
        member = self._need_member()
        if member is None:
            return
        commands: dict[str, Command] = {
            "remove": RemoveMember(member.name), "crash": CrashMember(member.name),
            "restart": RestartMember(member.name), "pause": PauseMember(member.name),
            "resume": ResumeMember(member.name)}
        self.submit(commands[action], f"{action} member {member.name}")

    def action_error_handling(self) -> None:
        member = self._need_member()
        if member is not None:
            self.open_form(ErrorHandlingForm(member), lambda _result: None)

    def action_resume_partitions(self) -> None:
        member = self._need_member()
        if member is not None:
            self.submit(ResumePartition(member.name), f"{member.name}: resume paused partitions")

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

    # ---- share members (KIP-932) ---------------------------------------------------------------

    def _render_shares(self, view: ShareMembersView) -> None:
        shown = bool(view.members)
        for widget_id in ("shares-title", "shares", "share-groups"):
            self.query_one(f"#{widget_id}").display = shown
        if not shown:
            return
        self.shares_table.set_rows(LazyRows(view.members, lambda m: m.name, self._share_cells,
                                            name=lambda m: f"{m.name} {m.group}"))
        hint = self.keys_hint(("member.remove", "remove"), ("member.crash", "crash"),
                              ("member.restart", "restart"))
        put(self.query_one("#shares-title", Label), 
            f"Share members (KIP-932: acquired under a lock, acknowledged one by one)  {hint} on this table")
        self._render_share_groups(view)
        now = time.monotonic()
        if view.tool_available and view.active and now - self._share_asked >= SHARE_ASK_EVERY:
            self._share_asked = now  # the screen is open: Kafka's tool may run (a JVM per call)
            self.submit(RefreshShareGroups(), "read the share groups", announce=False)

    def _share_cells(self, m: ShareMemberView) -> tuple[RenderableType, ...]:
        state_colour = {"running": "success", "crashed": "error", "joining": "warning"}.get(m.state)
        counts = " ".join(f"{c}×{n}" for c, n in m.delivery_counts) or "-"
        return (m.name, Text(m.state, style=self.colour(state_colour) if state_colour else ""),
                Text(m.group), Text(m.policy), num(m.acquired), num(m.processed), num(m.accepted),
                Text(num(m.released), style=self.colour("warning") if m.released else ""),
                Text(num(m.rejected), style=self.colour("error") if m.rejected else ""),
                num(m.in_flight),
                Text(counts, style=self.colour("warning") if m.redelivered else ""),
                Text(payload(m.last_error or "", 200), style=self.colour("error")))

    def _render_share_groups(self, view: ShareMembersView) -> None:
        text = Text()
        for group in view.groups:
            text.append_text(self._share_group_line(group))
            text.append("\n")
        key = self.shares_table.selected_key()
        member = view.member(key) if key is not None else None
        again = [r for name, r in view.redeliveries if member is None or name == member.name][-6:]
        if again:
            text.append("delivered again: ", style=self.colour("warning"))
            text.append(", ".join(f"{r.topic}[{r.partition}]@{r.offset} delivery {r.delivery_count}"
                                  f" ({r.outcome})" for r in again))
            text.append("\n")
        for note in view.notes:
            text.append(f"{note}\n", style=Style(dim=True))
        put(self.query_one("#share-groups", Static), text)

    def _share_group_line(self, g: ShareGroupView) -> Text:
        line = Text(f"{g.group} ({g.type}): ", style=Style(bold=True))
        if g.tool_error:
            line.append(f"ShareGroupCommand failed: {payload(g.tool_error, 120)}", style=self.colour("error"))
        elif g.read_at is None:
            line.append("state not read yet (Kafka's ShareGroupCommand)", style=Style(dim=True))
        else:
            line.append(f"{g.state or '?'} · {len(g.members)} member(s) by ShareGroupCommand "
                        f"{ago(self.now() - g.read_at)} ago")
        if g.config is not None:
            c = g.config
            line.append(f" · reset {c.auto_offset_reset or '?'} · lock {offset(c.lock_duration_ms)} ms"
                        f" · delivery limit {offset(c.delivery_count_limit)}")
        parts = [f"p{p.partition} start {offset(p.start_offset)} in flight {p.in_flight}" for p in g.partitions]
        if parts:
            line.append(" · " + ", ".join(parts))
        return line

    def _share_member_action(self, action: str) -> bool:
        """remove / crash / restart on the share table when it has the focus; True when it did."""
        if not self.shares_table.has_focus or action not in ("remove", "crash", "restart"):
            return False
        name = self.shares_table.selected_key()
        if name is None:
            self.app.notify("Select a share member first.", severity="warning")
            return True
        command = {"remove": RemoveShareMember(name), "crash": CrashShareMember(name),
                   "restart": RestartShareMember(name)}[action]
        self.submit(command, f"{action} share member {name}")
        return True
