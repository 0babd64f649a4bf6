"""Two scenarios back to back in one explorer, on the real engine and the 1-node lab: each run is
judged on its own producers, members and topics, so both pass (the second one used to be judged on
the first one's records too)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.fakes import plain
from tui.engine import Connection, Engine
from tui.lab import LabCluster
from tui.scenario.load import bundled_dir, load_file
from tui.scenario.model import Scenario
from tui.scenario.results import Progress
from tui.scenario.runner import ScenarioRun
from tui.ui.app import ExplorerApp
from tui.ui.scenarios_screen import ScenariosScreen
from tui.ui.settings import Settings
from tui.ui.widgets.ask import AskPanel

FIRST, SECOND = "commit-async-per-batch-crash", "commit-auto-crash"


@pytest.fixture
def engine1(lab1: LabCluster) -> Iterator[Engine]:
    with Engine(Connection(bootstrap=lab1.bootstrap, lab_dir=lab1.dir, label="lab"),
                watch_interval=0.5) as engine:
        yield engine


async def until(pilot: Pilot[Any], predicate: Callable[[], Any], seconds: float,
                message: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {message}")
        await pilot.pause(0.25)


@pytest.mark.kafka
async def test_two_scenarios_back_to_back_both_pass(engine1: Engine) -> None:
    entries = [(bundled_dir() / f"{slug}.yaml", load_file(bundled_dir() / f"{slug}.yaml"))
               for slug in (FIRST, SECOND)]
    runs: list[ScenarioRun] = []

    def start_run(scenario: Scenario, on_progress: Callable[[Progress], None]) -> ScenarioRun:
        run = ScenarioRun(scenario, engine1, on_progress=on_progress)
        runs.append(run)
        return run

    app = ExplorerApp(engine1, settings=Settings(), remember=False, start_run=start_run)
    screen = ScenariosScreen(start_run=start_run, scenarios=entries)
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: app.snapshot and app.snapshot.cluster, 30, "the first snapshot")
        app.install_screen(screen, name="scenarios")
        await pilot.press("6")
        await until(pilot, lambda: app.screen is screen, 10, "the Scenarios screen")
        for index, slug in enumerate((FIRST, SECOND)):
            if index:
                await pilot.press("down")
            await pilot.press("enter")
            await until(pilot, lambda: len(runs) == index + 1, 10, f"{slug} to start")  # noqa: B023
            await pilot.press("a")
            run = runs[index]
            panel = screen.query_one(AskPanel)
            deadline = time.monotonic() + 240
            while not run.done:  # a step with ask: waits for the room; the instructor answers 1
                assert time.monotonic() < deadline, f"timed out after 240 s waiting for {slug} to end"
                if panel.question is not None and panel.has_focus:
                    await pilot.press("1")
                await pilot.pause(0.25)
            # the outcome line follows the run's StepsFinished message ("NOT PASSED" holds it too)
            status = await until(pilot, lambda: (lambda t: t if "PASSED" in t else "")(  # noqa: B023
                plain(screen.query_one("#scn-status"))), 10, f"{slug}'s outcome line")
            failed = [e for e in run.expectation_results if not e.ok]
            assert run.passed, f"{slug}: {run.error or failed}\n{status}"
            questions = sum(1 for step in entries[index][1].steps if step.ask is not None)
            assert [a.answer for a in run.asks] == [0] * questions  # each one waited for its answer
            assert "PASSED" in status
            assert "NOT PASSED" not in status
        assert runs[0].suffix != runs[1].suffix
        assert screen.query_one("#scn-list").has_focus
