"""Classifying a delivery report into a ledger :class:`Outcome` (delivery-semantics.md §2.2).

Python cannot ask librdkafka whether a failed message was persisted (``rd_kafka_message_status`` is
not exposed), so the error code decides. Rule of thumb, as in Jepsen: when unsure, say *indefinite*.
A wrongly indefinite error can only hide an anomaly; a wrongly definite one invents one.
"""

from __future__ import annotations

from tui.engine.history import Outcome

# Codes are librdkafka's (negative = client-side, positive = broker protocol errors).
MSG_TIMED_OUT = -192
TIMED_OUT = -185
TRANSPORT = -195
PURGE_INFLIGHT = -151
PURGE_QUEUE = -152
TIMED_OUT_QUEUE = -166
UNKNOWN_TOPIC = -188
UNKNOWN_PARTITION = -190
UNKNOWN_TOPIC_OR_PART = 3
NOT_LEADER_FOR_PARTITION = 6
REQUEST_TIMED_OUT = 7
MSG_SIZE_TOO_LARGE = 10
RECORD_LIST_TOO_LARGE = 18
NOT_ENOUGH_REPLICAS = 19
NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20
INVALID_REQUIRED_ACKS = 21
TOPIC_AUTHORIZATION_FAILED = 29
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
DUPLICATE_SEQUENCE_NUMBER = 46
INVALID_PRODUCER_EPOCH = 47
INVALID_RECORD = 87
PRODUCER_FENCED = 90

# Definitely not written: the message never left the client, or the broker refused it before
# appending (NOT_ENOUGH_REPLICAS is checked before the append; its AFTER_APPEND twin is not).
DEFINITE: frozenset[int] = frozenset({
    PURGE_QUEUE, TIMED_OUT_QUEUE, UNKNOWN_TOPIC, UNKNOWN_PARTITION,
    UNKNOWN_TOPIC_OR_PART, MSG_SIZE_TOO_LARGE, RECORD_LIST_TOO_LARGE, NOT_ENOUGH_REPLICAS,
    INVALID_REQUIRED_ACKS, TOPIC_AUTHORIZATION_FAILED, OUT_OF_ORDER_SEQUENCE_NUMBER,
    INVALID_PRODUCER_EPOCH, INVALID_RECORD, PRODUCER_FENCED,
})

# Maybe written: listed explicitly for documentation; anything unknown is indefinite too.
INDEFINITE: frozenset[int] = frozenset({
    MSG_TIMED_OUT, TIMED_OUT, TRANSPORT, PURGE_INFLIGHT, REQUEST_TIMED_OUT,
    NOT_ENOUGH_REPLICAS_AFTER_APPEND, NOT_LEADER_FOR_PARTITION,
})

# Compact codes for the ledger's int8 outcome column (index into OUTCOMES).
OUTCOMES: tuple[Outcome, ...] = (Outcome.UNKNOWN, Outcome.OK, Outcome.OK_NO_OFFSET,
                                 Outcome.FAIL_DEFINITE, Outcome.FAIL_INDEFINITE)
CODE_UNKNOWN, CODE_OK, CODE_OK_NO_OFFSET, CODE_DEFINITE, CODE_INDEFINITE = range(5)
OUTCOME_CODE: dict[Outcome, int] = {outcome: i for i, outcome in enumerate(OUTCOMES)}


def classify(error_code: int | None, offset: int | None) -> Outcome:
    """The outcome of one delivery report: ``error_code`` None/0 means success.

    A success without a usable offset (acks=0 gives -1; a DUPLICATE_SEQUENCE ack gives none) is
    OK_NO_OFFSET, which the checker must not treat as proof of a position in the log.
    """
    if not error_code:
        return Outcome.OK if offset is not None and offset >= 0 else Outcome.OK_NO_OFFSET
    if error_code == DUPLICATE_SEQUENCE_NUMBER:
        return Outcome.OK_NO_OFFSET  # librdkafka treats it as success without offset
    if error_code in DEFINITE:
        return Outcome.FAIL_DEFINITE
    return Outcome.FAIL_INDEFINITE


def classify_code(error_code: int | None, offset: int | None) -> int:
    """:func:`classify` as the ledger's compact int code (hot path: no enum lookups)."""
    if not error_code:
        return CODE_OK if offset is not None and offset >= 0 else CODE_OK_NO_OFFSET
    if error_code == DUPLICATE_SEQUENCE_NUMBER:
        return CODE_OK_NO_OFFSET
    return CODE_DEFINITE if error_code in DEFINITE else CODE_INDEFINITE


def error_name(error_code: int) -> str:
    """librdkafka's name for a code (``NOT_ENOUGH_REPLICAS``, ``_MSG_TIMED_OUT``)."""
    from confluent_kafka import KafkaError

    try:
        return str(KafkaError(error_code).name())
    except Exception:  # an unknown code still gets a stable label
        return f"ERR_{error_code}"
