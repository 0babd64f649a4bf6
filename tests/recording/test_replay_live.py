"""A real scenario run recorded with ``run --record`` on the lab, then replayed without any cluster:
the explorer opens on it, every screen renders, the verdict is the recorded one, the scenario replays
step by step, and a cluster command is refused with one sentence."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TabbedContent

from tests.ui.fakes import plain
from tui.lab import LabCluster
from tui.recording.reader import load
from tui.recording.replay import RECORDING, ReplayEngine
from tui.ui.fast_table import FastTable
from tui.ui.replay.app import ReplayApp, ReplayBar
from tui.ui.settings import Settings

pytestmark = pytest.mark.kafka

SLUG = "commit-auto-crash"
SIZE = (160, 48)


@dataclass(frozen=True)
class Recorded:
    path: Path
    report: dict[str, Any]
    stderr: str


@pytest.fixture(scope="module")
def recorded(lab1: LabCluster, tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    out = tmp_path_factory.mktemp("live")
    path, base = out / f"{SLUG}.kxr", out / SLUG
    done = subprocess.run([sys.executable, "-m", "tui", "--state-dir", str(lab1.dir), "run", SLUG,
                           "--record", str(path), "--report", str(base), "-q"],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    return Recorded(path, json.loads(base.with_suffix(".json").read_text()), done.stderr)


def test_run_record_reports_the_file_and_its_size(recorded: Recorded) -> None:
    size = recorded.path.stat().st_size
    print(f"\n{SLUG}: {size / 1024:.1f} KiB recorded")  # the size the report quotes
    assert f"recording written to {recorded.path}" in recorded.stderr
    assert size < 512 * 1024
    info = subprocess.run([sys.executable, "-m", "tui", "replay", str(recorded.path), "--info"],
                          capture_output=True, text=True, timeout=60)
    assert info.returncode == 0, info.stderr
    assert f"scenario {SLUG}" in info.stdout
    assert "(passed)" in info.stdout


def test_the_replayed_verdict_is_the_recorded_one(recorded: Recorded) -> None:
    from tui.engine import Judge

    engine = ReplayEngine(load(recorded.path), playing=False)
    verdict = engine.submit(Judge()).result()
    assert dict(verdict.counts) == recorded.report["verdict"]["counts"]
    assert verdict.count("skipped") == 7


def test_the_replay_report_is_the_live_one(recorded: Recorded, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "tui", "replay", str(recorded.path), "--report",
                           str(tmp_path / "again")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    again = json.loads((tmp_path / "again.json").read_text())
    assert again == recorded.report
    page = (tmp_path / "again.html").read_text(encoding="utf-8")
    live_page = recorded.path.with_suffix(".html").read_text(encoding="utf-8")
    for part in ("<h2>Verdict</h2>", '<p class="banner ok">ok</p>', "<td>skipped</td>",
                 "<h2>Timeline</h2>"):
        assert part in page
        assert part in live_page


async def wait_for(pilot: Any, predicate: Any, tries: int = 200) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


async def test_the_explorer_replays_it_without_a_cluster(recorded: Recorded) -> None:
    began = time.monotonic()
    engine = ReplayEngine(load(recorded.path), speed=64.0, playing=False)
    app = ReplayApp(engine, settings=Settings(), remember=False, pump_hz=20)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        print(f"\nreplay opened with its first frame in {time.monotonic() - began:.2f} s")
        assert "replay of lab" in plain(app.query_one("#status"))
        await pilot.press("right_curly_bracket")  # to the end: the verdict is there
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.verdict is not None)
        tabs = app.query_one("#tabs", TabbedContent)
        for key, pane in (("1", "cluster"), ("2", "produce"), ("3", "consumers"), ("4", "verdict"),
                          ("5", "timeline")):
            await pilot.press(key)
            await wait_for(pilot, lambda: tabs.active == f"tab-{pane}")  # noqa: B023
            await pilot.pause(0.1)
        assert not app._render_failed
        topics = app.query_one("#topics", FastTable)
        await pilot.press("1")
        await wait_for(pilot, lambda: topics.row_count == 1)  # the run's own topic only

        # the Verdict screen shows the recorded counts; e opens a recorded timeline
        await pilot.press("4")
        counts = app.query_one("#counts", FastTable)
        await wait_for(pilot, lambda: counts.row("skipped") is not None)
        for kind, count in recorded.report["verdict"]["counts"].items():
            row = counts.row(kind)
            if count:
                assert row is not None
                assert str(row[1]) == f"{count:,}"
        await pilot.press("v")  # Judge: the recorded verdict again
        await pilot.pause(0.2)
        app.query_one("#anomalies", FastTable).focus()
        await pilot.press("e")
        from tui.ui.panes.explain import ExplainScreen

        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        lines = plain(app.screen.query_one("#explain-lines"))
        assert "processed" in lines or "delivered" in lines
        assert RECORDING not in lines
        await pilot.press("escape")

        # a command that needs a cluster: one sentence
        await pilot.press("1")
        app.query_one("#nodes", FastTable).focus()
        await pilot.press("k")
        await wait_for(pilot, lambda: any(n.message.startswith(f"{RECORDING}: the lab action command")
                                          for n in app._notifications))

        # the control bar: pause, seek, speed
        bar = app.query_one(ReplayBar)
        await pilot.press("left_curly_bracket")
        assert engine.clock.fraction() == 0.0
        await pilot.press("greater_than_sign")
        assert engine.clock.speed == 128.0
        assert "×128" in str(bar.render())
        await pilot.press(*["less_than_sign"] * 7)
        assert engine.clock.speed == 1.0
        await pilot.press("P")
        assert engine.clock.playing
        await pilot.press("P")
        assert not engine.clock.playing
        engine.clock.set_speed(64.0)

        # the Scenarios screen replays the recorded run step by step
        await pilot.press("6")
        from tui.ui.scenarios_screen import ScenariosScreen

        await wait_for(pilot, lambda: isinstance(app.screen, ScenariosScreen))
        screen = app.screen
        assert isinstance(screen, ScenariosScreen)
        index = next(i for i, (_p, s) in enumerate(screen._scn_entries)
                     if getattr(s, "slug", None) == SLUG)
        screen.start(screen._scn_entries[index][1])  # type: ignore[arg-type]
        await pilot.press("a")
        await wait_for(pilot, lambda: screen.scenario_run is not None and screen.scenario_run.done,
                       tries=600)
        run = screen.scenario_run
        assert run is not None
        assert run.passed
        assert [r.ok for r in run.results] == [s["ok"] for s in recorded.report["steps"]]
        # the step thread marks the run done, then posts StepsFinished; the status follows that
        await wait_for(pilot, lambda: "PASSED" in plain(screen.query_one("#scn-status")))
