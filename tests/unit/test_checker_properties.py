"""Property tests: random fault-free group runs are clean; one injected fault is found exactly once.

The generator models a group that processes each batch and then commits it synchronously, with random
batch sizes, rebalances (eager: revoke everything, reassign with the committed offsets) and partition
counts. Mutations are applied to the recorded history, as in delivery-semantics.md §5.1 tier 1.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.engine.checker import check
from tui.engine.checker.builder import HistoryBuilder

MEMBERS = ("m1", "m2", "m3")


@st.composite
def group_runs(draw: st.DrawFn) -> tuple[HistoryBuilder, dict[int, int]]:
    partitions = draw(st.integers(1, 3))
    sizes = [draw(st.integers(0, 15)) for _ in range(partitions)]
    members = MEMBERS[: draw(st.integers(1, 3))]
    b = HistoryBuilder("t", partitions=partitions)
    b.producer("p", acks="all", idempotent=True)
    for p, n in enumerate(sizes):
        b.produce("p", n, partition=p)
    for m in members:
        b.member(m)
    committed = dict.fromkeys(range(partitions), 0)
    generation = 0

    def rebalance() -> dict[int, str]:
        nonlocal generation
        generation += 1
        owners = {p: draw(st.sampled_from(members)) for p in range(partitions)}
        for m in members:
            mine = [p for p, o in owners.items() if o == m]
            b.assign(m, mine, committed={p: committed[p] for p in mine}, generation=generation)
        return owners

    owners = rebalance()
    while any(committed[p] < sizes[p] for p in range(partitions)):
        if draw(st.integers(0, 5)) == 0:
            for m in members:
                b.revoke(m, [p for p, o in owners.items() if o == m])
            owners = rebalance()
            continue
        p = draw(st.sampled_from([p for p in range(partitions) if committed[p] < sizes[p]]))
        k = draw(st.integers(1, sizes[p] - committed[p]))
        batch = range(committed[p], committed[p] + k)
        b.deliver(owners[p], p, batch)
        b.process(owners[p], p, batch)
        committed[p] += k
        b.commit(owners[p], {p: committed[p]})
    b.final_commit("g", committed)
    return b, dict(enumerate(sizes))


@settings(max_examples=25, deadline=None)
@given(group_runs())
def test_fault_free_group_runs_are_clean(run: tuple[HistoryBuilder, dict[int, int]]) -> None:
    b, sizes = run
    verdict = check(b.build())
    assert sum(verdict.counts.values()) == 0, [a.explanation for a in verdict.anomalies]
    assert verdict.summary.processed == sum(sizes.values())


@settings(max_examples=25, deadline=None)
@given(group_runs(), st.data())
def test_one_lost_record_is_found_exactly_once(run: tuple[HistoryBuilder, dict[int, int]],
                                               data: st.DataObject) -> None:
    b, sizes = run
    candidates = [p for p, n in sizes.items() if n >= 2]
    if not candidates:
        return
    p = data.draw(st.sampled_from(candidates))
    off = data.draw(st.integers(0, sizes[p] - 2))      # a later record stays: evidence of loss
    victim = b.msg_at(p, off)
    b.drop(p, off)
    verdict = check(b.build())
    assert verdict.count("lost") == 1
    (a,) = verdict.of_kind("lost")
    assert a.msg_ids == (victim,)
    assert a.judgement == "violation"
    # the group did process it before it vanished, so nothing else is reported
    assert sum(verdict.counts.values()) == 1


@settings(max_examples=25, deadline=None)
@given(group_runs(), st.data())
def test_one_duplicate_is_found_exactly_once(run: tuple[HistoryBuilder, dict[int, int]],
                                            data: st.DataObject) -> None:
    b, sizes = run
    candidates = [p for p, n in sizes.items() if n >= 1]
    if not candidates:
        return
    p = data.draw(st.sampled_from(candidates))
    victim = b.msg_at(p, data.draw(st.integers(0, sizes[p] - 1)))
    b.store(p, victim)                       # stored again past the group's committed offset
    verdict = check(b.build())
    assert verdict.count("log-duplicate") == 1
    (a,) = verdict.of_kind("log-duplicate")
    assert a.msg_ids == (victim,)
    assert a.judgement == "violation"
    assert sum(verdict.counts.values()) == 1


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 20), st.integers(0, 19), st.sampled_from(["sync-per-batch", "auto"]))
def test_crash_mid_batch_outcome_depends_on_the_strategy(n: int, done: int, strategy: str) -> None:
    """Process ``done`` of ``n`` then crash. sync-per-batch never committed: all n are redelivered, none
    skipped. auto committed every returned offset: the n - done unprocessed ones are skipped."""
    done = min(done, n - 1) if n > 1 else 0
    b = HistoryBuilder("t")
    b.producer("p")
    b.produce("p", n)
    b.member("m1", strategy=strategy)
    b.member("m2", strategy=strategy)
    b.assign("m1", [0], committed={}, generation=1)
    b.deliver("m1", 0, range(n))
    if strategy == "auto":
        b.commit("m1", {0: n}, mode="auto")
    b.process("m1", 0, range(done))
    b.crash("m1", f"after processing {done} of {n} in a batch")
    start = n if strategy == "auto" else 0
    b.assign("m2", [0], committed={0: start} if strategy == "auto" else {}, generation=2)
    b.consume("m2", 0, range(start, n), commit="sync")
    b.final_commit("g", {0: n})
    verdict = check(b.build())
    if strategy == "auto":
        assert verdict.count("skipped") == n - done
        assert verdict.count("redelivered") == 0
    else:
        assert verdict.count("skipped") == 0
        assert verdict.count("redelivered") == n
        assert verdict.count("processed-twice") == done
    assert verdict.ok
