"""``kafka-explorer run``: validation without a cluster, and one-sentence errors (no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.cli import main


def test_check_lists_steps_without_a_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "commit-commit-before-crash", "--check"]) == 0
    out = capsys.readouterr().out
    assert "commit-commit-before-crash.yaml: valid" in out
    assert "1. produce: first: 10 records to work" in out
    assert "crash after 3 record(s)" in out


def test_bad_file_is_one_sentence_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: t\ngoal: g\nsteps:\n  - kill-node: {leader-of: nowhere}\n")
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("kafka-explorer: bad.yaml: step 1 (kill-node): 'leader-of' must look like "
                   "topic/partition, not 'nowhere'.")
    assert main(["run", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err
    assert "missing.yaml: cannot be read" in err
    assert "Traceback" not in err


def test_unreachable_cluster_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    # a 1-node scenario against a bootstrap nobody listens on: the run fails at topic creation
    code = main(["-b", "127.0.0.1:1", "run", "hot-key-skew", "--quiet"])
    assert code == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "FAILED" in captured.out
