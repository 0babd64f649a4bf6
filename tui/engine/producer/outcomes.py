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


# ---- what an error means, in one line ----------------------------------------------------------
# Each is "what happened; the likely cause / which setting moves it". Causes the runner found out
# itself (the topic does not exist, no broker answers) replace the generic cause.
CAUSE_NO_TOPIC = "the topic does not exist"
CAUSE_NO_BROKER = "no broker was reachable"
_EXPLAIN: dict[int, str] = {
    MSG_TIMED_OUT: "not acknowledged within message.timeout.ms={timeout}; {cause}",
    TIMED_OUT: "the request timed out; the broker may have written it",
    TIMED_OUT_QUEUE: "waited in the client's queue past message.timeout.ms={timeout}; never sent",
    TRANSPORT: "the connection broke mid-request; the broker may have written it",
    PURGE_QUEUE: "still queued in the client when it was closed or purged; never sent",
    PURGE_INFLIGHT: "in flight when the client was closed; the broker may have written it",
    UNKNOWN_TOPIC: "the topic does not exist (or this client may not see it); create it first",
    UNKNOWN_PARTITION: "the partition does not exist; the topic has fewer partitions",
    UNKNOWN_TOPIC_OR_PART: "the broker does not host this topic or partition (it does not exist, or "
                           "the leader moved)",
    NOT_LEADER_FOR_PARTITION: "the broker is no longer the partition's leader (a fail-over); retries "
                              "follow the new leader",
    REQUEST_TIMED_OUT: "the broker did not answer within request.timeout.ms; it may have written it",
    MSG_SIZE_TOO_LARGE: "larger than the topic's max.message.bytes (or the client's message.max.bytes): "
                        "refused before it was written",
    RECORD_LIST_TOO_LARGE: "a batch larger than the broker accepts; lower batch.size",
    NOT_ENOUGH_REPLICAS: "fewer in-sync replicas than min.insync.replicas: the leader refused the write",
    NOT_ENOUGH_REPLICAS_AFTER_APPEND: "the leader wrote it, then the ISR fell below "
                                      "min.insync.replicas before the followers copied it",
    INVALID_REQUIRED_ACKS: "the broker refused the acks setting",
    TOPIC_AUTHORIZATION_FAILED: "this client may not write to the topic (ACLs)",
    OUT_OF_ORDER_SEQUENCE_NUMBER: "the broker saw a gap in an idempotent producer's sequence numbers",
    DUPLICATE_SEQUENCE_NUMBER: "the broker already had it (an idempotent retry): written once, no "
                               "offset reported",
    INVALID_PRODUCER_EPOCH: "another producer with the same transactional.id took over (fenced)",
    INVALID_RECORD: "the broker rejected the record (e.g. a compacted topic needs a key)",
    PRODUCER_FENCED: "another producer with the same transactional.id took over (fenced)",
}
_GENERIC_TIMEOUT_CAUSE = "the leader was slow, unreachable or moving (paused, overloaded or failing over)"


def explain_error(error_code: int, timeout_ms: int | None = None, cause: str | None = None) -> str:
    """One line: what this delivery error means and its likely cause (``cause``: one the runner found
    out itself, e.g. :data:`CAUSE_NO_TOPIC`)."""
    text = _EXPLAIN.get(error_code)
    if text is None:
        return cause or f"librdkafka error {error_name(error_code)}"
    return text.format(timeout="?" if timeout_ms is None else timeout_ms,
                       cause=cause or _GENERIC_TIMEOUT_CAUSE)


def error_name(error_code: int) -> str:
    """librdkafka's name for a code (``NOT_ENOUGH_REPLICAS``, ``_MSG_TIMED_OUT``)."""
    from confluent_kafka import KafkaError

    try:
        return str(KafkaError(error_code).name())
    except Exception:  # an unknown code still gets a stable label
        return f"ERR_{error_code}"
