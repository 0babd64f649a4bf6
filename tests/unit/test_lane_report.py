"""The HTML report draws each topic's final record lane as cells (escaped, a glyph per fate), and a
scenario run hands the report the lanes its driver draws."""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.scenarios.fake_driver import FakeDriver
from tests.unit.test_lane import auto_commit_crash
from tui.engine import LaneView
from tui.engine.checker import check
from tui.engine.lanes import final_lane
from tui.scenario import report
from tui.scenario.load import loads
from tui.scenario.runner import ScenarioRun

SCENARIO = """
title: lane report
goal: draw it
cluster: {nodes: 1}
topics: [{name: work}]
steps:
  - produce: {name: p1, topic: work, count: 10}
expect:
  skipped: 7
"""


def _lane(topic: str = "work") -> LaneView:
    history = auto_commit_crash().build()
    lane = final_lane(history, check(history), "work", width=40)
    assert lane is not None
    return dataclasses.replace(lane, topic=topic)


class LaneDriver(FakeDriver):
    """The fake driver, drawing the auto-commit crash's lane for any topic."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.drawn: list[str] = []

    def lane(self, topic: str, width: int = 100) -> LaneView | None:
        self.drawn.append(topic)
        return _lane(topic)


def test_the_run_hands_its_topics_lanes_to_the_report() -> None:
    driver = LaneDriver(nodes=1, counts={"skipped": 7})
    outcome = ScenarioRun(loads(SCENARIO, "lane.yaml"), driver=driver, run_suffix="s1").run_all()
    assert driver.drawn == ["work-s1"]
    assert [lane.topic for lane in outcome.lanes] == ["work-s1"]
    page = report.to_html(outcome)
    assert "<h2>Record lane</h2>" in page
    assert page.count('<td class="fs" title="') == 7  # the skipped cells
    assert page.count('<td class="fp" title="') == 3
    assert 'title="3: skipped">»</td>' in page
    assert "<td>C</td>" in page  # the committed marker, past the skipped cells
    assert "Fates for group workers" in page


def test_the_lane_in_html_is_escaped() -> None:
    driver = LaneDriver(nodes=1, counts={"skipped": 7})
    outcome = ScenarioRun(loads(SCENARIO, "lane.yaml"), driver=driver, run_suffix="s1").run_all()
    hostile = dataclasses.replace(outcome, lanes=(dataclasses.replace(
        _lane("<script>alert(1)</script>"), group="<img src=x>"),))
    page = report.to_html(hostile)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x>" not in page


def test_without_a_lane_the_section_is_left_out() -> None:
    outcome = ScenarioRun(loads(SCENARIO, "lane.yaml"), driver=FakeDriver(nodes=1),
                          run_suffix="s1").run_all()
    assert outcome.lanes == ()
    assert "Record lane" not in report.to_html(outcome)
