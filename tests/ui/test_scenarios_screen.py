"""The Scenarios screen inside the explorer (fake engine, fake scenario driver): scenarios too big
for the lab, narration docked beside the live screens, real names, and the detail and focus after
a run ends or stops."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from tests.scenarios.fake_driver import FakeDriver
from tests.ui.fakes import FakeEngine, plain, snapshot
from tui.engine import LabNodeView, Snapshot
from tui.scenario.load import loads
from tui.scenario.model import Scenario
from tui.scenario.results import Progress
from tui.scenario.runner import ScenarioRun
from tui.ui.app import ExplorerApp
from tui.ui.scenarios_screen import LabSizeWanted, NarrationDock, ScenariosScreen, lab_size_advice
from tui.ui.settings import Settings
from tui.ui.widgets.narration import names_legend

SIZE = (120, 40)

SMALL = """
title: One node is enough
goal: Produce and consume on one node.
cluster: {nodes: 1}
topics: [{name: work}]
steps:
  - produce: {name: first, topic: work, count: 10}
    narrate: Ten records go in.
  - start-members: {group: workers, topic: work, name: m1}
    narrate: One member reads them.
expect:
  lost: 0
"""

BIG = """
title: Kill the leader
goal: Needs three nodes.
cluster: {nodes: 3}
topics: [{name: t, replication-factor: 3}]
steps:
  - kill-node: {leader-of: t/0}
    narrate: The leader dies.
expect:
  lost: 0
"""


def one_node(snap: Snapshot) -> Snapshot:
    return dataclasses.replace(snap, lab=(LabNodeView(1, 4000, "running", 9091),))


def scenarios() -> list[tuple[Path, Scenario]]:
    return [(Path("small.yaml"), loads(SMALL, "small.yaml")),
            (Path("big.yaml"), loads(BIG, "big.yaml"))]


def make_app() -> tuple[ExplorerApp, ScenariosScreen]:
    def start(sc: Scenario, progress: Callable[[Progress], None]) -> ScenarioRun:
        return ScenarioRun(sc, driver=FakeDriver(nodes=1), on_progress=progress,
                           run_suffix="eb8f61")

    app = ExplorerApp(FakeEngine([one_node(snapshot(1))]), settings=Settings(), remember=False,
                      pump=False)
    screen = ScenariosScreen(start_run=start, scenarios=scenarios())
    return app, screen


async def until(pilot: Pilot[Any], predicate: Callable[[], object], tries: int = 200) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.03)
    raise AssertionError("condition not reached")


async def open_scenarios(pilot: Pilot[Any], app: ExplorerApp, screen: ScenariosScreen) -> None:
    app.apply_snapshot(app.engine.snapshot())  # type: ignore[attr-defined]
    await pilot.pause()
    app.install_screen(screen, name="scenarios")  # the app pushes this one on its key
    await pilot.press("6")
    await until(pilot, lambda: app.screen is screen)


def text_of(screen: ScenariosScreen, widget_id: str) -> str:
    return plain(screen.query_one(widget_id, Static))


async def test_a_scenario_too_big_for_the_lab_is_marked_and_explained() -> None:
    app, screen = make_app()
    wanted: list[LabSizeWanted] = []

    def hook(message: object) -> None:
        if isinstance(message, LabSizeWanted):
            wanted.append(message)

    async with app.run_test(size=SIZE, notifications=True, message_hook=hook) as pilot:
        await open_scenarios(pilot, app, screen)
        listing = screen.query_one("#scn-list", OptionList)
        assert "needs a 3-node lab" in str(listing.get_option_at_index(1).prompt)
        assert "needs a" not in str(listing.get_option_at_index(0).prompt)
        await pilot.press("down")
        assert "This lab has 1 node: this scenario needs 3" in text_of(screen, "#scn-detail-text")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.scenario_run is None  # refused before any step could fail
        _explanation, command = lab_size_advice(3, 1)
        assert command in text_of(screen, "#scn-narration-text")
        assert "--nodes 3" in command
        assert any("needs a 3-node lab" in n.message for n in app._notifications)
        assert wanted
        assert wanted[0].nodes == 3
        assert wanted[0].command == command
        await pilot.press("up", "L")
        await pilot.pause()
        assert any("This lab can run" in n.message for n in app._notifications)


async def test_narration_docked_beside_the_live_screens_with_real_names() -> None:
    app, screen = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_scenarios(pilot, app, screen)
        await pilot.press("enter")
        await until(pilot, lambda: screen.scenario_run is not None)
        await pilot.press("a")  # run the rest, then go and watch the live screens
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is not screen)
        live = app.screen
        await until(pilot, lambda: bool(live.query(NarrationDock)))
        dock = live.query_one(NarrationDock)
        run = screen.scenario_run
        assert run is not None
        await until(pilot, lambda: run.done and "PASSED" in plain(dock))
        text = plain(dock)
        assert "member m1 (m1-eb8f61)" in text
        assert "topic work (work-eb8f61)" in text
        assert "group workers (workers-eb8f61)" in text
        assert "6: the Scenarios screen" in text
        assert "f3: hide" in text
        assert dock.region.width > 0
        await pilot.press("f3")
        await pilot.pause()
        assert dock.has_class("-hidden")
        assert dock.region.width == 0
        await pilot.press("f3")
        await pilot.pause()
        assert not dock.has_class("-hidden")
        await pilot.press("6")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("x")  # stop: the dock goes, the list keeps the focus
        await pilot.pause()
        assert not live.query(NarrationDock)
        assert app.focused is screen.query_one("#scn-list")


async def test_after_a_run_the_detail_follows_the_highlight_and_focus_stays() -> None:
    app, screen = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_scenarios(pilot, app, screen)
        await pilot.press("enter", "a")
        await until(pilot, lambda: screen.scenario_run is not None and screen.scenario_run.done)
        await until(pilot, lambda: "PASSED" in text_of(screen, "#scn-status"))
        assert "✓" in text_of(screen, "#scn-detail-text")
        assert app.focused is screen.query_one("#scn-list")
        await pilot.press("down")
        detail = text_of(screen, "#scn-detail-text")
        assert "Kill the leader" in detail
        assert "✓" not in detail
        await pilot.press("up")
        detail = text_of(screen, "#scn-detail-text")
        assert "One node is enough" in detail
        assert "✓" in detail
        assert "Names in this run: topic work (work-eb8f61)" in detail


async def test_number_keys_go_back_to_a_live_screen() -> None:
    app, screen = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_scenarios(pilot, app, screen)
        await pilot.press("3")
        await until(pilot, lambda: app.screen is not screen)
        await pilot.pause()
        assert app.query_one("#tabs").active == "tab-consumers"  # type: ignore[attr-defined]


def test_names_legend_pairs_logical_and_real_names() -> None:
    scenario = loads(SMALL, "small.yaml")
    legend = names_legend(scenario, {"work": "work-1", "first": "first-1", "workers": "workers-1",
                                     "m1": "m1-1"})
    assert legend == ("topic work (work-1) · producer first (first-1) · group workers "
                      "(workers-1) · member m1 (m1-1)")
    assert names_legend(scenario, {}) == ""
