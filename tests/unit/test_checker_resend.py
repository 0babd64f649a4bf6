"""Application-level resends (issue 13): a resend is a new produce() with its own msg_id, so idempotence
cannot deduplicate it; duplicates it causes are resend-duplicate, attributed to the resend policy, and
judged by what the first send's outcome was."""

from __future__ import annotations

from tui.engine.checker import Verdict, check, explain_record
from tui.engine.checker.builder import HistoryBuilder
from tui.engine.history import Outcome


def nonzero(verdict: Verdict) -> dict[str, int]:
    return {k: n for k, n in verdict.counts.items() if n}


def producer(idempotent: bool = True) -> HistoryBuilder:
    b = HistoryBuilder("orders")
    b.producer("p1", idempotent=idempotent, resend=True)
    b.produce("p1", 2)
    return b


def test_a_resend_after_a_timeout_whose_first_send_was_written_is_expected_and_names_idempotence() -> None:
    b = producer()
    (first,) = b.produce("p1", 1, outcome=Outcome.FAIL_INDEFINITE, error="_MSG_TIMED_OUT", stored=True)
    again = b.resend("p1", first)
    verdict = check(b.build())
    assert nonzero(verdict) == {"resend-duplicate": 1}
    (a,) = verdict.of_kind("resend-duplicate")
    assert (a.judgement, a.offsets, a.msg_ids) == ("expected", (2, 3), (first, again))
    assert a.explanation.count("idempotence covers only the client's own retries") == 1
    assert f"the application re-sent {first} after _MSG_TIMED_OUT" in a.explanation
    assert verdict.ok
    assert verdict.count("log-duplicate") == 0            # two msg_ids, one each: not a log duplicate


def test_without_idempotence_the_explanation_does_not_blame_it() -> None:
    b = producer(idempotent=False)
    (first,) = b.produce("p1", 1, outcome=Outcome.FAIL_INDEFINITE, error="REQUEST_TIMED_OUT", stored=True)
    b.resend("p1", first)
    (a,) = check(b.build()).of_kind("resend-duplicate")
    assert "a resend is a new record to Kafka" in a.explanation
    assert "idempotence" not in a.explanation


def test_a_resend_whose_first_send_was_not_written_is_no_duplicate_and_fills_the_gap() -> None:
    b = producer()
    (first,) = b.produce("p1", 1, outcome=Outcome.FAIL_INDEFINITE, error="_MSG_TIMED_OUT", stored=False)
    again = b.resend("p1", first)
    b.produce("p1", 1)
    verdict = check(b.build())
    assert nonzero(verdict) == {"producer-gap": 1}             # the first send's hole stays a hole...
    (gap,) = verdict.of_kind("producer-gap")
    assert f"The application re-sent 1 of them (as {again}), so its payload is in the log" in gap.explanation


def test_re_sending_an_acknowledged_record_is_a_violation() -> None:
    b = producer()
    (first,) = b.produce("p1", 1)
    b.resend("p1", first)
    verdict = check(b.build())
    (a,) = verdict.of_kind("resend-duplicate")
    assert a.judgement == "violation"
    assert "although it was acknowledged" in a.explanation
    assert not verdict.ok


def test_a_chain_of_resends_is_one_message() -> None:
    b = producer()
    (first,) = b.produce("p1", 1, outcome=Outcome.FAIL_INDEFINITE, error="_MSG_TIMED_OUT", stored=True)
    second = b.resend("p1", first, outcome=Outcome.FAIL_INDEFINITE, error="_MSG_TIMED_OUT", stored=True)
    third = b.resend("p1", second)
    verdict = check(b.build())
    assert nonzero(verdict) == {"resend-duplicate": 1}
    (a,) = verdict.of_kind("resend-duplicate")
    assert a.msg_ids == (first, second, third)
    assert a.offsets == (2, 3, 4)


def test_two_duplicated_messages_are_counted_twice() -> None:
    b = producer()
    for _ in range(2):
        (first,) = b.produce("p1", 1, outcome=Outcome.FAIL_INDEFINITE, error="_MSG_TIMED_OUT", stored=True)
        b.resend("p1", first)
    assert check(b.build()).count("resend-duplicate") == 2


def test_explain_record_links_a_record_and_its_resend() -> None:
    b = producer()
    (first,) = b.produce("p1", 1, outcome=Outcome.FAIL_INDEFINITE, error="_MSG_TIMED_OUT", stored=True)
    again = b.resend("p1", first)
    history = b.build()
    assert any(f"re-sent by the application as {again}" in line for line in explain_record(history, first))
    assert any(f"an application-level resend of {first}" in line for line in explain_record(history, again))
