"""GroupMembers: owns group members (one runner thread + one member process each) and the
consumption log. Commands arrive on the engine's command thread and only flip state or start/stop
processes, so ``handle`` returns at once."""

from __future__ import annotations

import threading
import time
from typing import Any

from tui.engine.commands import Command
from tui.engine.consumer import commands as c
from tui.engine.consumer.log import ConsumptionLog
from tui.engine.consumer.runner import MemberRunner
from tui.engine.consumer.state import MemberState
from tui.engine.consumer.strategies import strategy_class
from tui.engine.consumer.transactions import TransactionBook
from tui.engine.consumer.views import ConsumersView
from tui.engine.context import EngineContext
from tui.engine.history import ConsumerEvent
from tui.engine.history import ConsumerEventKind as K
from tui.engine.record_format import valid_name
from tui.vocab import LIVE_MEMBER_STATES

LIVE = LIVE_MEMBER_STATES


class GroupMembers:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.log = ConsumptionLog()
        self.transactions = TransactionBook()
        """Filled by the runners from their members' txn-begin / txn-end reports."""
        self._lock = threading.Lock()
        self._states: dict[str, MemberState] = {}
        self._runners: dict[str, MemberRunner] = {}
        self._restart_pending: set[str] = set()
        self._next_name = 1
        self._closing = False

    # ---- commands ----------------------------------------------------------------------------

    def handle(self, cmd: Command) -> Any:
        if isinstance(cmd, c.AddMember):
            return self.add(cmd.spec)
        if isinstance(cmd, c.RemoveMember):
            self._runner(cmd.name, live=True).leave()
            return None
        if isinstance(cmd, c.CrashMember):
            return self._crash(cmd)
        if isinstance(cmd, c.RestartMember):
            return self._restart(cmd.name)
        if isinstance(cmd, c.SetStrategy):
            return self._set_strategy(cmd)
        if isinstance(cmd, c.PauseMember | c.ResumeMember):
            op = "pause" if isinstance(cmd, c.PauseMember) else "resume"
            self._runner(cmd.name, live=True).send({"op": op})
            return None
        if isinstance(cmd, c.SetProcessingTime):
            if cmd.ms < 0:
                raise ValueError("Processing time cannot be negative.")
            self._runner(cmd.name, live=True).send({"op": "processing", "ms": cmd.ms})
            with self._state(cmd.name).lock:
                self._state(cmd.name).processing_ms = cmd.ms
            self.ctx.bump()
            return None
        if isinstance(cmd, c.SetSlow):
            self._runner(cmd.name, live=True).send({"op": "slow", "on": cmd.on})
            with self._state(cmd.name).lock:
                self._state(cmd.name).slow = cmd.on
            how = "now slow: each batch will exceed" if cmd.on else "no longer slow within"
            self.ctx.bus.publish("member.slow", f"member:{cmd.name}",
                                 f"{cmd.name} is {how} max.poll.interval.ms", "notice",
                                 member=cmd.name, on=cmd.on)
            self.ctx.bump()
            return None
        raise ValueError(f"{type(cmd).__name__} is not a consumer command.")

    def add(self, spec: c.MemberSpec) -> str:
        """Start a member (validates the spec first); returns its name."""
        spec.validate()
        with self._lock:
            name = spec.name
            if name is None:
                while f"m{self._next_name}" in self._states:
                    self._next_name += 1
                name = f"m{self._next_name}"
            if not valid_name(name):
                raise ValueError(f"Member name {name!r} may use only letters, digits, '_', '.', '-'.")
            if name in self._states and self._states[name].state in LIVE:
                raise ValueError(f"A member called {name} is already running.")
            state = MemberState(name=name, spec=spec, strategy=spec.strategy,
                                processing_ms=spec.processing_ms)
            if name in self._states:  # a stopped member of that name: keep counting incarnations
                state.incarnation = self._states[name].incarnation + 1
            self._states[name] = state
        self._spawn(state, spec.crash_after_records if state.incarnation == 0 else None)
        self.ctx.bus.publish("member.added", f"member:{name}",
                             f"{name} joins {spec.group} on {', '.join(spec.topics)} with "
                             f"{spec.strategy} ({spec.assignment_label})", member=name,
                             group=spec.group, strategy=spec.strategy)
        return name

    def _spawn(self, state: MemberState, crash_after: int | None) -> None:
        runner = MemberRunner(self.ctx, self.log, state, crash_after, self._on_exit)
        with state.lock:
            state.state = "joining"
            state.strategy = state.spec.strategy if state.incarnation == 0 else state.strategy
        with self._lock:
            self._runners[state.name] = runner
        try:
            runner.start()
        except OSError as exc:
            with state.lock:
                state.state = "crashed"
                state.last_error = f"could not start the member process: {exc}"
            raise ValueError(f"Could not start member {state.name}: {exc}.") from exc
        self.ctx.bump()

    def _crash(self, cmd: c.CrashMember) -> None:
        runner = self._runner(cmd.name, live=True)
        if cmd.after_records is None:
            runner.kill()
            return None
        if cmd.after_records < 1:
            raise ValueError("crash-after must be at least 1 record.")
        runner.send({"op": "crash_after", "n": cmd.after_records})
        self.ctx.bus.publish("member.crash-armed", f"member:{cmd.name}",
                             f"{cmd.name} will crash right after processing {cmd.after_records} more "
                             f"record(s)", "notice", member=cmd.name)
        return None

    def _restart(self, name: str) -> None:
        state = self._state(name)
        runner = self._runners.get(name)
        if runner is not None and runner.alive:
            with self._lock:
                self._restart_pending.add(name)
            runner.leave()  # _on_exit starts the next incarnation once this one is gone
            return None
        self._start_next(state)
        return None

    def _start_next(self, old: MemberState) -> None:
        with old.lock:
            old.incarnation += 1
            # the next incarnation starts with the strategy in force, not the spec's original one
            old.spec = _with_strategy(old.spec, old.strategy)
        self.log.append(time.time(), old.name, old.incarnation, old.spec.group, "", K.RESTART,
                        strategy=old.strategy)
        static = old.spec.group_instance_id
        self.ctx.bus.publish("member.restarted", f"member:{old.name}",
                             f"{old.name} restarts as incarnation {old.incarnation}"
                             f"{f' (static id {static})' if static else ''}", "notice",
                             member=old.name, incarnation=old.incarnation)
        self._spawn(old, None)

    def _on_exit(self, runner: MemberRunner) -> None:
        with self._lock:
            restart = runner.name in self._restart_pending and not self._closing
            self._restart_pending.discard(runner.name)
        if restart:
            try:
                self._start_next(runner.state)
            except ValueError as exc:
                self.ctx.bus.publish("member.error", f"member:{runner.name}", str(exc), "error")

    def _set_strategy(self, cmd: c.SetStrategy) -> None:
        cls = strategy_class(cmd.strategy)
        state = self._state(cmd.name)
        if cls.needs_output_topic and not state.spec.output_topic:
            raise ValueError(f"{cmd.name} has no output topic, which {cmd.strategy} needs.")
        self._runner(cmd.name, live=True).send({"op": "strategy", "name": cmd.strategy})
        with state.lock:
            state.pending_strategy = cmd.strategy
        self.ctx.bus.publish("member.strategy-requested", f"member:{cmd.name}",
                             f"{cmd.name} switches to {cmd.strategy} at its next batch",
                             member=cmd.name, strategy=cmd.strategy)
        self.ctx.bump()

    def _state(self, name: str) -> MemberState:
        state = self._states.get(name)
        if state is None:
            raise ValueError(f"There is no member called {name!r}.")
        return state

    def _runner(self, name: str, live: bool) -> MemberRunner:
        self._state(name)
        runner = self._runners.get(name)
        if runner is None or (live and not runner.alive):
            raise ValueError(f"Member {name} is not running.")
        return runner

    # ---- outputs -----------------------------------------------------------------------------

    def view(self) -> ConsumersView:
        with self._lock:
            states = list(self._states.values())
        return ConsumersView(members=tuple(s.view() for s in states), log_events=len(self.log),
                             log_dropped=self.log.dropped)

    def history(self) -> tuple[ConsumerEvent, ...]:
        """The consumption log so far (every member, every incarnation), in global order."""
        return self.log.events()

    def specs(self) -> dict[str, c.MemberSpec]:
        with self._lock:
            return {name: s.spec for name, s in self._states.items()}

    def groups(self) -> dict[str, c.MemberSpec]:
        """One spec per group (the first member's), for isolation level and reset policy."""
        out: dict[str, c.MemberSpec] = {}
        for spec in self.specs().values():
            out.setdefault(spec.group, spec)
        return out

    def wait_idle(self, timeout: float) -> bool:
        """Block until no member process is running; True if that happened in time."""
        deadline = time.monotonic() + timeout
        for runner in list(self._runners.values()):
            if not runner.done.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def close(self, timeout: float) -> None:
        """Every live member leaves cleanly (in parallel); stragglers are killed at the deadline."""
        with self._lock:
            self._closing = True
            runners = list(self._runners.values())
        deadline = time.monotonic() + timeout
        for runner in runners:
            if runner.alive:
                runner.leave()
        for runner in runners:
            if not runner.done.wait(max(0.0, deadline - time.monotonic() - 0.5)):
                runner.kill()
                runner.done.wait(0.5)


def _with_strategy(spec: c.MemberSpec, strategy: str) -> c.MemberSpec:
    from dataclasses import replace

    return replace(spec, strategy=strategy) if strategy and strategy != spec.strategy else spec
