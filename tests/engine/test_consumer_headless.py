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
    assert code == 2  # bad usage, as on produce
    err = capsys.readouterr().err
    assert err.strip() == "kafka-explorer: The transactional strategy needs an output topic."


def test_consume_on_error_dead_letter_reports_the_policy_and_the_verdict(
        lab1: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
    topic = unique("headless-dlt")
    create_topics(lab1.bootstrap, [topic])
    records = Ledger(lab1.bootstrap, "hdlt").produce(topic, 8, partition=0)
    code = main(["--state-dir", str(lab1.dir), "consume", topic, "--group", unique("g"),
                 "--on-error", "dead-letter", "--dlt", f"{topic}-errors", "--fail-ids",
                 f"{records[2].msg_id},hdlt/t/0/5", "--idle-timeout", "2", "--json"])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    policy = [line for line in lines if line.get("kind") == "member.policy"]
    assert len(policy) == 1, "one event per cause, not per record"
    assert f"dead-letters to {topic}-errors" in policy[0]["text"]
    verdict = lines[-1]["verdict"]
    assert verdict["counts"]["dead-lettered"] == 2
    assert verdict["summary"]["processed"] == 6
    dead = [a for a in verdict["anomalies"] if a["kind"] == "dead-lettered"]
    assert sorted(o for a in dead for o in a["offsets"]) == [2, 5]


@pytest.mark.parametrize(("args", "message"), [
    (["--fail-rate", "2"], "The failure rate must be between 0 and 1."),
    (["--fail-ids", "p1/x"], "'p1/x' names no records"),
    (["--on-error", "retry", "--retries", "-1"], "retries must be between 0 and 100."),
])
def test_consume_bad_error_handling_is_one_sentence(args: list[str], message: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-b", "127.0.0.1:1", "consume", "t", "--group", "g", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kafka-explorer: ")
    assert message in err
    assert "\n" not in err
