"""``kafka-explorer run --ask`` on the shared 1-node lab: the question is printed, the answer read
from stdin, and the prediction shown next to what happened (also in the reports)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tui.cli import main
from tui.lab import LabCluster

SCENARIO = """
title: ask on the lab
goal: predict, then observe
cluster: {nodes: 1}
topics: [{name: t, partitions: 1}]
steps:
  - produce: {name: p1, topic: t, count: 20, profile: {acks: all}}
    narrate: twenty records
  - start-members: {group: g, topic: t, strategy: sync-per-batch}
    narrate: one member reads them all; this narration comes after the answer
    ask:
      question: How many of the 20 records will the group consume?
      choices: ["none", "10", "all 20"]
      answer: 3
      why: nothing breaks, so every record is delivered
      check: consumed.g
  - wait: {consumed: {group: g, count: 20}, timeout: 60}
    narrate: wait for them
expect:
  consumed: {g: 20}
  lost: 0
"""


def test_run_ask_reads_the_answer_from_stdin(lab1: LabCluster, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = tmp_path / "ask-lab.yaml"
    scenario.write_text(SCENARIO)
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n"))
    code = main(["--state-dir", str(lab1.dir), "run", str(scenario), "--ask",
                 "--report", str(tmp_path / "r.json")])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    out = captured.out
    assert "? How many of the 20 records will the group consume?" in out
    assert "3. all 20" in out
    assert "→ the room answered 3. all 20" in out
    assert out.index("→ the room answered") < out.index("this narration comes after the answer")
    assert "answer 1-3 (empty: skip)" in captured.err
    assert "the room: 3. all 20  (right)" in out
    assert "happened: consumed.g = 20 (expected == 20: holds) (verified)" in out
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["questions"][0]["answer"] == 3
    assert data["questions"][0]["verified"] is True
