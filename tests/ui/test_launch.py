"""The launcher's error paths: one sentence on stderr and exit 1, never a traceback."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tui.ui import launch


def args(**overrides: object) -> argparse.Namespace:
    base: dict[str, object] = {"bootstrap": None, "properties": [], "profile": None, "config": None,
                               "state_dir": None, "theme": None, "keep_lab": False, "nodes": 1}
    base.update(overrides)
    return argparse.Namespace(**base)


def test_unknown_theme_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert launch.run_explorer(args(theme="neon")) == 1
    err = capsys.readouterr().err
    assert "Unknown theme 'neon'" in err
    assert "kx-dark" in err
    assert "Traceback" not in err


def test_bad_property_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert launch.run_explorer(args(bootstrap="127.0.0.1:1", properties=["novalue"])) == 1
    err = capsys.readouterr().err
    assert "-X expects KEY=VALUE" in err
    assert "Traceback" not in err


def test_unreachable_cluster_is_one_sentence(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launch, "CONNECT_TIMEOUT", 3.0)
    assert launch.run_explorer(args(bootstrap="127.0.0.1:1")) == 1
    err = capsys.readouterr().err
    assert "Cannot reach the broker at 127.0.0.1:1: connection refused" in err
    assert "Traceback" not in err


def test_broken_lab_state_dir_is_one_sentence(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cluster.json").write_text("{not json")
    # never open a Textual screen in this test: starting must fail before (unreadable state)
    monkeypatch.setattr(launch, "_start_lab", lambda lab, nodes: "the lab state is unreadable")
    assert launch.run_explorer(args(state_dir=tmp_path)) == 1
    err = capsys.readouterr().err
    assert "The lab cluster did not start" in err
    assert "Traceback" not in err
