"""Share members in the TUI (fake engine, Pilot): the member form's type ``share`` sets the share group
first and then starts share members; the Consumers screen shows them with their acknowledgements and
delivery counts, the group's state from Kafka's tool, and acts on the selected share member."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.widgets import Static

from tests.ui.fakes import FakeEngine, plain, snapshot
from tests.ui.test_forms import BIG, make_app, open_form, until
from tui.engine import (
    AddShareMember,
    CrashShareMember,
    RefreshShareGroups,
    SetShareGroupConfig,
    ShareConfigView,
    ShareGroupView,
    ShareMembersView,
    ShareMemberView,
    SharePartitionView,
    ShareRecordView,
    ShareToolMemberView,
)
from tui.ui.fast_table import FastTable
from tui.ui.forms.choice import Choice


def share_snapshot() -> Any:
    again = ShareRecordView(2.0, "jobs", 0, 4, "r/p1/0/4", 2, "accept", None, b"kx|r/p1/0/4|")
    s1 = ShareMemberView(name="s1", group="sg", incarnation=0, state="running", topics=("jobs",),
                         ack_mode="explicit", policy="explicit: reject 1 id", fail_ids=("4",),
                         fail_transient=0, processing_ms=0, acquired=11, processed=9, failed=1,
                         accepted=9, released=1, rejected=1, ack_commits_ok=3, ack_commits_failed=0,
                         in_flight=0, delivery_counts=((1, 10), (2, 1)), client_id="kx-s1", recent=(again,))
    group = ShareGroupView(group="sg", state="Stable", members=(ShareToolMemberView(
        "id1", "kx-s1", "127.0.0.1", 3, (("jobs", 0),), "s1"),),
        partitions=(SharePartitionView("jobs", 0, 7, 2, 0),),
        config=ShareConfigView("sg", "earliest", 6000, 5), read_at=1.0)
    view = ShareMembersView(members=(s1,), groups=(group,), notes=("a preview gap",), tool_available=True)
    return replace(snapshot(1), shares=view)


async def test_the_member_form_s_share_type_sets_the_group_then_adds_share_members() -> None:
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=BIG) as pilot:
        form = await open_form(pilot, app, "3", "a", "MemberForm")
        form.query_one("#f-kind", Choice).value = "share"
        form.query_one("#f-count").value = "2"  # type: ignore[attr-defined]
        form.query_one("#f-fail_ids").value = "p1/0/4"  # type: ignore[attr-defined]
        form.query_one("#f-lock").value = "6000"  # type: ignore[attr-defined]
        await pilot.pause()
        assert "Not used by share members" in plain(form.query_one("#h-strategy"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(engine.submitted) == 3)
        config, *adds = engine.submitted
        assert isinstance(config, SetShareGroupConfig)
        assert (config.group, config.lock_duration_ms, config.auto_offset_reset) == ("g1", 6000, "earliest")
        assert all(isinstance(c, AddShareMember) for c in adds)
        assert {(c.spec.ack_mode, c.spec.fail_ids) for c in adds} == {("explicit", ("p1/0/4",))}  # type: ignore[attr-defined]


async def test_the_consumers_screen_shows_share_members_and_acts_on_the_selected_one() -> None:
    engine = FakeEngine([share_snapshot()])
    app = make_app(engine)
    async with app.run_test(size=BIG) as pilot:
        app.apply_snapshot(engine.snapshot())
        await pilot.pause()
        await pilot.press("3")
        table = app.query_one("#shares", FastTable)
        await until(pilot, lambda: table.row("s1") is not None)
        cells = [str(c) for c in table.row("s1") or ()]  # Text or str: the plain text
        assert cells[:4] == ["s1", "running", "sg", "explicit: reject 1 id"]
        assert "1×10 2×1" in cells
        text = plain(app.query_one("#share-groups", Static))
        assert "sg (share): Stable · 1 member(s) by ShareGroupCommand" in text
        assert "lock 6,000 ms" in text or "lock 6000 ms" in text
        assert "p0 start 7 in flight 0" in text
        assert "delivered again: jobs[0]@4 delivery 2 (accept)" in text
        assert "a preview gap" in text
        await until(pilot, lambda: any(isinstance(c, RefreshShareGroups) for c in engine.submitted))
        table.focus()
        await pilot.pause()
        await pilot.press("c")
        await until(pilot, lambda: CrashShareMember("s1") in engine.submitted)
