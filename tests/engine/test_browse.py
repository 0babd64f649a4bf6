"""The record browser on the real lab: each seek returns exactly what a plain consumer reading the same
partition returns; follow, pause, filters; hostile payloads kept raw and capped; no group ever joined."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from confluent_kafka import TopicPartition

from tests.engine.test_consumer_support import create_topics
from tests.helpers import unique, wait_until
from tui.engine import (
    BrowseHandle,
    BrowseOpen,
    BrowsePause,
    BrowseSeek,
    BrowseView,
    Connection,
    Engine,
    RecordFilter,
)
from tui.kafka import clients
from tui.kafka.committed import committed
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka


@pytest.fixture
def engine(lab1: LabCluster) -> Iterator[Engine]:
    with Engine(Connection(lab1.bootstrap), watch=False) as e:
        yield e


def _produce(bootstrap: str, topic: str, records: list[tuple[int, bytes | None, bytes | None,
                                                          list[tuple[str, bytes]] | None]]) -> None:
    producer = clients.producer({"bootstrap.servers": bootstrap, "linger.ms": 0,
                                 "message.max.bytes": 1_040_000})
    for partition, key, value, headers in records:
        producer.produce(topic, key=key, value=value, partition=partition, headers=headers)
        producer.poll(0)
    assert producer.flush(30) == 0


def _oracle(bootstrap: str, topic: str, partition: int, start: int) -> list[tuple[int, bytes | None, int]]:
    """(offset, value, timestamp) of every record from ``start`` to the end: a plain consumer."""
    consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": unique("oracle"),
                                 "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        _low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        consumer.assign([TopicPartition(topic, partition, start)])
        out: list[tuple[int, bytes | None, int]] = []
        deadline = time.monotonic() + 30
        while (not out or out[-1][0] < high - 1) and start < high:
            assert time.monotonic() < deadline, "the oracle did not reach the end"
            msg = consumer.poll(0.5)
            if msg is None or msg.error() is not None:
                continue
            out.append((msg.offset() or 0, msg.value(), msg.timestamp()[1]))
        return out
    finally:
        consumer.close()


def _read_all(engine: Engine, cmd: BrowseOpen) -> BrowseView:
    handle: BrowseHandle = engine.call(cmd)
    view = wait_until(lambda: handle.view() if handle.view().final else None, 30,
                      message=f"browsing {cmd.topic} from {cmd.start} to end")
    assert view.state == "done", view.error
    return view


def test_every_seek_returns_exactly_what_a_plain_consumer_reads(lab1: LabCluster, engine: Engine) -> None:
    topic = unique("browse-seek")
    create_topics(lab1.bootstrap, [topic], partitions=2)
    _produce(lab1.bootstrap, topic, [(0, None, f"a{i}".encode(), None) for i in range(20)])
    marker = int(time.time() * 1000) + 1
    wait_until(lambda: time.time() * 1000 > marker + 5, 5, message="the clock to move past the marker")
    _produce(lab1.bootstrap, topic, [(0, None, f"b{i}".encode(), None) for i in range(10)]
             + [(1, None, b"other", None)])
    everything = _oracle(lab1.bootstrap, topic, 0, 0)
    assert len(everything) == 30
    first_after = next(o for o, _v, ts in everything if ts >= marker)
    cases = {"beginning": 0, "7": 7, "-4": 26, f"@{marker}": first_after, "end": 30}
    for start, first in cases.items():
        view = _read_all(engine, BrowseOpen(topic, partitions=(0,), start=start))
        expected = [(o, v) for o, v, _ in _oracle(lab1.bootstrap, topic, 0, first)]
        assert [(r.offset, r.value) for r in view.records] == expected, start
        assert view.start_offsets == ((0, first),)
        assert view.end_offsets == ((0, 30),)
    both = _read_all(engine, BrowseOpen(topic, start="-1"))
    # across partitions records come in the order they arrive (as kcat shows them): only each
    # partition's own order is defined
    assert sorted((r.partition, r.offset, r.value) for r in both.records) == [(0, 29, b"b9"), (1, 0, b"other")]
    assert [r.n for r in both.records] == [0, 1]


def test_follow_sees_a_record_produced_after_it_started_and_pause_holds_it(
        lab1: LabCluster, engine: Engine) -> None:
    topic = unique("browse-follow")
    create_topics(lab1.bootstrap, [topic])
    _produce(lab1.bootstrap, topic, [(0, None, b"old", None)])
    handle: BrowseHandle = engine.call(BrowseOpen(topic, start="end", follow=True))
    wait_until(lambda: handle.view().state == "following", 20, message="the browser to catch up")
    _produce(lab1.bootstrap, topic, [(0, b"k", b"new", None)])
    view = handle.wait_records(0, 20)
    assert [(r.offset, r.key, r.value) for r in view.records] == [(1, b"k", b"new")]
    engine.call(BrowsePause(handle.browser_id, True))
    wait_until(lambda: handle.view().paused, 10, message="the pause")
    _produce(lab1.bootstrap, topic, [(0, None, b"while paused", None)])
    assert len(_oracle(lab1.bootstrap, topic, 0, 0)) == 3  # it is in the log...
    assert handle.view().matched == 1  # ...and the paused browser did not take it
    engine.call(BrowsePause(handle.browser_id, False))
    view = handle.wait_records(1, 20)
    assert [r.value for r in view.records] == [b"new", b"while paused"]
    assert not view.final


def test_filters_are_applied_in_the_engine_and_seek_reapplies_them(lab1: LabCluster, engine: Engine) -> None:
    topic = unique("browse-filter")
    create_topics(lab1.bootstrap, [topic])
    _produce(lab1.bootstrap, topic, [
        (0, b"alice", b'{"order": 1, "state": "paid"}', [("source", b"web")]),
        (0, b"bob", b'{"order": 2, "state": "open"}', [("source", b"app")]),
        (0, b"alice", b'{"order": 3, "state": "open"}', [("source", b"app"), ("retry", b"1")]),
        (0, None, b"plain text mentioning alice", None),
    ])
    def offsets(flt: RecordFilter) -> list[int]:
        return [r.offset for r in _read_all(engine, BrowseOpen(topic, filters=flt)).records]

    assert offsets(RecordFilter(grep=r'"state": "open"')) == [1, 2]
    assert offsets(RecordFilter(grep="alice")) == [0, 2, 3]  # the key matches too
    assert offsets(RecordFilter(key="alice")) == [0, 2]
    assert offsets(RecordFilter(headers=(("source", "app"),))) == [1, 2]
    assert offsets(RecordFilter(headers=(("retry", None),))) == [2]
    assert offsets(RecordFilter(key="alice", headers=(("source", "web"),))) == [0]
    view = _read_all(engine, BrowseOpen(topic, filters=RecordFilter(grep="order")))
    assert view.scanned == 4
    assert view.matched == 3
    assert view.records[0].value_format == "json"
    assert '"state": "paid"' in view.records[0].detail
    handle = engine.browser(view.browser_id)
    assert handle is not None
    engine.call(BrowseSeek(view.browser_id, start="2", filters=RecordFilter(key="alice")))
    again = wait_until(lambda: handle.view() if handle.view().final and handle.view().start == "2"
                       else None, 20, message="the re-read")
    assert [r.offset for r in again.records] == [2]
    with pytest.raises(ValueError, match="not a valid regular expression"):
        engine.call(BrowseOpen(topic, filters=RecordFilter(grep="(unclosed")))
    with pytest.raises(ValueError, match="not beginning, end"):
        engine.call(BrowseOpen(topic, start="yesterday"))


def test_hostile_payloads_are_kept_raw_and_capped_and_decoded(lab1: LabCluster, engine: Engine) -> None:
    topic = unique("browse-hostile")
    create_topics(lab1.bootstrap, [topic])
    big = b"\xe2\x82\xac" * 340_000  # 1 MB of euro signs: valid UTF-8, cut on a character boundary
    _produce(lab1.bootstrap, topic, [
        (0, b"\x1b]0;owned\x07", b"\x1b[2J\x9b31m\xff\xfe", [("x\x1b[31m", b"\x1b[2J")]),
        (0, None, big, None),
        (0, None, b"kx|abcd1234/acksall/0/41|....", [("kx-id", b"abcd1234/acksall/0/41")]),
        (0, None, None, None),
    ])
    records = _read_all(engine, BrowseOpen(topic)).records
    ansi, large, kx, tombstone = records
    assert ansi.key == b"\x1b]0;owned\x07"
    assert ansi.value == b"\x1b[2J\x9b31m\xff\xfe"
    assert ansi.value_format == "binary"
    assert ansi.detail.startswith("00000000  1b 5b 32 4a")
    assert ansi.headers == (("x\x1b[31m", b"\x1b[2J"),)
    assert large.value_size == len(big)
    assert large.value is not None
    assert len(large.value) == 255
    assert large.value.decode() == "€" * 85
    assert large.value_more == len(big) - 255
    assert large.value_format == "text"
    assert len(large.detail) < 4200
    assert (kx.value_format, kx.msg_id, kx.run, kx.producer, kx.incarnation, kx.seq) == (
        "kx", "abcd1234/acksall/0/41", "abcd1234", "acksall", 0, 41)
    assert tombstone.value is None
    assert tombstone.value_format == "empty"
    assert all(r.timestamp_type == "CreateTime" and r.timestamp_ms for r in records)


def test_the_browser_never_joins_a_group_nor_commits(lab1: LabCluster, engine: Engine) -> None:
    topic = unique("browse-nogroup")
    create_topics(lab1.bootstrap, [topic])
    _produce(lab1.bootstrap, topic, [(0, None, b"x", None)] * 5)
    handle: BrowseHandle = engine.call(BrowseOpen(topic, follow=True))
    handle.wait_records(4, 20)
    admin = clients.admin({"bootstrap.servers": lab1.bootstrap})
    groups = {g.group_id for g in admin.list_consumer_groups(request_timeout=10).result(15).valid}
    assert handle.group not in groups
    offsets = committed({"bootstrap.servers": lab1.bootstrap}, handle.group, 10)
    assert all(tp.offset < 0 for tp in offsets.topic_partitions)


def test_lossless_reader_takes_every_record_in_order(lab1: LabCluster, engine: Engine) -> None:
    topic = unique("browse-lossless")
    create_topics(lab1.bootstrap, [topic], partitions=3)
    _produce(lab1.bootstrap, topic, [(i % 3, None, str(i).encode(), None) for i in range(600)])
    handle: BrowseHandle = engine.call(BrowseOpen(topic, keep=50, lossless=True))
    taken: list[bytes | None] = []
    since = 0
    deadline = time.monotonic() + 30
    while True:
        assert time.monotonic() < deadline
        records, since, missed = handle.take(since, 20)
        assert missed == 0
        taken += [r.value for r in records]
        if not records and handle.view().final and since >= handle.view().matched:
            break
        if not records:
            handle.wait_records(since, 0.5)
    assert sorted(int(v or b"") for v in taken) == list(range(600))
    assert handle.view().matched == 600
