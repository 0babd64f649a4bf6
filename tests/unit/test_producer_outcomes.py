"""Delivery-report classification (delivery-semantics.md §2.2)."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError

from tui.engine.history import Outcome
from tui.engine.producer.outcomes import (
    DEFINITE,
    INDEFINITE,
    OUTCOMES,
    classify,
    classify_code,
    definite_codes,
    error_name,
)


@pytest.mark.parametrize(("code", "offset", "expected"), [
    (None, 5, Outcome.OK),
    (0, 0, Outcome.OK),
    (None, -1, Outcome.OK_NO_OFFSET),  # acks=0
    (None, None, Outcome.OK_NO_OFFSET),
    (KafkaError.DUPLICATE_SEQUENCE_NUMBER, None, Outcome.OK_NO_OFFSET),
    (KafkaError.NOT_ENOUGH_REPLICAS, None, Outcome.FAIL_INDEFINITE),  # retries unknown: maybe retried
    (KafkaError._PURGE_QUEUE, None, Outcome.FAIL_DEFINITE),
    (KafkaError._TIMED_OUT_QUEUE, None, Outcome.FAIL_DEFINITE),
    (KafkaError.MSG_SIZE_TOO_LARGE, None, Outcome.FAIL_DEFINITE),
    (KafkaError.UNKNOWN_TOPIC_OR_PART, None, Outcome.FAIL_DEFINITE),
    (KafkaError._UNKNOWN_PARTITION, None, Outcome.FAIL_DEFINITE),
    (KafkaError.TOPIC_AUTHORIZATION_FAILED, None, Outcome.FAIL_DEFINITE),
    (KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER, None, Outcome.FAIL_DEFINITE),
    (KafkaError.PRODUCER_FENCED, None, Outcome.FAIL_DEFINITE),
    (KafkaError._MSG_TIMED_OUT, None, Outcome.FAIL_INDEFINITE),
    (KafkaError._TIMED_OUT, None, Outcome.FAIL_INDEFINITE),
    (KafkaError._TRANSPORT, None, Outcome.FAIL_INDEFINITE),
    (KafkaError._PURGE_INFLIGHT, None, Outcome.FAIL_INDEFINITE),
    (KafkaError.REQUEST_TIMED_OUT, None, Outcome.FAIL_INDEFINITE),
    (KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND, None, Outcome.FAIL_INDEFINITE),
    (KafkaError.NOT_LEADER_FOR_PARTITION, None, Outcome.FAIL_INDEFINITE),
    (KafkaError._FATAL, None, Outcome.FAIL_INDEFINITE),  # unknown to us: indefinite
    (12345, None, Outcome.FAIL_INDEFINITE),
])
def test_classify(code: int | None, offset: int | None, expected: Outcome) -> None:
    assert classify(code, offset) is expected
    assert OUTCOMES[classify_code(code, offset)] is expected


@pytest.mark.parametrize(("retries", "expected"), [
    (0, Outcome.FAIL_DEFINITE),        # one attempt, refused before the append: not written
    (1, Outcome.FAIL_INDEFINITE),      # an earlier attempt may have timed out in flight after the append
    (2147483647, Outcome.FAIL_INDEFINITE),
    (None, Outcome.FAIL_INDEFINITE),   # unknown: assume it retried
])
def test_not_enough_replicas_is_definite_only_without_retries(retries: int | None, expected: Outcome) -> None:
    assert classify(KafkaError.NOT_ENOUGH_REPLICAS, None, retries) is expected
    assert OUTCOMES[classify_code(KafkaError.NOT_ENOUGH_REPLICAS, None, retries)] is expected
    assert (KafkaError.NOT_ENOUGH_REPLICAS in definite_codes(retries)) is (expected is Outcome.FAIL_DEFINITE)


@pytest.mark.parametrize("retries", [0, 5, None])
def test_retries_change_nothing_else(retries: int | None) -> None:
    for code in DEFINITE:
        assert classify(code, None, retries) is Outcome.FAIL_DEFINITE
    for code in INDEFINITE:
        assert classify(code, None, retries) is Outcome.FAIL_INDEFINITE
    assert classify(None, 3, retries) is Outcome.OK
    assert classify(KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND, None, 0) is Outcome.FAIL_INDEFINITE


def test_error_names() -> None:
    assert error_name(KafkaError.NOT_ENOUGH_REPLICAS) == "NOT_ENOUGH_REPLICAS"
    assert error_name(KafkaError._MSG_TIMED_OUT) == "_MSG_TIMED_OUT"
