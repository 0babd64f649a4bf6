"""Short human titles for steps and wait conditions (pure; used by the runner, reports and the UI)."""

from __future__ import annotations

from tui.scenario.model import (
    Ask,
    Mark,
    MemberAction,
    NodeAction,
    Produce,
    ResetGroupOffsets,
    StartMembers,
    StartShareMembers,
    Step,
    StopProducer,
    SwitchPolicy,
    VerdictStep,
    WaitFor,
)


def describe(step: Step) -> str:
    """A short title for a step (used when the file gives none)."""
    a = step.action
    if isinstance(a, Produce):
        w, p = a.workload, a.producer
        count = "records until stopped" if w.count is None else f"{w.count} records"
        rate = f" at {w.rate:g}/s" if w.rate else ""
        idem = ", idempotent" if p.idempotence else ""
        idem += f", resend ≤{p.resend}" if p.resend else ""
        idem += f", {w.value_content} values" if w.value_content != "kx" else ""
        idem += f", poison {w.poison}" if w.poison else ""
        bg = " (background)" if not a.wait else ""
        return f"{a.name}: {count} to {w.topic}{rate}, acks={p.acks}{idem}, keys {w.keys}{bg}"
    if isinstance(a, StopProducer):
        return f"stop producer {a.name}"
    if isinstance(a, StartMembers):
        how = "consumer protocol" if a.protocol == "consumer" else (a.assignor or "range")
        crash = f", crash after {a.crash_after} record(s)" if a.crash_after else ""
        return (f"start {a.count} member(s) of group {a.group} on {', '.join(a.topics)}: "
                f"{a.strategy}, {how}{crash}{_error_handling(a)}")
    if isinstance(a, StartShareMembers):
        fails = ""
        if a.fail_ids:
            fails = (f", release {', '.join(a.fail_ids)} ×{a.fail_transient}" if a.fail_transient
                     else f", reject {', '.join(a.fail_ids)}")
        crash = f", crash after {a.crash_after} record(s)" if a.crash_after else ""
        return (f"start {a.count} share member(s) of share group {a.group} on {', '.join(a.topics)}: "
                f"{a.ack_mode} acknowledgement{fails}{crash}")
    if isinstance(a, SwitchPolicy):
        listener = ("" if a.commit_on_revoke is None
                    else f", commit-on-revoke {'on' if a.commit_on_revoke else 'off'}")
        return f"switch {a.member}'s error policy to {_policy(a.on_error, a.retries, a.retry_then)}{listener}"
    if isinstance(a, MemberAction):
        if a.action == "switch":
            return f"switch {a.member} to {a.strategy}"
        after = f" after {a.after_records} record(s)" if a.after_records is not None else ""
        return f"{a.action} member {a.member}{after}"
    if isinstance(a, NodeAction):
        saved = f" (saved as {a.save_as})" if a.save_as else ""
        return f"{a.action} {a.node.describe()}{saved}"
    if isinstance(a, WaitFor):
        return f"wait until {wait_text(a)}"
    if isinstance(a, ResetGroupOffsets):
        where = a.topic if a.partition is None else f"{a.topic}/{a.partition}"
        return f"reset the committed offsets of group {a.group} on {where} to {a.to}"
    if isinstance(a, Mark):
        return f"take mark {a.name}: keep the run's measured numbers as they are now"
    if isinstance(a, VerdictStep):
        return "heal the cluster, re-read everything and judge" if a.heal else "re-read and judge"
    return "note"


def _policy(on_error: str | None, retries: int | None, retry_then: str | None) -> str:
    if on_error == "retry":
        return f"retry{f' {retries}×' if retries is not None else ''}, then {retry_then or 'skip'}"
    return on_error or "fail"


def _error_handling(a: StartMembers) -> str:
    parts = []
    if a.on_error:
        parts.append(f"on error {_policy(a.on_error, a.retries, a.retry_then)}")
    if a.value_format:
        parts.append(f"{a.value_format} values")
    if a.fail_ids:
        parts.append(f"failing {', '.join(a.fail_ids)}")
    if a.fail_rate:
        parts.append(f"failing {a.fail_rate:.0%}")
    if a.fail_transient:
        parts.append(f"transient ×{a.fail_transient}")
    if a.commit_on_revoke:
        parts.append("commit-on-revoke")
    return "".join(f", {p}" for p in parts)


def wait_text(c: WaitFor) -> str:
    cmp = c.comparison.text() if c.comparison is not None else ""
    if c.condition == "isr-size":
        return f"the ISR of {c.topic}/{c.partition} has size {cmp}"
    if c.condition == "high-watermark":
        return f"the high watermark of {c.topic}/{c.partition} is {cmp}"
    if c.condition == "leader":
        if c.node is None:
            return f"{c.topic}/{c.partition} has a leader"
        return f"the leader of {c.topic}/{c.partition} is {'not ' if c.negate else ''}{c.node.describe()}"
    if c.condition == "consumed":
        return f"group {c.group} consumed {cmp} records"
    if c.condition == "processed":
        return f"group {c.group} processed {cmp} records (repeats included)"
    if c.condition == "assigned":
        return f"{cmp} member(s) of group {c.group} hold partitions"
    if c.condition == "node-state":
        return f"{c.node.describe() if c.node else 'the node'} is {c.state}"
    if c.condition == "stuck":
        return f"{cmp} partition(s) of group {c.group} are stuck"
    if c.condition == "member-state":
        return f"member {c.member} is {c.state}"
    if c.condition == "produced":
        return f"producer {c.producer} got every delivery report"
    return f"{c.seconds:g} s passed"


def ask_lines(ask: Ask) -> list[str]:
    """A question for the room as plain lines: the question, then its numbered choices."""
    return [ask.question, *(f"{i}. {choice}" for i, choice in enumerate(ask.choices, 1))]
