"""The launcher's error paths, through the command line: one sentence on stderr and exit 1, never a
traceback (the launcher raises a UserError; the CLI prints its sentence)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tui import cli
from tui.ui import launch


def test_unknown_theme_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--theme", "neon"]) == 1
    err = capsys.readouterr().err
    assert "Unknown theme 'neon'" in err
    assert "kx-dark" in err
    assert "Traceback" not in err


def test_bad_property_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-b", "127.0.0.1:1", "-X", "novalue"]) == 1
    err = capsys.readouterr().err
    assert "-X expects KEY=VALUE" in err
    assert "Traceback" not in err


def test_unreachable_cluster_is_one_sentence(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launch, "CONNECT_TIMEOUT", 3.0)
    assert cli.main(["-b", "127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert "Cannot reach the broker at 127.0.0.1:1: connection refused" in err
    assert "Traceback" not in err


def test_broken_lab_state_dir_is_one_sentence(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cluster.json").write_text("{not json")

    # never open a Textual screen in this test: run the start directly (it fails on the state)
    def plain_start(nodes: int, state_dir: Path | None) -> Any:
        return lambda up: up(lambda _line: None)

    monkeypatch.setattr(launch, "_startup_screen", plain_start)
    assert cli.main(["--state-dir", str(tmp_path), "--nodes", "1"]) == 1
    err = capsys.readouterr().err
    assert "The lab cluster did not start" in err
    assert "Traceback" not in err
    assert err.count("\n") <= 2  # the sentence (and at most the stop notice), nothing else
