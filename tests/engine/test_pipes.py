"""A closed stdout (``| head``) ends any command quietly, as Unix tools do, and stops what it started."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.helpers import unique
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka


def _first_line_then_close(argv: list[str], timeout: float = 60.0) -> tuple[int, str, float]:
    """Start the command, read one line, close our end of its stdout; (exit code, stderr, seconds
    from the close to its exit)."""
    proc = subprocess.Popen([sys.executable, "-m", "tui", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stderr is not None
    line = proc.stdout.readline()
    assert line, "the command printed nothing"
    proc.stdout.close()
    closed = time.monotonic()
    try:
        code = proc.wait(timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    return code, proc.stderr.read().decode(errors="replace"), time.monotonic() - closed


def test_watch_json_into_a_closed_pipe_ends_quietly(lab1: LabCluster) -> None:
    code, err, took = _first_line_then_close(
        ["-b", lab1.bootstrap, "watch", "--json", "--summary-every", "0.25"])
    assert code == 141, err
    assert "Traceback" not in err
    assert "BrokenPipe" not in err
    assert took < 15


def test_produce_records_into_a_closed_pipe_stops_the_producer(lab1: LabCluster) -> None:
    topic = unique("pipe")
    code, err, took = _first_line_then_close(
        ["-b", lab1.bootstrap, "produce", topic, "--create-topic", "--count", "200000", "--rate", "2000",
         "--json", "--records"])
    assert code == 141, err
    assert "Traceback" not in err
    assert "BrokenPipe" not in err
    assert took < 20  # it did not go on producing the rest


def test_scenario_check_into_a_closed_pipe_ends_quietly() -> None:
    proc = subprocess.run(f"{sys.executable} -m tui run acks0-leader-kill --check | head -1",
                          shell=True, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr
    assert "BrokenPipe" not in proc.stderr
