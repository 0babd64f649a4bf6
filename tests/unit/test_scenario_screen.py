"""The Scenarios screen driven by Textual's Pilot, with a fake cluster behind the runner."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.widgets import OptionList, Static

from tests.scenarios.fake_driver import FakeDriver
from tui.scenario.load import ScenarioError, loads
from tui.scenario.model import Scenario
from tui.scenario.results import Progress
from tui.scenario.runner import ScenarioRun
from tui.ui.scenarios_screen import ScenariosScreen, detail_text, narration_text

TEXT = """
title: Pause the leader
goal: Watch the ISR shrink.
cluster: {nodes: 3}
topics: [{name: t, replication-factor: 3}]
steps:
  - pause-node: {leader-of: t/0, as: old}
    narrate: Freeze the leader and watch the Cluster screen.
  - resume-node: old
    narrate: Wake it up again.
expect:
  lost: 0
"""


class Host(App[None]):
    def __init__(self, screen: ScenariosScreen) -> None:
        super().__init__()
        self._screen = screen

    def on_mount(self) -> None:
        self.push_screen(self._screen)


async def _until(pred: Callable[[], object], limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not pred():
        assert time.monotonic() < deadline, "timed out waiting in the UI test"
        await asyncio.sleep(0.05)


def _screen(driver: FakeDriver) -> ScenariosScreen:
    scenario = loads(TEXT, "pause.yaml")
    bad = ScenarioError("broken.yaml: 'title' is required.")

    def start(sc: Scenario, progress: Callable[[Progress], None]) -> ScenarioRun:
        return ScenarioRun(sc, driver=driver, on_progress=progress)

    return ScenariosScreen(start_run=start, scenarios=[(Path("pause.yaml"), scenario),
                                                       (Path("broken.yaml"), bad)])


async def test_step_by_step_on_keys() -> None:
    driver = FakeDriver(nodes=3)
    screen = _screen(driver)
    async with Host(screen).run_test(size=(140, 44)) as pilot:
        await pilot.pause()
        listing = screen.query_one("#scn-list", OptionList)
        assert listing.option_count == 2
        assert "Watch the ISR shrink." in str(screen.query_one("#scn-detail-text", Static).render())
        await pilot.press("n")  # nothing started yet: only a notification
        assert screen.scenario_run is None
        listing.focus()
        await pilot.press("enter")
        await pilot.pause()
        run = screen.scenario_run
        assert run is not None
        assert not driver.calls  # starting a run does nothing on the cluster yet
        await pilot.press("n")
        await _until(lambda: len(run.results) == 1)
        await pilot.pause(0.1)
        narration = str(screen.query_one("#scn-narration-text", Static).render())
        assert "Freeze the leader and watch the Cluster screen." in narration
        assert "paused node 1" in narration
        assert ("node", 1, "pause") in driver.calls
        await pilot.press("a")
        await _until(lambda: run.done)
        await _until(lambda: "PASSED" in str(screen.query_one("#scn-status", Static).render()))
        status = str(screen.query_one("#scn-status", Static).render())
        assert "ok   lost == 0" in status


async def test_invalid_entry_is_listed_with_its_error() -> None:
    screen = _screen(FakeDriver(nodes=3))
    async with Host(screen).run_test(size=(140, 44)) as pilot:
        await pilot.pause()
        listing = screen.query_one("#scn-list", OptionList)
        listing.focus()
        listing.highlighted = 1
        await pilot.pause()
        assert "'title' is required" in str(screen.query_one("#scn-detail-text", Static).render())
        await pilot.press("enter")
        await pilot.pause()
        assert screen.scenario_run is None


def test_narration_marks_steps() -> None:
    driver = FakeDriver(nodes=3)
    run = ScenarioRun(loads(TEXT, "p.yaml"), driver=driver)
    run.next_step()
    detail = detail_text(run.scenario, run).plain
    assert "✓  1. pause-node" in detail
    assert "▶  2. resume-node" in detail
    text = narration_text(run).plain
    assert "Next (n): step 2" in text


async def test_narration_panel_beside_live_panes() -> None:
    from tui.ui.scenarios_screen import SCENARIOS_CSS, NarrationPanel

    class Docked(App[None]):
        CSS_PATH = SCENARIOS_CSS  # the panel's look comes with the scenarios stylesheet

        def compose(self):  # type: ignore[no-untyped-def]
            yield NarrationPanel(id="narration")

    run = ScenarioRun(loads(TEXT, "p.yaml"), driver=FakeDriver(nodes=3))
    async with Docked().run_test(size=(100, 30)) as pilot:
        panel = pilot.app.query_one(NarrationPanel)
        panel.show(None)
        await pilot.pause()
        assert "No scenario is running." in str(panel.render())
        run.run_all()
        panel.show(run)
        await pilot.pause()
        rendered = str(panel.render())
        assert "The final re-read compares" in rendered
        assert "PASSED" in rendered
        assert panel.outer_size.width == 48
