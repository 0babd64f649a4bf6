"""The Scenarios screen pauses at a question: the room's answer is a key press, the step runs then,
and after the verdict the prediction is shown next to what happened (fake engine and driver)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.scenarios.fake_driver import FakeDriver
from tests.ui.fakes import FakeEngine, plain, snapshot
from tui.engine import LabNodeView
from tui.scenario.load import loads
from tui.scenario.model import Scenario
from tui.scenario.results import Progress
from tui.scenario.runner import ScenarioRun
from tui.ui.app import ExplorerApp
from tui.ui.scenarios_screen import ScenariosScreen
from tui.ui.settings import Settings
from tui.ui.widgets.ask import AskPanel

ASKING = """
title: Predict the skip
goal: The room guesses before the crash.
cluster: {nodes: 1}
topics: [{name: work}]
steps:
  - produce: {name: first, topic: work, count: 10}
    narrate: Ten records go in.
  - start-members: {group: workers, topic: work, name: m1, strategy: auto}
    narrate: The answer is seven.
    ask:
      question: How many records will be skipped?
      choices: [none, seven, all ten]
      answer: 2
      why: auto-commit commits what consume() returned
      check: skipped
expect:
  skipped: 7
"""


async def until(pilot: Pilot[Any], predicate: Callable[[], object], tries: int = 300) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.03)
    raise AssertionError("the screen never got there")


async def test_the_room_answers_with_a_key_and_sees_the_outcome() -> None:
    runs: list[ScenarioRun] = []

    def start(sc: Scenario, progress: Callable[[Progress], None]) -> ScenarioRun:
        run = ScenarioRun(sc, driver=FakeDriver(nodes=1, counts={"skipped": 7}),
                          on_progress=progress, run_suffix="eb8f61")
        runs.append(run)
        return run

    one_node = dataclasses.replace(snapshot(1), lab=(LabNodeView(1, 4000, "running", 9091),))
    app = ExplorerApp(FakeEngine([one_node]), settings=Settings(), remember=False, pump=False)
    screen = ScenariosScreen(start_run=start,
                             scenarios=[(Path("ask.yaml"), loads(ASKING, "ask.yaml"))])
    async with app.run_test(size=(120, 40)) as pilot:
        app.apply_snapshot(one_node)
        app.install_screen(screen, name="scenarios")
        app.push_screen("scenarios")
        await pilot.pause()
        await pilot.press("enter")  # start the scenario
        await until(pilot, lambda: runs)
        run = runs[0]
        assert run.wait_for_answers
        await pilot.press("n")  # step 1: produce
        await until(pilot, lambda: len(run.results) == 1 and screen._step_thread is None)
        await pilot.press("n")  # step 2 asks first
        panel = screen.query_one(AskPanel)
        await until(pilot, lambda: panel.question is not None)
        assert panel.has_focus
        shown = plain(panel)
        assert "How many records will be skipped?" in shown
        assert "seven" in shown
        assert "The answer is seven" not in plain(screen.query_one("#scn-narration-text"))
        await pilot.press("2")  # the room says: seven
        await until(pilot, lambda: len(run.results) == 2)
        assert run.asks[0].answer == 1
        await pilot.press("a")  # the rest, then the verdict
        await until(pilot, lambda: run.done)
        await until(pilot, lambda: panel.has_class("-shown"))
        text = plain(panel)
        assert "the room: 2. seven" in text
        assert "✓ right" in text
        assert "happened: skipped = 7 (expected == 7: holds) (verified)" in text
        assert "why:      auto-commit commits what consume() returned" in text


async def test_skipping_the_question_runs_the_step() -> None:
    runs: list[ScenarioRun] = []

    def start(sc: Scenario, progress: Callable[[Progress], None]) -> ScenarioRun:
        run = ScenarioRun(sc, driver=FakeDriver(nodes=1, counts={"skipped": 7}),
                          on_progress=progress, run_suffix="eb8f61")
        runs.append(run)
        return run

    one_node = dataclasses.replace(snapshot(1), lab=(LabNodeView(1, 4000, "running", 9091),))
    app = ExplorerApp(FakeEngine([one_node]), settings=Settings(), remember=False, pump=False)
    screen = ScenariosScreen(start_run=start,
                             scenarios=[(Path("ask.yaml"), loads(ASKING, "ask.yaml"))])
    async with app.run_test(size=(80, 24)) as pilot:
        app.apply_snapshot(one_node)
        app.install_screen(screen, name="scenarios")
        app.push_screen("scenarios")
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: runs)
        await pilot.press("a")
        panel = screen.query_one(AskPanel)
        await until(pilot, lambda: panel.question is not None)
        await pilot.press("s")
        await until(pilot, lambda: runs[0].done)
        assert runs[0].asks[0].answer_text() == "skipped"
