"""Committed offsets are read in a child process (librdkafka's AdminClient dereferences a NULL group
handle on NOT_COORDINATOR, confluentinc/librdkafka#5040): what it answers, and that its death fails
only the calls in flight, which the next call survives."""

from __future__ import annotations

import logging
import os
import re
import signal
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, KafkaException

from tests.engine.test_consumer_support import create_topics
from tests.helpers import commit_offsets, unique, wait_until
from tui.kafka.committed import CHILD_ENDED, CommittedReader, child_ended
from tui.lab import LabCluster

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.kafka
def test_it_reads_what_was_committed_and_survives_its_child_being_killed(lab1: LabCluster) -> None:
    topic, group = unique("committed"), unique("committed-g")
    create_topics(lab1.bootstrap, [topic], partitions=3)
    commit_offsets(lab1.bootstrap, group, {(topic, 0): 7, (topic, 2): 3})
    reader = CommittedReader({"bootstrap.servers": lab1.bootstrap})
    try:
        answer = reader.submit(group, 10).result(20)
        assert {(tp.topic, tp.partition, tp.offset) for tp in answer.topic_partitions} == {
            (topic, 0, 7), (topic, 2, 3)}
        only = reader.submit(group, 10, [(topic, 1), (topic, 2)]).result(20)
        assert sorted((tp.partition, tp.offset) for tp in only.topic_partitions) == [(1, -1001), (2, 3)]
        pid = reader.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # as a librdkafka crash would end it
        wait_until(lambda: reader.pid is None, 10, message="the reader to see its child end")
        again = reader.submit(group, 10).result(20)
        assert len(again.topic_partitions) == 2
        assert reader.restarts == 1
        assert reader.pid not in (None, pid)
    finally:
        reader.close()


def test_a_call_in_flight_when_the_child_dies_fails_as_coordinator_not_available() -> None:
    reader = CommittedReader({"bootstrap.servers": "127.0.0.1:1"})  # nobody answers there
    try:
        pending = reader.submit("g", 60)
        pid = wait_until(lambda: reader.pid, 10, message="the child")
        assert not pending.done()
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(KafkaException) as info:
            pending.result(10)
        err = info.value.args[0]
        assert err.code() == KafkaError.COORDINATOR_NOT_AVAILABLE
        assert err.str() == CHILD_ENDED
        assert child_ended(info.value)
        assert not child_ended(KafkaException(KafkaError(KafkaError.COORDINATOR_NOT_AVAILABLE)))
    finally:
        reader.close()


def test_only_the_child_process_lists_group_offsets() -> None:
    """The crash is in the admin OffsetFetch answer: no other module may make that call."""
    callers = [str(p.relative_to(ROOT)) for folder in ("tui", "tests", "bench")
               for p in (ROOT / folder).rglob("*.py")
               if re.search(r"\.list_consumer_group_offsets\(", p.read_text(encoding="utf-8"))]
    assert callers == ["tui/kafka/committed_child.py"]


def test_restart_fails_the_calls_in_flight_and_the_next_call_gets_a_new_child() -> None:
    """What the watcher does with a wedged coordinator: the group-offsets client is replaced too."""
    reader = CommittedReader({"bootstrap.servers": "127.0.0.1:1"})
    try:
        pending = reader.submit("g", 60)
        first = wait_until(lambda: reader.pid, 10, message="the child")
        reader.restart()
        with pytest.raises(KafkaException) as info:
            pending.result(10)
        assert child_ended(info.value)
        reader.submit("g", 60)
        assert wait_until(lambda: reader.pid, 10, message="a new child") != first
        assert reader.restarts == 1
    finally:
        reader.close()


def test_a_restart_is_logged_as_a_replacement_and_a_death_as_a_crash(
        caplog: pytest.LogCaptureFixture) -> None:
    """The watcher's own restart must not read as librdkafka crashing (it kills with SIGKILL)."""
    reader = CommittedReader({"bootstrap.servers": "127.0.0.1:1"})
    caplog.set_level(logging.INFO, logger="kafka_explorer.committed")
    try:
        pending = reader.submit("g", 60)
        wait_until(lambda: reader.pid, 10, message="the child")
        reader.restart()
        with pytest.raises(KafkaException):
            pending.result(10)
        wait_until(lambda: any("replaced" in r.getMessage() for r in caplog.records), 10,
                   message="the replacement to be logged")
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        pending = reader.submit("g", 60)
        pid = wait_until(lambda: reader.pid, 10, message="a new child")
        os.kill(pid, signal.SIGKILL)  # as a librdkafka crash would end it
        with pytest.raises(KafkaException):
            pending.result(10)
        wait_until(lambda: any(r.levelno == logging.WARNING and CHILD_ENDED in r.getMessage()
                               for r in caplog.records), 10, message="the crash to be logged")
    finally:
        reader.close()
