"""GroupMembers: owns group members (one runner thread + one member process each) and the
consumption log. Commands arrive on the engine's command thread and only flip state or start/stop
processes, so ``handle`` returns at once.

A ticker thread (started with the first member) samples the stall detector about once a second and
starts the automatic restarts of members their ``fail`` error policy crashed: a crash loop, with a
backoff that doubles per restart in a row (at most :data:`MAX_RESTART_BACKOFF` s) and, if the spec says
so, a limit after which the member stays down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tui.engine.commands import Command
from tui.engine.consumer import commands as c
from tui.engine.consumer.runner import MemberRunner, Shared
from tui.engine.consumer.state import MemberState
from tui.engine.consumer.strategies import strategy_class
from tui.engine.consumer.views import ConsumersView, GroupLatencyView, StuckPartitionView
from tui.engine.context import EngineContext
from tui.engine.history import ConsumerEventKind as K
from tui.engine.history import Stall
from tui.engine.member_process.roster import MemberRoster
from tui.vocab import LIVE_MEMBER_STATES

LIVE = LIVE_MEMBER_STATES
MAX_RESTART_BACKOFF = 30.0
TICK = 0.25
"""Seconds between the ticker's looks at due restarts (the stall detector samples every 1 s)."""


class GroupMembers(MemberRoster[MemberState, MemberRunner]):
    NOUN = "member"
    BUS = "member"
    PREFIX = "m"

    def __init__(self, ctx: EngineContext) -> None:
        super().__init__(ctx)
        self.shared = Shared()
        self.transactions = self.shared.transactions
        """Filled by the runners from their members' txn-begin / commit-req txn / txn-end reports."""
        self.stalls = self.shared.stalls
        """Progress per group partition and the stall episodes (``stuck`` evidence)."""
        self._spawn_lock = threading.RLock()
        """Held while deciding to start an incarnation (commands, exits and the ticker all may)."""
        self._dlt_used: dict[str, set[str]] = {}
        """Member -> every dead-letter topic its policies in force have named (audited at the end)."""
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    # ---- commands ----------------------------------------------------------------------------

    def handle(self, cmd: Command) -> Any:
        if isinstance(cmd, c.AddMember):
            return self.add(cmd.spec)
        if isinstance(cmd, c.RemoveMember):
            if self._cancel_restart(cmd.name):
                return None
            self._runner(cmd.name, live=True).leave()
            return None
        if isinstance(cmd, c.CrashMember):
            return self._crash(cmd.name, cmd.after_records)
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
        if isinstance(cmd, c.SetErrorPolicy):
            return self._set_policy(cmd)
        if isinstance(cmd, c.SetFailures):
            return self._set_failures(cmd)
        if isinstance(cmd, c.SetCommitOnRevoke):
            self._update(cmd.name, {"op": "commit_on_revoke", "on": cmd.on}, commit_on_revoke=cmd.on)
            self.ctx.bus.publish("member.listener", f"member:{cmd.name}",
                                 f"{cmd.name} {'now commits' if cmd.on else 'no longer commits'} "
                                 "processed offsets when partitions are revoked", member=cmd.name,
                                 on=cmd.on)
            return None
        if isinstance(cmd, c.ResumePartition):
            self._runner(cmd.name, live=True).send({"op": "resume_partition", "t": cmd.topic,
                                                    "p": cmd.partition, "by": cmd.by})
            return None
        raise ValueError(f"{type(cmd).__name__} is not a consumer command.")

    def add(self, spec: c.MemberSpec) -> str:
        """Start a member (validates the spec first); returns its name."""
        spec.validate()
        with self._lock:
            name = self._claim_name(spec.name)
            state = MemberState(name=name, spec=spec, strategy=spec.strategy,
                                processing_ms=spec.processing_ms)
            if name in self._states:  # a stopped member of that name: keep counting incarnations
                state.incarnation = self._states[name].incarnation + 1
            self._states[name] = state
            self._dlt_used.setdefault(name, set()).update(spec.dead_letter_topics)
        self._ensure_ticker()
        self._spawn(state, spec.crash_after_records if state.incarnation == 0 else None)
        self.ctx.bus.publish("member.added", f"member:{name}",
                             f"{name} joins {spec.group} on {', '.join(spec.topics)} with "
                             f"{spec.strategy} ({spec.assignment_label})", member=name,
                             group=spec.group, strategy=spec.strategy)
        return name

    def _spawn(self, state: MemberState, crash_after: int | None) -> None:
        runner = MemberRunner(self.ctx, self.log, state, crash_after, self._on_exit, self.shared)
        with state.lock:
            state.state = "joining"
            state.crashed_by_policy = False
            state.gave_up = False
            state.strategy = state.spec.strategy if state.incarnation == 0 else state.strategy
        self._launch(state, runner)

    def _restart(self, name: str) -> None:
        state = self._state(name)
        with state.lock:
            state.restart_at = None  # a restart by hand replaces a pending automatic one
            state.restarts = 0
        self._restart_state(state)

    def _start_next(self, old: MemberState) -> None:
        with self._spawn_lock:
            runner = self._runners.get(old.name)
            if runner is not None and runner.alive:
                return  # started meanwhile (a command and the ticker both asked)
            self._start_next_locked(old)

    def _start_next_locked(self, old: MemberState) -> None:
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
        restart, closing = self._exit_restart(runner)
        if restart:
            return
        if runner.policy_crash and not closing and not runner.state.gave_up:
            self._schedule_restart(runner.state)
        else:
            with runner.state.lock:
                runner.state.restarts = 0

    # ---- crash loops ---------------------------------------------------------------------------

    def _schedule_restart(self, state: MemberState) -> None:
        limit = state.spec.max_restarts
        with state.lock:
            done = state.restarts
            if limit is not None and done >= limit:
                state.restart_at = None
                state.gave_up = True
            else:
                delay = min(MAX_RESTART_BACKOFF, state.spec.restart_backoff_ms / 1000.0 * 2 ** done)
                state.restart_at = time.time() + delay
        if state.restart_at is None:
            self.ctx.bus.publish("member.restart-limit", f"member:{state.name}",
                                 f"{state.name} was crashed by its error policy {done + 1} time(s) "
                                 f"in a row; it stays down (at most {limit} automatic restart(s))",
                                 "warning", member=state.name, restarts=done)
        else:
            self.ctx.bus.publish("member.restarting", f"member:{state.name}",
                                 f"{state.name} was crashed by its error policy (fail); it restarts "
                                 f"in {delay:g} s and will meet the record again (a crash loop)",
                                 "warning", member=state.name, restarts=done, delay=delay)
        self.ctx.bump()

    def _cancel_restart(self, name: str) -> bool:
        """Drop a pending automatic restart; True when there was one (the member stays down)."""
        state = self._state(name)
        with state.lock:
            pending = state.restart_at is not None or (state.crashed_by_policy and not state.gave_up
                                                       and state.state not in LIVE)
            state.restart_at = None
            if pending:
                state.gave_up = True
        if pending:
            self.ctx.bus.publish("member.restart-cancelled", f"member:{name}",
                                 f"{name} stays down: its automatic restart was cancelled",
                                 member=name)
            self.ctx.bump()
        return pending

    def _ensure_ticker(self) -> None:
        with self._lock:
            if self._ticker is not None or self._closing:
                return
            self._ticker = threading.Thread(target=self._tick, name="consumer-ticker", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        next_sample = 0.0
        while not self._stop.wait(TICK):
            try:
                self._due_restarts()
                if time.monotonic() >= next_sample:
                    next_sample = time.monotonic() + 1.0
                    self.stalls.sample(time.time(), self._live_groups(), self._announce_stall)
            except Exception:  # the ticker must outlive any one bad sample
                self.ctx.log.exception("consumer ticker failed")

    def _due_restarts(self) -> None:
        now = time.time()
        with self._lock:
            states = list(self._states.values())
        for state in states:
            with state.lock:
                due = state.restart_at is not None and state.restart_at <= now
                if due:
                    state.restart_at = None
                    state.restarts += 1
            if due and not self._closing:
                self._start_next_or_say(state)

    def _live_groups(self) -> set[str]:
        with self._lock:
            states = list(self._states.values())
        return {s.spec.group for s in states if s.live}

    def _announce_stall(self, what: str, stall: Stall) -> None:
        where = f"{stall.topic}[{stall.partition}]"
        at = f"committed offset {stall.offset}" if stall.offset >= 0 else "no committed offset"
        if what == "stuck":
            text = (f"group {stall.group} is stuck on {where}: no progress for "
                    f"{stall.until - stall.since:.0f} s with a lag of {stall.lag} ({at})")
        else:
            text = (f"group {stall.group} moves again on {where} after {stall.until - stall.since:.0f} s "
                    f"without progress")
        self.ctx.bus.publish(f"member.partition-{what}", f"group:{stall.group}", text,
                             "warning" if what == "stuck" else "info", group=stall.group,
                             topic=stall.topic, partition=stall.partition, offset=stall.offset,
                             lag=stall.lag)
        self.ctx.bump()

    # ---- live policy switches ------------------------------------------------------------------

    def _update(self, name: str, control: dict[str, Any], **changes: Any) -> None:
        """Validate a changed spec, keep it as the one in force (the next incarnation starts with it)
        and tell the live process, if there is one."""
        state = self._state(name)
        new = replace(state.spec, **changes)
        new.validate_processing()
        with state.lock:
            state.spec = new
        with self._lock:
            self._dlt_used.setdefault(name, set()).update(new.dead_letter_topics)
        runner = self._runners.get(name)
        if runner is not None and runner.alive:
            runner.send(control)
        self.ctx.bump()

    def _set_policy(self, cmd: c.SetErrorPolicy) -> None:
        changes: dict[str, Any] = {"error_policy": cmd.policy}
        for key in ("retries", "retry_backoff_ms", "retry_then", "dead_letter_topic"):
            value = getattr(cmd, key)
            if value is not None:
                changes[key] = value
        self._update(cmd.name, {"op": "policy", **changes, "policy": cmd.policy}, **changes)
        with self._state(cmd.name).lock:
            self._state(cmd.name).restarts = 0
            label = self._state(cmd.name).spec.policy_label
        self.ctx.bus.publish("member.error-policy", f"member:{cmd.name}",
                             f"{cmd.name}'s error policy is now {label}", member=cmd.name,
                             policy=cmd.policy)

    def _set_failures(self, cmd: c.SetFailures) -> None:
        changes: dict[str, Any] = {"fail_ids": tuple(cmd.fail_ids), "fail_rate": cmd.fail_rate,
                                   "fail_transient": cmd.fail_transient}
        if cmd.value_format is not None:
            changes["value_format"] = cmd.value_format
        self._update(cmd.name, {"op": "failures", **changes, "fail_ids": list(cmd.fail_ids)},
                     **changes)
        label = self._state(cmd.name).spec.failures_label or "no injected failures"
        self.ctx.bus.publish("member.failures", f"member:{cmd.name}", f"{cmd.name}: {label}",
                             member=cmd.name)

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

    # ---- outputs -----------------------------------------------------------------------------

    def view(self) -> ConsumersView:
        with self._lock:
            states = list(self._states.values())
        stuck = self.stalls.stuck()
        members = tuple(s.view(stuck) for s in states)
        owners = {(m.group, t, p): m.name for m in members if m.active for t, p in m.assignment}
        return ConsumersView(
            members=members, log_events=len(self.log), log_dropped=self.log.dropped,
            stuck=tuple(StuckPartitionView(g, t, p, st.offset, st.since, st.lag, owners.get((g, t, p)))
                        for (g, t, p), st in sorted(stuck.items())),
            stall_threshold=self.stalls.threshold,
            group_e2e=tuple(GroupLatencyView(g, summary)
                            for g, summary in self.shared.latency.summaries().items()))

    def dead_letter_topics(self, member: Callable[[str], bool] = lambda name: True) -> frozenset[str]:
        """Every dead-letter topic the policies of these members named while they ran."""
        with self._lock:
            return frozenset(t for name, used in self._dlt_used.items() if member(name) for t in used)

    def specs(self) -> dict[str, c.MemberSpec]:
        with self._lock:
            return {name: s.spec for name, s in self._states.items()}

    def groups(self) -> dict[str, c.MemberSpec]:
        """One spec per group (the first member's), for isolation level and reset policy."""
        out: dict[str, c.MemberSpec] = {}
        for spec in self.specs().values():
            out.setdefault(spec.group, spec)
        return out

    def close(self, timeout: float) -> None:
        """Every live member leaves cleanly (in parallel); stragglers are killed at the deadline."""
        runners = self._begin_close()
        with self._lock:  # closing: no ticker starts after this
            ticker = self._ticker
        self._stop.set()
        if ticker is not None:
            ticker.join(1.0)
        self._leave_all(runners, time.monotonic() + timeout)


def _with_strategy(spec: c.MemberSpec, strategy: str) -> c.MemberSpec:
    return replace(spec, strategy=strategy) if strategy and strategy != spec.strategy else spec
