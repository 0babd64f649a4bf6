"""MemberRoster: the bookkeeping both member parts (group members, share members) keep.

Members by name with their states and runners, the names handed out (``m1``, ``s1``...), the lookups
that refuse with one sentence, the crash and restart requests that go to a runner, and the clean
shutdown (everyone leaves in parallel, stragglers are killed at the deadline).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any, ClassVar, Generic, TypeVar

from tui.engine.consumer.log import ConsumptionLog
from tui.engine.context import EngineContext
from tui.engine.history import ConsumerEvent
from tui.engine.member_process.runner import MemberProcess, MemberStateLike
from tui.engine.member_process.spec import check_crash_after
from tui.engine.record_format import valid_name
from tui.vocab import LIVE_MEMBER_STATES

S = TypeVar("S", bound=MemberStateLike)
R = TypeVar("R", bound=MemberProcess[Any])


class MemberRoster(Generic[S, R]):
    """Subclasses set the class names below and start incarnations (``_start_next``)."""

    NOUN: ClassVar[str]
    """How refusals name a member (``member``, ``share member``)."""
    BUS: ClassVar[str]
    """Prefix of the bus event kinds (``member``, ``share``)."""
    PREFIX: ClassVar[str]
    """Names handed out are PREFIX1, PREFIX2..."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.log = ConsumptionLog()
        self._lock = threading.Lock()
        self._states: dict[str, S] = {}
        self._runners: dict[str, R] = {}
        self._restart_pending: set[str] = set()
        self._next_name = 1
        self._closing = False

    # ---- names and lookups ---------------------------------------------------------------------

    def _claim_name(self, name: str | None) -> str:
        """The name a new member takes (the next free PREFIXn when None); hold ``_lock``."""
        if name is None:
            while f"{self.PREFIX}{self._next_name}" in self._states:
                self._next_name += 1
            name = f"{self.PREFIX}{self._next_name}"
        if not valid_name(name):
            raise ValueError(f"Member name {name!r} may use only letters, digits, '_', '.', '-'.")
        if name in self._states and self._states[name].state in LIVE_MEMBER_STATES:
            raise ValueError(f"A {self.NOUN} called {name} is already running.")
        return name

    def _state(self, name: str) -> S:
        state = self._states.get(name)
        if state is None:
            raise ValueError(f"There is no {self.NOUN} called {name!r}.")
        return state

    def _runner(self, name: str, live: bool) -> R:
        self._state(name)
        runner = self._runners.get(name)
        if runner is None or (live and not runner.alive):
            raise ValueError(f"{self.NOUN.capitalize()} {name} is not running.")
        return runner

    # ---- incarnations --------------------------------------------------------------------------

    def _launch(self, state: S, runner: R) -> None:
        """Register and start ``runner`` (the state already says joining)."""
        with self._lock:
            self._runners[state.name] = runner
        try:
            runner.start()
        except OSError as exc:
            with state.lock:
                state.state = "crashed"
                state.last_error = f"could not start the member process: {exc}"
            raise ValueError(f"Could not start {self.NOUN} {state.name}: {exc}.") from exc
        self.ctx.bump()

    def _crash(self, name: str, after_records: int | None) -> None:
        """SIGKILL now (None), or arm a crash right after ``after_records`` more records."""
        runner = self._runner(name, live=True)
        if after_records is None:
            runner.kill()
            return
        check_crash_after(after_records)
        runner.send({"op": "crash_after", "n": after_records})
        self.ctx.bus.publish(f"{self.BUS}.crash-armed", f"member:{name}",
                             f"{name} will crash right after processing {after_records} more "
                             "record(s)", "notice", member=name)

    def _restart_state(self, state: S) -> None:
        """A running incarnation leaves first (:meth:`_exit_restart` starts the next one once it is
        gone); a stopped member starts its next incarnation now."""
        runner = self._runners.get(state.name)
        if runner is not None and runner.alive:
            with self._lock:
                self._restart_pending.add(state.name)
            runner.leave()
            return
        self._start_next(state)

    def _start_next(self, old: S) -> None:
        raise NotImplementedError

    def _start_next_or_say(self, state: S) -> None:
        """Start the next incarnation from a runner or ticker thread: a refusal goes on the bus."""
        try:
            self._start_next(state)
        except ValueError as exc:
            self.ctx.bus.publish(f"{self.BUS}.error", f"member:{state.name}", str(exc), "error")

    def _exit_restart(self, runner: R) -> tuple[bool, bool]:
        """On a runner's exit: (a restart was pending and started, closing down)."""
        with self._lock:
            restart = runner.name in self._restart_pending and not self._closing
            self._restart_pending.discard(runner.name)
            closing = self._closing
        if restart:
            self._start_next_or_say(runner.state)
        return restart, closing

    # ---- outputs and shutdown ------------------------------------------------------------------

    def history(self) -> tuple[ConsumerEvent, ...]:
        """The consumption log so far (every member, every incarnation), in its order."""
        return self.log.events()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no member process is running; True if that happened in time."""
        deadline = time.monotonic() + timeout
        for runner in list(self._runners.values()):
            if not runner.done.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def _begin_close(self) -> list[R]:
        with self._lock:
            self._closing = True
            return list(self._runners.values())

    @staticmethod
    def _leave_all(runners: Iterable[R], deadline: float) -> None:
        """Every live member leaves cleanly (in parallel); stragglers are killed at the deadline."""
        runners = list(runners)
        for runner in runners:
            if runner.alive:
                runner.leave()
        for runner in runners:
            if not runner.done.wait(max(0.0, deadline - time.monotonic() - 0.5)):
                runner.kill()
                runner.done.wait(0.5)
