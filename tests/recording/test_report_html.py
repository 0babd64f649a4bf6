"""The HTML report: one self-contained page with the verdict, expectations, steps and timeline, and
every string from a file, the cluster or a payload escaped."""

from __future__ import annotations

from pathlib import Path

from tests.scenarios.fake_driver import FakeDriver
from tui.engine import Event
from tui.scenario import report
from tui.scenario.load import loads
from tui.scenario.results import RunOutcome
from tui.scenario.runner import ScenarioRun

HOSTILE = """
title: "<script>alert(1)</script> leader kill"
goal: "lose acks=1 records <img src=x onerror=alert(2)>"
cluster: {nodes: 3}
topics: [{name: t, replication-factor: 3, partitions: 1}]
steps:
  - produce: {name: p1, topic: t, count: 100, profile: {acks: "1"}}
    narrate: "start producing </blockquote><iframe src=//evil>"
  - kill-node: {leader-of: t/0}
    narrate: kill it
expect:
  lost: ">0"
"""


def outcome() -> RunOutcome:
    driver = FakeDriver(nodes=3, counts={"lost": 12})
    return ScenarioRun(loads(HOSTILE, "h.yaml"), driver=driver, run_suffix="r1").run_all()


def test_every_untrusted_string_is_escaped() -> None:
    timeline = [Event(1, 10.0, "member.crashed", "member:m2<b>", "m2 died \x1b]0;pwned\x07 <svg onload=x>",
                      "warning", {}),
                Event(2, 10.5, "verdict.ready", "engine", "Verdict ready", "notice", {})]
    page = report.to_html(outcome(), timeline)
    lowered = page.lower()
    for bad in ("<script", "<img", "<iframe", "<svg", "m2<b>", "\x1b", "\x07"):
        assert bad not in lowered
    assert "&lt;script&gt;alert(1)&lt;/script&gt; leader kill" in page
    assert "m2 died \\x1b]0;pwned\\x07 &lt;svg onload=x&gt;" in page
    assert "default-src 'none'" in page  # nothing may load or run, whatever slipped through


def test_the_page_holds_verdict_expectations_steps_and_timeline() -> None:
    page = report.to_html(outcome(), [Event(1, 10.0, "lab.kill", "scenario", "killed node 2", "notice", {})])
    assert page.startswith("<!DOCTYPE html>")
    for part in ("<h2>Verdict</h2>", "<h2>Expectations</h2>", "<h2>Steps</h2>", "<h2>Timeline</h2>",
                 "Result: PASSED", "<td>lost</td><td class=\"num\">12</td>", "killed node 2"):
        assert part in page
    assert "http://" not in page
    assert "https://" not in page
    assert report.record_lane_section(outcome()) == ""  # the lane's engineer fills it in


def test_write_adds_html_beside_json_and_markdown(tmp_path: Path) -> None:
    done = outcome()
    assert [p.name for p in report.write(done, tmp_path / "only.html")] == ["only.html"]
    written = sorted(p.name for p in report.write(done, tmp_path / "all"))
    assert written == ["all.html", "all.json", "all.md"]
    assert (tmp_path / "all.html").read_text(encoding="utf-8") == report.to_html(done)
