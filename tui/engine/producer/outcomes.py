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

# Definitely not written, whatever the retries: the message never left the client, or the broker
# refused it for a reason that holds for every attempt.
DEFINITE: frozenset[int] = frozenset({
    PURGE_QUEUE, TIMED_OUT_QUEUE, UNKNOWN_TOPIC, UNKNOWN_PARTITION,
    UNKNOWN_TOPIC_OR_PART, MSG_SIZE_TOO_LARGE, RECORD_LIST_TOO_LARGE,
    INVALID_REQUIRED_ACKS, TOPIC_AUTHORIZATION_FAILED, OUT_OF_ORDER_SEQUENCE_NUMBER,
    INVALID_PRODUCER_EPOCH, INVALID_RECORD, PRODUCER_FENCED,
})

# Refused before the append, but retriable: librdkafka retries it and reports only the last error, and
# an earlier attempt may have timed out in flight after the leader appended it (librdkafka never
# downgrades a possibly-persisted message). So it proves "not written" only when there was no earlier
# attempt: with retries=0.
DEFINITE_ON_FIRST_ATTEMPT: frozenset[int] = frozenset({NOT_ENOUGH_REPLICAS})
DEFINITE_WITHOUT_RETRIES: frozenset[int] = DEFINITE | DEFINITE_ON_FIRST_ATTEMPT

# Maybe written: listed explicitly for documentation; anything unknown is indefinite too (and so is
# NOT_ENOUGH_REPLICAS when the producer retries).
INDEFINITE: frozenset[int] = frozenset({
    MSG_TIMED_OUT, TIMED_OUT, TRANSPORT, PURGE_INFLIGHT, REQUEST_TIMED_OUT,
    NOT_ENOUGH_REPLICAS_AFTER_APPEND, NOT_LEADER_FOR_PARTITION,
})

# Compact codes for the ledger's int8 outcome column (index into OUTCOMES).
OUTCOMES: tuple[Outcome, ...] = (Outcome.UNKNOWN, Outcome.OK, Outcome.OK_NO_OFFSET,
                                 Outcome.FAIL_DEFINITE, Outcome.FAIL_INDEFINITE)
CODE_UNKNOWN, CODE_OK, CODE_OK_NO_OFFSET, CODE_DEFINITE, CODE_INDEFINITE = range(5)
OUTCOME_CODE: dict[Outcome, int] = {outcome: i for i, outcome in enumerate(OUTCOMES)}


def definite_codes(retries: int | None = None) -> frozenset[int]:
    """The error codes that prove a message was not written, for a producer with this ``retries``
    setting (None: unknown, so assume it retried)."""
    return DEFINITE_WITHOUT_RETRIES if retries == 0 else DEFINITE


def classify(error_code: int | None, offset: int | None, retries: int | None = None) -> Outcome:
    """The outcome of one delivery report: ``error_code`` None/0 means success.

    A success without a usable offset (acks=0 gives -1; a DUPLICATE_SEQUENCE ack gives none) is
    OK_NO_OFFSET, which the checker must not treat as proof of a position in the log. ``retries`` is
    the producer's effective ``retries``: NOT_ENOUGH_REPLICAS is definite only with 0 (one attempt).
    """
    return OUTCOMES[classify_code(error_code, offset, retries)]


def classify_code(error_code: int | None, offset: int | None, retries: int | None = None) -> int:
    """:func:`classify` as the ledger's compact int code (hot path: no enum lookups)."""
    if not error_code:
        return CODE_OK if offset is not None and offset >= 0 else CODE_OK_NO_OFFSET
    if error_code == DUPLICATE_SEQUENCE_NUMBER:
        return CODE_OK_NO_OFFSET
    return CODE_DEFINITE if error_code in definite_codes(retries) else CODE_INDEFINITE


def error_name(error_code: int) -> str:
    """librdkafka's name for a code (``NOT_ENOUGH_REPLICAS``, ``_MSG_TIMED_OUT``)."""
    from confluent_kafka import KafkaError

    try:
        return str(KafkaError(error_code).name())
    except Exception:  # an unknown code still gets a stable label
        return f"ERR_{error_code}"
