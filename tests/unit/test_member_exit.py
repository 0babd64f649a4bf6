"""How the parent reads a member process's end (tui/engine/member_process/runner.py)."""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace
from typing import Any

from tui.engine.member_process.runner import MemberProcess


class _Runner(MemberProcess[Any]):
    BUS = "member"
    WHO = "member"
    KILLED = "no leave"

    def _log(self, ts: float, topic: str, kind: Any, **fields: Any) -> None:
        self.logged.append((kind, fields))

    def _release(self) -> None:
        pass


def _runner(*, left: bool, exit_code: int) -> tuple[_Runner, list[tuple[str, str, str]]]:
    published: list[tuple[str, str, str]] = []
    bus = SimpleNamespace(publish=lambda kind, source, text, severity, **data:
                          published.append((kind, text, severity)))
    runner = object.__new__(_Runner)
    runner.ctx = SimpleNamespace(bus=bus, log=logging.getLogger("test-member-exit"))  # type: ignore[assignment]
    runner.state = SimpleNamespace(lock=threading.Lock(), state="running", last_error=None)
    runner.name, runner.group, runner.incarnation = "m1", "g", 1
    runner.crashed, runner.kill_requested, runner.left = False, False, left
    runner.exit_code, runner.stderr_tail = exit_code, b"Fatal Python error: Segmentation fault\n"
    runner.logged = []  # type: ignore[attr-defined]
    return runner, published


def test_a_member_that_ends_by_a_signal_after_leaving_is_stopped_and_the_signal_is_said() -> None:
    runner, published = _runner(left=True, exit_code=-11)
    runner._finish()
    assert runner.state.state == "stopped"
    assert not runner.crashed
    assert [(k, s) for k, _t, s in published] == [("member.exit-signal", "warning")]
    assert "signal 11" in published[0][1]


def test_a_clean_exit_after_leaving_says_nothing_and_an_exit_without_leaving_is_a_crash() -> None:
    runner, published = _runner(left=True, exit_code=0)
    runner._finish()
    assert runner.state.state == "stopped"
    assert published == []
    runner, published = _runner(left=False, exit_code=-11)
    runner._finish()
    assert runner.state.state == "crashed"
    assert published[0][0] == "member.crashed"
    assert "Segmentation fault" in published[0][1]
