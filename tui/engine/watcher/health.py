"""Which brokers answer: the last answer from each, and how long each has been silent.

A broker is *silent* from the first request it was sent and did not answer since its last answer.
It is *down* once silent for longer than :data:`DOWN_AFTER` plus the time the size of that request
allows (a broker answering 30,000 partitions is slow, not gone); it is up again only after a real
answer — a success, or an error the broker itself sent. Timeouts and refused connections never count
as answers, so a paused broker does not flap between up and unreachable as its requests time out and
are sent again.

Pure bookkeeping (times are passed in); owned by the watcher thread.
"""

from __future__ import annotations

from dataclasses import dataclass

DOWN_AFTER = 3.0
"""Seconds of silence after which a broker counts as down (plus :data:`PER_ITEM` per item)."""
PER_ITEM = 20e-6
"""Extra seconds of answer time allowed per partition (or group) a request carries."""
HOLD_AFTER = 1.5
"""Seconds of silence after which no new coordinator request is sent to a broker (see
:meth:`BrokerHealth.holding`)."""


def answer_budget(items: int) -> float:
    """Seconds a healthy broker may take to answer a request carrying ``items`` items."""
    return DOWN_AFTER + max(0, items) * PER_ITEM


@dataclass(slots=True)
class _Silence:
    since: float
    """Wall time the oldest unanswered request was sent."""
    budget: float
    refused: bool = False
    """A request failed without an answer (refused connection, transport error, timeout)."""


class BrokerHealth:
    """Answers and silences per broker id."""

    def __init__(self) -> None:
        self.last_answer: dict[int, float] = {}
        """Wall time of each broker's latest answer."""
        self._silent: dict[int, _Silence] = {}
        self._down: set[int] = set()
        self.recovered: set[int] = set()
        """Brokers that answered again after being down (the watcher consumes this)."""

    def asked(self, broker: int, at: float, items: int = 0) -> None:
        """A request carrying ``items`` items was sent to ``broker`` at ``at``."""
        if broker < 0 or broker in self._silent:
            return
        self._silent[broker] = _Silence(at, answer_budget(items))

    def answered(self, broker: int, at: float) -> None:
        """``broker`` answered at ``at`` (a result or an error it sent itself)."""
        if broker < 0:
            return
        if at > self.last_answer.get(broker, float("-inf")):
            self.last_answer[broker] = at
        self._silent.pop(broker, None)
        if broker in self._down:
            self._down.discard(broker)
            self.recovered.add(broker)

    def no_answer(self, broker: int, issued_at: float, items: int = 0) -> None:
        """A request sent at ``issued_at`` ended without an answer (timeout, refused, transport)."""
        if broker < 0:
            return
        if issued_at < self.last_answer.get(broker, float("-inf")):
            return  # the broker answered something sent later: this one was lost, not ignored
        silence = self._silent.get(broker)
        if silence is None:
            silence = self._silent[broker] = _Silence(issued_at, answer_budget(items))
        silence.refused = True

    def silent_for(self, broker: int, now: float) -> float:
        """Seconds ``broker`` has been silent (0 when it answered everything asked since)."""
        silence = self._silent.get(broker)
        return 0.0 if silence is None else max(0.0, now - silence.since)

    def down(self, broker: int, now: float) -> bool:
        """Silent past its budget; stays true until the broker answers again."""
        if broker in self._down:
            return True
        silence = self._silent.get(broker)
        if silence is not None and now - silence.since > silence.budget:
            self._down.add(broker)
            return True
        return False

    def holding(self, broker: int, now: float) -> bool:
        """Whether to hold back new coordinator requests to ``broker``: it refused or did not
        answer one, or has been silent for a while. (librdkafka keeps a coordinator request whose
        coordinator is unreachable in a queue that can wedge the client after the broker returns.)"""
        if broker in self._down:
            return True
        silence = self._silent.get(broker)
        return silence is not None and (silence.refused or now - silence.since > HOLD_AFTER)
