"""Say what is known: broker health from answers, stale marks with ages, invalid offsets, budgets that
scale with the request, a client that lost its coordinators (scripted inputs, no Kafka)."""

from __future__ import annotations

import time

import pytest

from tests.unit.watcher_fakes import PENDING, build, fetcher, read_offsets, transport_error
from tui.engine.watcher.build import ViewBuilder, key_state
from tui.engine.watcher.diff import diff
from tui.engine.watcher.fetch import STUCK_AFTER
from tui.engine.watcher.health import DOWN_AFTER, HOLD_AFTER, BrokerHealth, answer_budget
from tui.engine.watcher.raw import Outcome

# ---- BrokerHealth ------------------------------------------------------------------------------


def test_a_broker_is_down_after_a_silence_and_up_only_on_an_answer() -> None:
    h = BrokerHealth()
    h.answered(1, 100.0)
    h.asked(1, 101.0)
    assert not h.down(1, 101.0 + DOWN_AFTER - 0.1)
    assert h.down(1, 101.0 + DOWN_AFTER + 0.1)
    # timeouts and new requests are not answers: still down, however often it is asked
    for t in range(105, 130):
        h.no_answer(1, float(t))
        h.asked(1, float(t) + 0.5)
        assert h.down(1, float(t) + 1)
    assert h.last_answer[1] == 100.0
    h.answered(1, 131.0)
    assert not h.down(1, 131.5)
    assert h.recovered == {1}


def test_silence_budget_grows_with_the_request_size() -> None:
    h = BrokerHealth()
    items = 100_000
    h.asked(1, 0.0, items=items)
    assert answer_budget(items) > DOWN_AFTER + 1
    assert not h.down(1, DOWN_AFTER + 1)  # a big request answered slowly is not a dead broker
    assert h.down(1, answer_budget(items) + 0.1)


def test_a_lost_request_older_than_an_answer_is_not_silence() -> None:
    h = BrokerHealth()
    h.answered(1, 10.0)
    h.no_answer(1, 9.0)  # sent before the broker's last answer: lost, not ignored
    assert not h.holding(1, 10.0)
    assert not h.down(1, 30.0)


def test_coordinator_requests_are_held_back_from_a_silent_broker() -> None:
    h = BrokerHealth()
    h.answered(1, 0.0)
    h.asked(1, 1.0)
    assert not h.holding(1, 1.0 + HOLD_AFTER - 0.1)
    assert h.holding(1, 1.0 + HOLD_AFTER + 0.1)
    h.answered(1, 3.0)
    h.no_answer(1, 4.0)  # refused: hold at once
    assert h.holding(1, 4.0)


# ---- the view of a 1-node cluster whose broker was killed ------------------------------------


def test_killed_single_broker_reads_unreachable_and_its_partitions_unknown() -> None:
    t0 = time.time()
    f = fetcher(t0)
    read_offsets(f)
    b = ViewBuilder()
    healthy = build(b, f, t0, 1)
    assert healthy.broker(1).state == "up"  # type: ignore[union-attr]
    assert healthy.unknown_count == 0
    # killed: the metadata fails, offsets calls are refused (what librdkafka reports)
    f.admin.answer = lambda t, p, kind: transport_error()  # type: ignore[attr-defined]
    f.metadata_outcome = Outcome("stale", "cluster metadata failed: Broker transport failure",
                                 t0 + 1, True)
    f.health.no_answer(1, t0 + 1)
    read_offsets(f)
    later = t0 + 1 + DOWN_AFTER + 2
    v = build(b, f, later, 2)
    broker = v.broker(1)
    assert broker is not None
    assert broker.state == "unreachable"
    assert broker.last_answer_at is not None
    assert broker.last_answer_at <= t0 + 1
    assert sum(1 for x in v.brokers if x.is_up) == 0  # the header reads "brokers 0/1 up"
    p = v.partition("t", 0)
    assert p is not None
    assert p.unknown
    assert p.placement_stale_since is not None
    assert p.offsets_stale
    assert p.stale_since is not None
    assert p.stale_since <= t0 + 1
    assert p.high_watermark == 10  # the last value read, marked stale with its time
    assert p.produce_rate is None
    assert v.unknown_count == 2
    assert v.section("brokers").state == "stale"
    kinds = [c.kind for c in diff(healthy, v)]
    assert kinds == ["broker.down"]
    assert diff(healthy, v)[0].data == {"broker": 1, "state": "unreachable", "was": "up"}


def test_paused_broker_goes_down_once_and_comes_back_once() -> None:
    """Requests time out and are sent again while paused: one broker.down, then one broker.up after
    the first real answer (never 'up again' in between)."""
    t0 = time.time()
    f = fetcher(t0)
    read_offsets(f)
    b = ViewBuilder()
    prev = build(b, f, t0, 1)
    events: list[str] = []
    for step in range(1, 16):  # one refresh a second, paused from t0 + 0.5
        now = t0 + step
        f.health.asked(1, now - 0.5)
        if step % 5 == 0:
            f.health.no_answer(1, now - 5)  # a request timing out (5 s request timeout)
        v = build(b, f, now, step + 1)
        events += [c.kind for c in diff(prev, v) if c.kind.startswith("broker.")]
        prev = v
    assert events == ["broker.down"]
    f.health.answered(1, t0 + 16)
    v = build(b, f, t0 + 16, 20)
    events += [c.kind for c in diff(prev, v) if c.kind.startswith("broker.")]
    assert events == ["broker.down", "broker.up"]
    assert v.broker(1).state == "up"  # type: ignore[union-attr]


# ---- offsets: sentinels, staleness, budgets ---------------------------------------------------


def test_sentinel_offsets_never_reach_the_view_and_do_not_count_as_answers() -> None:
    t0 = time.time()
    hw = {"value": 1001}
    f = fetcher(t0, answer=lambda t, p, kind: 0 if kind == "earliest" else hw["value"])
    read_offsets(f)
    b = ViewBuilder()
    first = build(b, f, t0, 1)
    assert first.partition("t", 0).high_watermark == 1001  # type: ignore[union-attr]
    # paused: librdkafka hands back -1001 for every partition, without an error
    f.admin.answer = lambda t, p, kind: -1001  # type: ignore[attr-defined]
    f.begin_tick(t0 + 1)
    answered_before = f.health.last_answer.get(1)
    read_offsets(f)
    assert f.health.last_answer.get(1) == answered_before  # no answer: the broker said nothing
    v = build(b, f, t0 + 1, 2)
    p = v.partition("t", 0)
    assert p is not None
    assert p.high_watermark == 1001
    assert p.log_start == 0
    assert p.offsets_stale
    assert p.stale_since is not None
    assert "no valid offset" in f.outcomes[("offsets", 1)].message
    # resumed: the real values come back; the rate is spread over the gap, no phantom records
    f.admin.answer = lambda t, p, kind: 0 if kind == "earliest" else 1001  # type: ignore[attr-defined]
    f.begin_tick(t0 + 2)
    read_offsets(f)
    v2 = build(b, f, t0 + 2, 3)
    p2 = v2.partition("t", 0)
    assert p2 is not None
    assert not p2.offsets_stale
    assert p2.high_watermark == 1001
    assert p2.records == 1001
    assert p2.produce_rate in (None, 0.0)


def test_a_call_within_its_budget_is_not_stale_and_one_past_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    t0 = time.time()
    f = fetcher(t0, partitions=4, answer=lambda t, p, kind: PENDING)
    read_offsets(f)  # a slow broker: the call is in flight
    assert key_state(f, ("offsets", 1))[0] == "ok"  # being answered, within its budget
    call = f.pending[("offsets", 1)]
    monkeypatch.setattr(call, "issued_mono", time.monotonic() - answer_budget(call.items) - 0.5)
    state, message, plain = key_state(f, ("offsets", 1))
    assert state == "stale"
    assert message.startswith("offsets of partitions led by broker 1: no answer for ")
    assert plain == "offsets of partitions led by broker 1: no answer"


def test_a_coordinator_call_unanswered_while_others_are_answered_means_a_wedged_client(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    t0 = time.time()
    f = fetcher(t0)
    never: concurrent.futures.Future[object] = concurrent.futures.Future()
    f._issue(("commits", "g"), lambda: [never], lambda call: None, broker=1)
    assert f.stuck() is None
    call = f.pending[("commits", "g")]
    monkeypatch.setattr(call, "issued_mono", time.monotonic() - STUCK_AFTER - 1)
    assert f.stuck() is None  # nobody answered anything since: an outage, not a wedge
    f.health.answered(1, call.issued_at + 5)
    assert f.stuck() == ("commits", "g")
    dropped = f.replace_admin(f.admin)
    assert ("commits", "g") in dropped
    assert not f.pending


def test_held_coordinator_calls_say_why() -> None:
    t0 = time.time()
    f = fetcher(t0)
    f.hold(("commits", "g"), "not asked while broker 1 does not answer")
    state, message, _ = key_state(f, ("commits", "g"))
    assert state == "stale"
    assert message == "offsets of group g: not asked while broker 1 does not answer"


def test_a_leader_refusing_every_offsets_request_for_its_epoch_marks_the_client_stale() -> None:
    """After a broker restart the admin client kept sending leader epochs the leader refused
    (FENCED_LEADER_EPOCH) for over a minute: the watcher replaces a client refused that way for
    FENCED_AFTER s; one answer from the leader clears it."""
    from confluent_kafka import KafkaError, KafkaException

    from tests.unit.watcher_fakes import fetcher, read_offsets
    from tui.engine.watcher.fetch import FENCED_AFTER

    fenced = {"on": True}

    def answer(topic: str, partition: int, kind: str) -> object:
        if fenced["on"]:
            return KafkaException(KafkaError(KafkaError.FENCED_LEADER_EPOCH))
        return 0 if kind == "earliest" else 10
    f = fetcher(100.0, answer=answer)
    read_offsets(f)
    assert f.fenced() is None  # refused, but not for long yet
    f.fenced_since[1] -= FENCED_AFTER
    assert f.fenced() == 1
    fenced["on"] = False
    f.begin_tick(101.0)
    read_offsets(f)
    assert f.fenced() is None
    assert not f.fenced_since
