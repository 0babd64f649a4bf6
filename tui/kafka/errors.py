"""A Kafka error as text: the one unwrapping of ``KafkaException(KafkaError)``.

librdkafka raises ``KafkaException`` whose first argument is a ``KafkaError``; ``str()`` of the
exception gives a ``KafkaError{code=...,val=...,str="..."}`` dump, not the message a user should read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import KafkaError, KafkaException

T = TypeVar("T")


def kafka_error(exc: BaseException | KafkaError | None) -> KafkaError | None:
    """The ``KafkaError`` inside ``exc`` (or ``exc`` itself), None for any other exception."""
    if isinstance(exc, KafkaError):
        return exc
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    return None


def error_text(exc: BaseException | KafkaError, *, named: bool = False) -> str:
    """librdkafka's message of a Kafka error (``named``: prefixed with the code name, e.g.
    ``_TRANSPORT: Connection refused``); ``str(exc)`` for anything else."""
    err = kafka_error(exc)
    if err is None:
        return str(exc)
    text = err.str() or err.name()
    return f"{err.name()}: {text}" if named and text != err.name() else text


COORDINATOR_BUSY = frozenset({"COORDINATOR_LOAD_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE",
                              "NOT_COORDINATOR"})
"""Group-coordinator answers that mean "ask again shortly" (a fresh cluster still loading
__consumer_offsets, a coordinator that just moved)."""


def retry_while_busy(call: Callable[[], T], timeout: float, pause: float = 0.25) -> T:
    """``call()``, asked again while the group coordinator answers that it is busy, until
    ``timeout`` seconds passed (then its last error is raised)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except Exception as exc:
            err = kafka_error(exc)
            if err is None or err.name() not in COORDINATOR_BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
