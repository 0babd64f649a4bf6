"""ShareMembers: the engine part that owns share members (one runner thread + one member process
each), their consumption log, the group settings read back, and the ShareGroupCommand probe.

Commands arrive on the engine's command thread and only flip state or start/stop processes, so
``handle`` returns at once. Group settings are set and read on the engine's metadata thread
(:mod:`.group_config`); :meth:`remember_config` keeps what came back for the view and the verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tui.engine.commands import Command
from tui.engine.context import EngineContext
from tui.engine.history import ConsumerEventKind as K
from tui.engine.history import ShareGroup
from tui.engine.member_process.roster import MemberRoster
from tui.engine.share import commands as c
from tui.engine.share.runner import ShareRunner
from tui.engine.share.state import ShareMemberState
from tui.engine.share.tool import COST, ShareGroupProbe, ToolGroup, with_names
from tui.engine.share.views import ShareConfigView, ShareGroupView, ShareMembersView, SharePartitionView
from tui.vocab import AckMode

DEFAULT_LIMIT = 5
DEFAULT_LOCK_MS = 30_000


def refusal_for(version: str | None) -> str | None:
    """Why share members cannot run on a lab of this Kafka version (None: they can, or unknown)."""
    from tui.lab.versions import SHARE_GROUPS_SINCE, has_share_groups

    if version is None or has_share_groups(version):
        return None
    since = ".".join(map(str, SHARE_GROUPS_SINCE))
    return (f"Share groups need Kafka {since} or newer and this lab runs Kafka {version}: start a "
            "current lab with `kafka-explorer lab up --kafka-version 4.4.0` (after `kafka-explorer lab "
            "down`, or with another --state-dir).")


class ShareMembers(MemberRoster[ShareMemberState, ShareRunner]):
    NOUN = "share member"
    BUS = "share"
    PREFIX = "s"

    def __init__(self, ctx: EngineContext, kafka_version: Callable[[], str | None] = lambda: None,
                 tool: Callable[[list[str]], str] | None = None) -> None:
        """``kafka_version``: the lab's Kafka (None off the lab); ``tool``: runs ShareGroupCommand
        with the given arguments (None: Kafka's tools are not available here)."""
        super().__init__(ctx)
        self._kafka_version = kafka_version
        self.started: dict[str, float] = {}
        """Share group -> when its first member subscribed."""
        self._configs: dict[str, ShareConfigView] = {}
        self._tool: dict[str, ToolGroup] = {}
        self._tool_seconds: float | None = None
        self.probe = ShareGroupProbe(tool, self._groups_tuple, self._any_running, self._on_tool)

    # ---- commands ----------------------------------------------------------------------------

    def handle(self, cmd: Command) -> Any:
        if isinstance(cmd, c.AddShareMember):
            return self.add(cmd.spec)
        if isinstance(cmd, c.RemoveShareMember):
            self._runner(cmd.name, live=True).leave()
            return None
        if isinstance(cmd, c.CrashShareMember):
            return self._crash(cmd.name, cmd.after_records)
        if isinstance(cmd, c.RestartShareMember):
            return self._restart(cmd.name, None)
        if isinstance(cmd, c.SetAckPolicy):
            return self._set_policy(cmd)
        if isinstance(cmd, c.RefreshShareGroups):
            if not self.probe.available:
                raise ValueError("Kafka's ShareGroupCommand is not available here (it runs from the "
                                 "lab's Kafka jars, on a plaintext connection).")
            self.probe.refresh()
            return None
        raise ValueError(f"{type(cmd).__name__} is not a share-member command.")

    def add(self, spec: c.ShareMemberSpec) -> str:
        """Start a share member (validates the spec and the lab's Kafka first); returns its name."""
        spec.validate()
        refusal = refusal_for(self._kafka_version())
        if refusal is not None:
            raise ValueError(refusal)
        with self._lock:
            name = self._claim_name(spec.name)
            state = ShareMemberState(name=name, spec=replace(spec, name=name))
            if name in self._states:
                state.incarnation = self._states[name].incarnation + 1
            self._states[name] = state
        self._spawn(state, spec.crash_after_records if state.incarnation == 0 else None)
        self.ctx.bus.publish("share.added", f"member:{name}",
                             f"{name} joins share group {spec.group} on {', '.join(spec.topics)} "
                             f"({spec.policy_label})", member=name, group=spec.group)
        self._preview_gaps(name, spec)
        self.probe.start()
        return name

    def _preview_gaps(self, name: str, spec: c.ShareMemberSpec) -> None:
        """Say what the preview client cannot do for this spec, once, instead of failing."""
        with self._lock:
            lock_ms = (self._configs[spec.group].lock_duration_ms or DEFAULT_LOCK_MS
                       if spec.group in self._configs else DEFAULT_LOCK_MS)
        if spec.processing_ms and spec.processing_ms * max(1, spec.max_records or 1) >= lock_ms:
            self.ctx.bus.publish("share.preview", f"member:{name}", f"{name}: {c.PREVIEW_GAPS[0]}",
                                 "warning", member=name)
        if spec.max_records is not None:
            self.ctx.bus.publish("share.preview", f"member:{name}", f"{name}: {c.PREVIEW_GAPS[1]}",
                                 "notice", member=name)

    def _spawn(self, state: ShareMemberState, crash_after: int | None) -> None:
        runner = ShareRunner(self.ctx, self.log, state, crash_after, self._on_exit, self._on_subscribed)
        with state.lock:
            state.state = "joining"
        self._launch(state, runner)

    def _restart(self, name: str, spec: c.ShareMemberSpec | None) -> None:
        state = self._state(name)
        if spec is not None:
            with state.lock:
                state.spec = spec
        self._restart_state(state)

    def _start_next(self, old: ShareMemberState) -> None:
        with old.lock:
            old.incarnation += 1
        self.log.append(time.time(), old.name, old.incarnation, old.spec.group, "", K.RESTART)
        self.ctx.bus.publish("share.restarted", f"member:{old.name}",
                             f"{old.name} restarts as incarnation {old.incarnation}", "notice",
                             member=old.name, incarnation=old.incarnation)
        self._spawn(old, None)

    def _on_exit(self, runner: ShareRunner) -> None:
        self._exit_restart(runner)

    def _on_subscribed(self, group: str, ts: float) -> None:
        with self._lock:
            self.started.setdefault(group, ts)

    def _set_policy(self, cmd: c.SetAckPolicy) -> None:
        state = self._state(cmd.name)
        with state.lock:
            old = state.spec
        new = replace(old, ack_mode=cmd.ack_mode if cmd.ack_mode is not None else old.ack_mode,
                      fail_ids=cmd.fail_ids if cmd.fail_ids is not None else old.fail_ids,
                      fail_transient=(cmd.fail_transient if cmd.fail_transient is not None
                                      else old.fail_transient))
        new.validate()
        if new.ack_mode != old.ack_mode:
            # share.acknowledgement.mode is a client setting: a new client, so a new incarnation
            self.ctx.bus.publish("share.policy", f"member:{cmd.name}",
                                 f"{cmd.name} restarts to acknowledge in {new.ack_mode} mode", "notice")
            self._restart(cmd.name, new)
            return None
        runner = self._runner(cmd.name, live=True)
        runner.send({"op": "policy", "fail_ids": list(new.fail_ids), "fail_transient": new.fail_transient})
        with state.lock:
            state.spec = new
        self.ctx.bump()
        return None

    def owns(self, name: str) -> bool:
        """Whether ``name`` is one of this part's members (the engine routes member commands by it)."""
        return name in self._states

    # ---- group settings and Kafka's tool -------------------------------------------------------

    def remember_config(self, view: ShareConfigView) -> None:
        with self._lock:
            self._configs[view.group] = view
        self.ctx.bump()

    def _groups_tuple(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted({s.spec.group for s in self._states.values()}))

    def _any_running(self) -> bool:
        with self._lock:
            runners = list(self._runners.values())
        return any(r.alive for r in runners)

    def _on_tool(self, result: dict[str, ToolGroup], seconds: float) -> None:
        names = {f"kx-{n}": n for n in self._states}
        with self._lock:
            self._tool.update({g: with_names(t, names) for g, t in result.items()})
            self._tool_seconds = seconds
        self.ctx.bump()

    # ---- outputs -----------------------------------------------------------------------------

    def view(self) -> ShareMembersView:
        with self._lock:
            states = list(self._states.values())
            configs = dict(self._configs)
            tool = dict(self._tool)
            seconds = self._tool_seconds
        members = tuple(s.view() for s in states)
        groups = []
        for group in sorted({m.group for m in members}):
            seen = tool.get(group)
            held: dict[tuple[str, int], int] = {}
            for s in states:
                if s.spec.group == group:
                    with s.lock:
                        for topic, p, _o in s.in_flight:
                            held[(topic, p)] = held.get((topic, p), 0) + 1
            parts = {(p.topic, p.partition): p for p in (seen.partitions if seen else ())}
            for key in held:
                parts.setdefault(key, SharePartitionView(key[0], key[1], None, None, 0))
            partitions = tuple(replace(p, in_flight=held.get(k, 0)) for k, p in sorted(parts.items()))
            groups.append(ShareGroupView(
                group=group, state=seen.state if seen else None,
                coordinator=seen.coordinator if seen else None, members=seen.members if seen else (),
                partitions=partitions, config=configs.get(group),
                read_at=seen.read_at if seen else None, tool_error=seen.error if seen else None))
        notes = (*c.PREVIEW_GAPS, COST if self.probe.available else
                 "Kafka's ShareGroupCommand is not available on this connection (it runs from the "
                 "lab's Kafka jars on a plaintext connection), so share-group state is not shown.")
        return ShareMembersView(members=members, groups=tuple(groups), notes=notes if members else (),
                                tool_seconds=seconds, tool_available=self.probe.available,
                                log_events=len(self.log))

    def specs(self) -> dict[str, c.ShareMemberSpec]:
        with self._lock:
            return {name: s.spec for name, s in self._states.items()}

    def share_groups(self, names: set[str] | None = None,
                     configs: dict[str, ShareConfigView] | None = None) -> tuple[ShareGroup, ...]:
        """The checker's :class:`ShareGroup` per group of these members (or of ``names``): topics and
        acknowledgement mode from the specs, settings from ``configs`` (read fresh by the caller),
        else the last read-back, else Kafka's defaults."""
        with self._lock:
            known = dict(self._configs)
        known.update(configs or {})
        out: dict[str, ShareGroup] = {}
        for spec in self.specs().values():
            if names is not None and spec.group not in names:
                continue
            cfg = known.get(spec.group)
            prev = out.get(spec.group)
            topics = tuple(sorted({*spec.topics, *(prev.topics if prev else ())}))
            mode = prev.ack_mode if prev else spec.ack_mode
            out[spec.group] = ShareGroup(
                group=spec.group, topics=topics,
                delivery_count_limit=(cfg.delivery_count_limit if cfg and cfg.delivery_count_limit
                                      else DEFAULT_LIMIT),
                lock_duration_ms=cfg.lock_duration_ms if cfg and cfg.lock_duration_ms else DEFAULT_LOCK_MS,
                ack_mode=mode if mode in (AckMode.IMPLICIT, AckMode.EXPLICIT) else AckMode.IMPLICIT.value,
                auto_offset_reset=(cfg.auto_offset_reset if cfg and cfg.auto_offset_reset else "latest"))
        return tuple(out[g] for g in sorted(out))

    def close(self, timeout: float) -> None:
        """Every live member leaves cleanly (in parallel); stragglers are killed at the deadline."""
        runners = self._begin_close()
        deadline = time.monotonic() + timeout
        self.probe.close(0.5)
        self._leave_all(runners, deadline)
