"""Bad input at the command line: one sentence on stderr, a non-zero exit, no library noise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "KX_STATE_DIR": str(home / "state"),
           "KX_CONFIG_DIR": str(home / "config")}
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          timeout=120, env=env, check=False)


def test_unreachable_cluster_is_one_sentence_without_librdkafka_lines(tmp_path: Path) -> None:
    out = _run("-b", "127.0.0.1:1", "produce", "t", "--count", "1", home=tmp_path)
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr[:2000]
    assert lines[0].startswith("kafka-explorer: Cannot reach")
    assert "FAIL" not in out.stderr


def test_no_lab_and_no_cluster_is_one_sentence(tmp_path: Path) -> None:
    out = _run("watch", "--duration", "1", home=tmp_path)
    assert out.returncode == 1
    assert "no lab cluster exists" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_option_value_exits_2(tmp_path: Path) -> None:
    out = _run("lab", "up", "--nodes", "2", home=tmp_path)
    assert out.returncode == 2
    assert "invalid choice" in out.stderr
    # one line, where the help is: not argparse's usage block above it
    assert out.stderr.splitlines() == [
        "kafka-explorer lab up: argument --nodes: invalid choice: 2 (choose from 1, 3); see "
        "kafka-explorer lab up --help."]


@pytest.mark.parametrize("args", [
    ("consume", "t", "-g", "g", "--batch-size", "0"),  # refused by the member spec
    ("produce", "t", "--linger-ms", "-5"),  # refused by the producer profile
    ("consume", "t"),  # argparse: --group is required
])
def test_a_refused_option_value_exits_2_on_every_command(tmp_path: Path, args: tuple[str, ...]) -> None:
    out = _run("-b", "127.0.0.1:1", *args, home=tmp_path)
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.splitlines()) == 1, out.stderr
    assert out.stderr.startswith("kafka-explorer")


def test_a_property_librdkafka_rejects_is_named_before_connecting(tmp_path: Path) -> None:
    out = _run("-b", "127.0.0.1:1", "consume", "t", "-g", "g", "-X", "sasl.jaas.config=hunter2",
               home=tmp_path)
    assert out.returncode == 1
    assert out.stderr.splitlines() == [
        "kafka-explorer: -X sasl.jaas.config: sasl.jaas.config is not a librdkafka property "
        "(librdkafka takes sasl.username and sasl.password instead)."]


def test_an_escaped_user_error_is_its_sentence_and_exit_code(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from tui import redact
    from tui.cli import main
    from tui.errors import UserError
    from tui.headless import lab

    def broken(_args: object) -> int:
        raise UserError("The thing broke while using s3cret-77; fix the thing.", exit_code=3)

    redact.register_secrets(["s3cret-77"])
    monkeypatch.setattr(lab, "run", broken)
    try:
        assert main(["lab", "status"]) == 3
    finally:
        redact.clear_secrets()
    err = capsys.readouterr().err
    assert err.startswith("kafka-explorer: The thing broke while using ")
    assert err.endswith("; fix the thing.\n")
    assert "s3cret-77" not in err
    assert "Traceback" not in err


def test_every_user_facing_error_shares_the_base() -> None:
    from tui.config import ConfigError
    from tui.connect import ConnectError
    from tui.errors import UserError
    from tui.lab import LabError
    from tui.scenario.load import ScenarioError
    from tui.yamldoc import YamlError

    for cls in (ConfigError, ConnectError, LabError, ScenarioError, YamlError):
        assert issubclass(cls, UserError)
    assert ScenarioError("x").exit_code == 2  # `run`: a wrong file exits 2 (README)
    assert ConnectError("x").exit_code == 1
    assert LabError("x").exit_code == 1
    err = ConfigError("p.yaml line 3: bad.")
    assert (str(err), err.sentence) == ("p.yaml line 3: bad.", "p.yaml line 3: bad.")
    assert issubclass(ScenarioError, ValueError)  # callers that caught ValueError still do


def test_user_errors_cross_process_boundaries_intact() -> None:
    import pickle

    from tui.errors import UserError
    from tui.lab.session import LabStartError
    from tui.scenario.load import ScenarioError

    for err in (UserError("Broken.", exit_code=4), ScenarioError("s.yaml: bad."), LabStartError("no java")):
        back = pickle.loads(pickle.dumps(err))
        assert (type(back), str(back), back.exit_code) == (type(err), str(err), err.exit_code)
    assert pickle.loads(pickle.dumps(LabStartError("no java"))).reason == "no java"
