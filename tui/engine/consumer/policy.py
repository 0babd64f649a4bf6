"""A member's error policy: what happens to a record its processing step failed on.

Runs in the member process, on its main thread, between the record's FAILED and the next record. The
events it writes, in order (the checker reads them so):

* every attempt: FAILED (``error`` the failure kind, ``detail`` the message, ``attempt``);
* ``retry``: POLICY retry (``detail`` "backoff N ms") and a real wait -- the member does not poll, so
  long backoffs push it past max.poll.interval.ms -- then the next attempt; once the retries are used
  up, the FAILED of the last attempt and what ``retry_then`` says, with ``attempt`` = retries + 1;
* ``skip``: POLICY skip; the strategy then commits past the record as if it were processed;
* ``dead-letter``: POLICY dead-letter (``detail`` the DLT), the copy, DLT_SENT once its delivery report
  is in; only then may a commit cover the record. A failed send: DLT_SENT ok=false, POLICY fail, CRASH;
* ``pause``: POLICY pause, then the partition is paused and seeked back to the record (SEEK): the rest
  of the group keeps flowing, and the record comes again once the partition is resumed;
* ``fail``: POLICY fail, then CRASH ("error policy fail on t/p@o: kind"): the restarted member meets
  the record again (a crash loop).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from confluent_kafka import Message

from tui.engine.consumer.commands import dead_letter_topic
from tui.engine.consumer.dead_letter import DeadLetters, Sent
from tui.engine.consumer.processing import Failure, RecordKey
from tui.engine.history import dlt_headers
from tui.vocab import ErrorPolicy, PolicyAction


class Outcome(Enum):
    PROCESSED = "processed"
    """A retry succeeded: the record counts as processed."""
    SKIPPED = "skipped"
    """Done without processing: the strategy may commit past it."""
    DEAD_LETTERED = "dead-lettered"
    """Its copy is in the dead-letter topic (acknowledged): the strategy may commit past it."""
    HELD = "held"
    """Paused: neither this record nor the later ones of its partition are done."""


@dataclass
class PolicySettings:
    policy: str = ErrorPolicy.FAIL.value
    retries: int = 3
    retry_backoff_ms: int = 200
    retry_then: str = PolicyAction.SKIP.value
    dead_letter_topic: str | None = None

    @classmethod
    def of(cls, spec: dict[str, Any]) -> PolicySettings:
        return cls(str(spec.get("error_policy") or ErrorPolicy.FAIL), int(spec.get("retries", 3)),
                   int(spec.get("retry_backoff_ms", 200)),
                   str(spec.get("retry_then") or PolicyAction.SKIP), spec.get("dead_letter_topic"))

    def update(self, ctl: dict[str, Any]) -> None:
        """Apply a live switch (keys that are absent or None keep their value)."""
        if ctl.get("policy") is not None:
            self.policy = str(ctl["policy"])
        for name in ("retries", "retry_backoff_ms"):
            if ctl.get(name) is not None:
                setattr(self, name, int(ctl[name]))
        if ctl.get("retry_then") is not None:
            self.retry_then = str(ctl["retry_then"])
        if ctl.get("dead_letter_topic") is not None:
            self.dead_letter_topic = str(ctl["dead_letter_topic"]) or None


class PolicyHost(Protocol):
    """What the policy needs from the member loop."""

    member: str

    @property
    def group(self) -> str: ...

    @property
    def incarnation(self) -> int: ...

    @property
    def consumer(self) -> Any: ...

    @property
    def dead_letters(self) -> DeadLetters: ...

    def emit(self, kind: str, **fields: Any) -> None: ...

    def wait(self, seconds: float) -> None:
        """Sleep, reading controls meanwhile (cut short when the member is leaving)."""

    def idle(self) -> None:
        """Read controls (while waiting for something else)."""

    def hold(self, msg: Message, msg_id: str | None) -> None:
        """Pause the record's partition and seek it back to the record (logs SEEK)."""

    def crash(self, detail: str) -> None:
        """CRASH and exit (never returns)."""


def handle(host: PolicyHost, settings: PolicySettings, msg: Message, key: RecordKey,
           msg_id: str | None, failure: Failure, again: Callable[[], Failure | None]) -> Outcome:
    """Apply the error policy to a record whose first attempt failed with ``failure``; ``again``
    makes the next attempt."""
    topic, partition, offset = key
    where = {"t": topic, "p": partition, "o": offset, "id": msg_id}
    attempt = 1
    current: Failure | None = failure
    while current is not None:
        kind, text = current
        host.emit("failed", **where, error=kind, detail=text, attempt=attempt)
        policy = settings.policy
        if policy == ErrorPolicy.RETRY and attempt <= settings.retries:
            backoff = settings.retry_backoff_ms
            host.emit("policy", **where, action=PolicyAction.RETRY.value, attempt=attempt,
                      detail=f"backoff {backoff} ms")
            host.wait(backoff / 1000.0)
            attempt += 1
            current = again()
            continue
        final = settings.retry_then if policy == ErrorPolicy.RETRY else policy
        return _final(host, settings, final, msg, where, attempt, kind, text)
    return Outcome.PROCESSED


def _final(host: PolicyHost, settings: PolicySettings, action: str, msg: Message,
           where: dict[str, Any], attempt: int, kind: str, text: str) -> Outcome:
    topic, partition, offset = where["t"], where["p"], where["o"]
    if action == PolicyAction.SKIP:
        host.emit("policy", **where, action=action, attempt=attempt, detail=None)
        return Outcome.SKIPPED
    if action == PolicyAction.DEAD_LETTER:
        dlt = dead_letter_topic(topic, settings.dead_letter_topic)
        host.emit("policy", **where, action=action, attempt=attempt, detail=dlt)
        headers = dlt_headers(topic, partition, offset, host.group, host.member, host.incarnation,
                              kind, text)
        sent: Sent = host.dead_letters.send(host.consumer, msg, dlt, headers, host.idle)
        host.emit("dlt-sent", **where, dlt=[dlt, sent.partition, sent.offset], ok=sent.ok,
                  error=sent.error)
        if sent.ok:
            return Outcome.DEAD_LETTERED
        host.emit("policy", **where, action=PolicyAction.FAIL.value, attempt=attempt,
                  detail=f"the dead-letter send to {dlt} failed ({sent.error})")
        host.crash(f"error policy fail on {topic}/{partition}@{offset}: the dead-letter send failed "
                   f"({sent.error})")
    if action == PolicyAction.PAUSE:
        host.emit("policy", **where, action=action, attempt=attempt, detail=None)
        host.hold(msg, where["id"])
        return Outcome.HELD
    host.emit("policy", **where, action=PolicyAction.FAIL.value, attempt=attempt, detail=None)
    host.crash(f"error policy fail on {topic}/{partition}@{offset}: {kind}")
    raise AssertionError("crash() returned")  # pragma: no cover
