"""A group-offsets call that failed because the offset reader process died says nothing about the
coordinator: the section is stale until asked again, and the broker is neither answered nor silent
(a synthesized COORDINATOR_NOT_AVAILABLE used to count as the broker's answer, so a dead coordinator
read as up again)."""

from __future__ import annotations

import concurrent.futures
from typing import Any, cast

from confluent_kafka import KafkaError, KafkaException

from tests.unit.watcher_fakes import fetcher
from tui.engine.watcher.raw import GroupDescription
from tui.kafka.committed import CHILD_ENDED


class DyingReader:
    def __init__(self, err: KafkaError) -> None:
        self.err = err

    def submit(self, group: str, timeout: float, partitions: Any = None) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_exception(KafkaException(self.err))
        return future


def _ask(err: KafkaError) -> Any:
    f = fetcher(100.0)
    f.committed = cast(Any, DyingReader(err))
    f.descriptions["g"] = GroupDescription("g", "classic", "Empty", "", False, 1, (), 100.0)
    f.issue_commits("g")
    f.collect()
    return f


def test_the_childs_death_is_no_word_about_the_broker() -> None:
    f = _ask(KafkaError(KafkaError.COORDINATOR_NOT_AVAILABLE, CHILD_ENDED))
    outcome = f.outcomes[("commits", "g")]
    assert outcome.state == "stale"
    assert CHILD_ENDED in outcome.message
    assert 1 not in f.health.last_answer


def test_the_same_code_from_a_broker_is_its_answer() -> None:
    f = _ask(KafkaError(KafkaError.COORDINATOR_NOT_AVAILABLE, "The coordinator is not available."))
    assert f.outcomes[("commits", "g")].state == "stale"
    assert 1 in f.health.last_answer
