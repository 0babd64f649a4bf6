"""Each commit strategy, crashed after processing 3 of a 10-record batch, then restarted (real lab).

All eight scenarios run at once in one engine context (separate topics and groups) to keep the suite
fast; each test then judges one strategy. Static membership makes the restart take the crashed
member's place at once instead of waiting for its session timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.engine.test_consumer_support import (
    Ledger,
    create_topics,
    events,
    processed_twice,
    wait_processed,
    wait_state,
)
from tests.helpers import unique, wait_until
from tui.engine.consumer.commands import MemberSpec, RemoveMember, RestartMember
from tui.engine.consumer.members import GroupMembers
from tui.engine.context import Connection, EngineContext
from tui.engine.evidence import Sources, gather_history
from tui.engine.history import ConsumerEventKind as K
from tui.engine.history import History
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka

STRATEGIES = ("commit-before", "auto", "auto-stored", "sync-per-message", "sync-per-batch",
              "async-per-batch", "never", "transactional")
N = 10
CRASH_AFTER = 3
REDELIVERS = {"auto-stored", "sync-per-message", "sync-per-batch", "async-per-batch", "never",
              "transactional"}


@dataclass
class Run:
    strategy: str
    topic: str
    group: str
    member: str
    output: str | None
    history: History
    lab: GroupMembers
    verdict: Any


@pytest.fixture(scope="module")
def crash_runs(lab1: LabCluster) -> Iterator[dict[str, Run]]:
    bootstrap = lab1.bootstrap
    ctx = EngineContext(Connection(bootstrap))
    lab = GroupMembers(ctx)
    ledger = Ledger(bootstrap, ctx.run_id)
    base = unique("crash")
    topics = {s: f"{base}-{s}" for s in STRATEGIES}
    outputs = {"transactional": f"{base}-transactional-out"}
    create_topics(bootstrap, [*topics.values(), *outputs.values()])
    for s in STRATEGIES:
        ledger.produce(topics[s], N, partition=0)
    names = {}
    try:
        for s in STRATEGIES:
            names[s] = lab.add(MemberSpec(
                group=f"{base}-g-{s}", topics=(topics[s],), strategy=s, name=f"c-{s}",
                batch_size=N, processing_ms=150, auto_commit_interval_ms=100,
                group_instance_id=f"{base}-{s}", crash_after_records=CRASH_AFTER,
                output_topic=outputs.get(s)))
        for s in STRATEGIES:
            wait_state(lab, names[s], ("crashed",), timeout=60)
        for s in STRATEGIES:
            lab.handle(RestartMember(names[s]))
        for s in STRATEGIES:
            wait_until(lambda s=s: events(lab, names[s], K.ASSIGN, incarnation=1), 60,
                       message=f"{names[s]} to be assigned again")
            if s in REDELIVERS:
                wait_processed(lab, names[s], 1, topics[s], N - 1, timeout=60)
        for s in STRATEGIES:
            lab.handle(RemoveMember(names[s]))
        for s in STRATEGIES:
            wait_state(lab, names[s], ("stopped",), timeout=30)
        # the test's own ledger stands in for the engine's producers
        history = gather_history(Sources(ctx, ledger, lab), timeout=60)  # type: ignore[arg-type]
        from tui.engine.checker import check

        verdict = check(history)
        yield {s: Run(s, topics[s], f"{base}-g-{s}", names[s], outputs.get(s), history, lab, verdict)
               for s in STRATEGIES}
    finally:
        lab.close(15)


def _count(run: Run, kind: str) -> int:
    """Units of ``kind`` for this scenario's topic (all scenarios share one history)."""
    assert run.verdict is not None
    return sum(a.count for a in run.verdict.of_kind(kind) if a.topic == run.topic)


def _skipped(run: Run) -> int:
    return _count(run, "skipped")


def _group_commit(run: Run) -> int | None:
    for gc in run.history.final_commits:
        if gc.group == run.group and gc.topic == run.topic:
            return gc.offset
    raise AssertionError(f"no final commit row for {run.group}")


def _first_batch(run: Run) -> int:
    return len([e for e in events(run.lab, run.member, K.DELIVER, 0)])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_crash_point_is_recorded(crash_runs: dict[str, Run], strategy: str) -> None:
    run = crash_runs[strategy]
    assert _first_batch(run) == N, "precondition: the first consume() returned the whole batch"
    processed0 = events(run.lab, run.member, K.PROCESSED, 0)
    assert [e.offset for e in processed0] == [0, 1, 2]
    crash = events(run.lab, run.member, K.CRASH)
    assert len(crash) == 1
    assert "after processing 3 of 10" in (crash[0].detail or "")
    assert events(run.lab, run.member, K.RESTART)[0].incarnation == 1
    # nothing was committed by incarnation 0 after its crash point
    after = [e for e in run.lab.history() if e.member == run.member and e.incarnation == 0
             and e.seq > crash[0].seq]
    assert after == []


def test_commit_before_skips_the_rest_of_the_batch(crash_runs: dict[str, Run]) -> None:
    run = crash_runs["commit-before"]
    assert _group_commit(run) == N
    assert events(run.lab, run.member, K.DELIVER, 1) == []
    assert processed_twice(run.lab, run.group) == 0
    assert _skipped(run) == N - CRASH_AFTER
    assert _count(run, "redelivered") == 0


def test_auto_commit_skips_the_rest_of_the_batch(crash_runs: dict[str, Run]) -> None:
    # librdkafka stored all 10 offsets when consume() returned them; the 100 ms timer committed them
    run = crash_runs["auto"]
    assert _group_commit(run) == N
    assert events(run.lab, run.member, K.DELIVER, 1) == []
    assert _skipped(run) == N - CRASH_AFTER
    # all ten offsets were stored before processing began; the commit itself happened in librdkafka's
    # background thread, and its on_commit report never reached the app (it died before polling again)
    stores = [e for e in events(run.lab, run.member, K.COMMIT_REQ, 0) if e.mode == "store"]
    assert [s.offsets for s in stores] == [((0, N),)]
    first_processed = events(run.lab, run.member, K.PROCESSED, 0)[0]
    assert stores[0].seq < first_processed.seq


def test_auto_stored_redelivers_but_never_skips(crash_runs: dict[str, Run]) -> None:
    run = crash_runs["auto-stored"]
    assert 1 <= processed_twice(run.lab, run.group) <= CRASH_AFTER
    assert _group_commit(run) == N
    assert _skipped(run) == 0
    assert _count(run, "redelivered") >= N - 2


def test_sync_per_message_redelivers_at_most_one_processed_record(crash_runs: dict[str, Run]) -> None:
    run = crash_runs["sync-per-message"]
    assert processed_twice(run.lab, run.group) == 1
    assert _skipped(run) == 0
    # offsets 2..9 were returned again (only offset 2 had been processed before the crash)
    assert _count(run, "redelivered") == N - 2


@pytest.mark.parametrize("strategy", ["sync-per-batch", "async-per-batch"])
def test_batch_commit_redelivers_the_whole_batch(crash_runs: dict[str, Run], strategy: str) -> None:
    run = crash_runs[strategy]
    assert processed_twice(run.lab, run.group) == CRASH_AFTER
    assert _group_commit(run) == N
    assert _skipped(run) == 0
    assert _count(run, "redelivered") == N


def test_never_redelivers_everything_after_restart(crash_runs: dict[str, Run]) -> None:
    run = crash_runs["never"]
    assert _group_commit(run) is None
    assert [e.offset for e in events(run.lab, run.member, K.DELIVER, 1)] == list(range(N))
    assert _skipped(run) == 0
    assert _count(run, "redelivered") == N


def test_transactional_output_holds_every_input_exactly_once(crash_runs: dict[str, Run]) -> None:
    run = crash_runs["transactional"]
    assert run.output is not None
    audit = {(p.topic, p.partition): p for p in run.history.audit.partitions}  # type: ignore[union-attr]
    source = audit[(run.topic, 0)]
    out = audit[(run.output, 0)]
    assert out.complete
    inputs = sorted(m for _, m in source.records if m)
    visible = [m for o, m in out.records if o in (out.committed_visible or frozenset())]
    assert sorted(visible) == inputs, "read_committed output == input, each exactly once"
    # the crashed transaction's copies are in the log but aborted: visible only read_uncommitted
    assert len(out.records) > len(visible)
    assert _group_commit(run) == N
    assert _skipped(run) == 0



def test_verdict_names_the_crash_as_the_cause(crash_runs: dict[str, Run]) -> None:
    run = crash_runs["commit-before"]
    assert run.verdict is not None
    [skipped] = [a for a in run.verdict.of_kind("skipped") if a.topic == run.topic]
    assert skipped.offsets == tuple(range(CRASH_AFTER, N))
    assert run.member in skipped.members
    assert "crashed" in skipped.explanation
    message = crash_runs["sync-per-message"]
    [again] = [a for a in message.verdict.of_kind("redelivered") if a.topic == message.topic]
    assert "commit before that was 2" in again.explanation
