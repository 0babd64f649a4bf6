"""``consume`` ends only when the group has really finished (issue: a run stopped while the group was
still recovering from a crash and the verdict said ok), and a run cut short says what it left.

The crash makes the group rebalance after the session timeout (6 s), which is longer than the idle
timeout given here (2 s): the old end condition stopped during that stall.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.engine.test_consumer_support import Ledger, create_topics
from tests.helpers import unique
from tui.cli import main
from tui.lab import LabCluster
from tui.lab.tools import describe_group

pytestmark = pytest.mark.kafka
RECORDS = 12_000
PARTITIONS = 6


def _verdict(out: str) -> dict[str, object]:
    last = json.loads(out.strip().splitlines()[-1])
    verdict = last["verdict"]
    assert isinstance(verdict, dict)
    return verdict


def _tool_lag(bootstrap: str, group: str) -> dict[int, tuple[int, int]]:
    """partition -> (current offset, lag) as Kafka's own ConsumerGroupCommand prints them."""
    rows: dict[int, tuple[int, int]] = {}
    for line in describe_group(bootstrap, group).splitlines():
        cols = line.split()
        if len(cols) >= 6 and cols[0] == group and re.fullmatch(r"\d+", cols[2]):
            rows[int(cols[2])] = (int(cols[3]), int(cols[5]))
    return rows


def test_a_crash_run_delivers_every_record_three_times_in_a_row(
        lab1: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
    topic = unique("run-end")
    create_topics(lab1.bootstrap, [topic], partitions=PARTITIONS)
    Ledger(lab1.bootstrap, unique("r")[-8:]).produce(topic, RECORDS, partitions=PARTITIONS)
    for attempt in range(3):
        group = unique(f"g{attempt}")
        code = main(["--state-dir", str(lab1.dir), "consume", topic, "--group", group,
                     "--strategy", "sync-per-batch", "--members", "3", "--crash-after", "1000",
                     "--batch-size", "100", "--idle-timeout", "2", "--json"])
        verdict = _verdict(capsys.readouterr().out)
        assert code == 0, verdict.get("headline")
        summary = verdict["summary"]
        assert isinstance(summary, dict)
        assert summary["distinct_delivered"] == RECORDS, f"run {attempt + 1}: {verdict['headline']}"
        counts = verdict["counts"]
        assert isinstance(counts, dict)
        assert counts["unconsumed"] == 0
        assert counts["skipped"] == 0
        committed = summary["committed"][group]
        tool = _tool_lag(lab1.bootstrap, group)
        assert set(tool) == set(range(PARTITIONS))
        assert all(lag == 0 for _offset, lag in tool.values()), tool
        assert {int(k.rsplit("/", 1)[1]): v for k, v in committed.items()} == {
            p: offset for p, (offset, _lag) in tool.items()}


def test_a_run_cut_short_reports_what_it_left_and_exits_non_zero(
        lab1: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
    topic = unique("run-short")
    create_topics(lab1.bootstrap, [topic], partitions=1)
    Ledger(lab1.bootstrap, unique("r")[-8:]).produce(topic, 300, partition=0)
    group = unique("g")
    # 50 ms per record: 300 records take 15 s, the run may take 4
    code = main(["--state-dir", str(lab1.dir), "consume", topic, "--group", group,
                 "--strategy", "sync-per-message", "--processing-ms", "50", "--batch-size", "10",
                 "--timeout", "4", "--json"])
    captured = capsys.readouterr()
    verdict = _verdict(captured.out)
    assert code == 1
    assert "not yet consumed" in captured.err
    summary = verdict["summary"]
    assert isinstance(summary, dict)
    left = RECORDS_LEFT = 300 - int(summary["distinct_delivered"])  # noqa: N806
    assert 0 < RECORDS_LEFT < 300
    counts = verdict["counts"]
    assert isinstance(counts, dict)
    assert counts["unconsumed"] == left
    assert str(verdict["headline"]).startswith("ok so far")
    assert f"{left:,} records in the log were never consumed" in captured.err
