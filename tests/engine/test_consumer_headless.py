"""``kafka-explorer consume`` end to end on the real lab: JSON lines, a crash, a restart, a verdict."""

from __future__ import annotations

import json

import pytest

from tests.engine.test_consumer_support import Ledger, create_topics
from tests.helpers import unique
from tui.cli import main
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka


def test_consume_json_with_crash_after_prints_events_and_verdict(
        lab1: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
    topic = unique("headless")
    create_topics(lab1.bootstrap, [topic])
    Ledger(lab1.bootstrap, "headless").produce(topic, 12, partition=0)
    group = unique("g")
    code = main(["--state-dir", str(lab1.dir), "consume", topic, "--group", group,
                 "--strategy", "commit-before", "--crash-after", "3", "--batch-size", "6",
                 "--static", "--idle-timeout", "2", "--json"])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [line.get("kind") for line in lines[:-1]]
    for kind in ("member.added", "member.assigned", "member.crashed", "member.restarted",
                 "member.left"):
        assert kind in kinds
    verdict = lines[-1]["verdict"]
    assert verdict["counts"]["skipped"] == 3
    assert verdict["summary"]["processed"] == 3 + 6
    [skipped] = [a for a in verdict["anomalies"] if a["kind"] == "skipped"]
    assert skipped["offsets"] == [3, 4, 5]


def test_consume_bad_input_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["-b", "127.0.0.1:1", "consume", "t", "--group", "g", "--strategy",
                 "transactional"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.strip() == "kafka-explorer: The transactional strategy needs an output topic."
