"""The member -> parent event stream (no Kafka): frames round-trip, the member's buffer keeps the
order and writes before every commit-affecting step, and the log's batch blocks read back as the
same ConsumerEvents one-by-one appends would give."""

from __future__ import annotations

import io
import random

import pytest

from tui.engine import record_format
from tui.engine.consumer.log import ConsumptionLog
from tui.engine.consumer.member_main import Channel
from tui.engine.consumer.wire import (
    PREVIEW,
    Delivered,
    FrameReader,
    MsgIds,
    Processed,
    encode_delivered,
    encode_event,
    encode_processed,
)
from tui.engine.history import ConsumerEvent
from tui.engine.history import ConsumerEventKind as K
from tui.engine.record_format import decode_msg_id, msg_id_of, raw_msg_ids_of


def test_frames_round_trip_whatever_the_chunking() -> None:
    event = {"k": "commit-result", "ts": 12.5, "offsets": [["t", 0, 7]], "mode": "sync", "ok": False,
             "error": "REBALANCE_IN_PROGRESS", "fatal": None}
    long_value = b"v" * 1000
    delivered = encode_delivered(3.25, 9, ["a", "b", "a"], [0, 5, 1], [10, 2**40, 11],
                                 [b"run/p/0/1", None, b"run/p/0/2"],
                                 [(1, None, b"\x00\xff"), (2, b"key", long_value)])
    processed = encode_processed(9, 1, [4.0, 4.5])
    at_once = encode_processed(9, 3, 5.0, 7)
    stream = encode_event(event) + delivered + processed + at_once
    for size in (1, 3, 7, len(stream)):
        reader = FrameReader()
        frames = []
        for i in range(0, len(stream), size):
            frames += reader.feed(stream[i:i + size])
        assert reader.pending == 0
        assert reader.bad == 0
        first, batch, *rest = frames
        assert first == event
        assert isinstance(batch, Delivered)
        assert _columns(batch) == (3.25, 9, ["a", "b", "a"], [0, 5, 1], [10, 2**40, 11],
                                   ["run/p/0/1", None, "run/p/0/2"])
        assert batch.previews == {1: (None, None, b"\x00\xff"),
                                  2: ("run/p/0/2", b"key", b"v" * PREVIEW)}
        assert rest == [Processed(9, 1, 2, [4.0, 4.5]), Processed(9, 3, 7, 5.0)]


def test_a_single_topic_batch_and_an_unmarshallable_field() -> None:
    reader = FrameReader()
    frames = reader.feed(encode_delivered(1.0, 1, ["t"] * 3, [2, 2, 2], [5, 6, 7], [None] * 3, [])
                         + encode_event({"k": "error", "ts": 1.0, "text": ValueError("boom")}))
    assert isinstance(frames[0], Delivered)
    assert _columns(frames[0]) == (1.0, 1, ["t"] * 3, [2, 2, 2], [5, 6, 7], [None] * 3)
    assert frames[0].previews == {}
    assert frames[1] == {"k": "error", "ts": 1.0, "text": "boom"}


def _columns(d: Delivered) -> tuple[object, ...]:
    return d.ts, d.batch, d.topics, d.partitions.tolist(), d.offsets.tolist(), list(d.msg_ids)


def test_msg_ids_are_read_lazily_and_slice_like_lists() -> None:
    ids = MsgIds.of([b"a", None, b"c", b"\xff"])
    assert len(ids) == 4
    assert ids[-1] is None  # not UTF-8: no id, as msg_id_of says
    middle = ids[1:3]
    assert isinstance(middle, MsgIds)
    assert list(middle) == [None, "c"]
    assert middle[1:] == ["c"]
    assert ids[5:] == []
    with pytest.raises(IndexError):
        middle[2]


def test_a_frame_cut_by_a_kill_is_left_pending_not_decoded() -> None:
    whole = encode_processed(1, 0, [1.0])
    reader = FrameReader()
    assert reader.feed(whole + whole[:-2]) == [Processed(1, 0, 1, [1.0])]
    assert reader.pending == len(whole) - 2


class _Out(io.BytesIO):
    """Counts writes: each one is what a SIGKILL right after it would have left the parent."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.writes.append(bytes(data))
        return super().write(data)


def _kinds(frames: list[object]) -> list[str]:
    out = []
    for f in frames:
        if isinstance(f, Delivered):
            out.append(f"D{len(f.offsets)}")
        elif isinstance(f, Processed):
            out.append(f"P{f.start}+{f.count}")
        else:
            assert isinstance(f, dict)
            out.append(str(f["k"]))
    return out


def test_channel_buffers_evidence_and_writes_it_in_order_before_each_event() -> None:
    out = _Out()
    channel = Channel(out)
    channel.delivered(encode_delivered(1.0, 1, ["t"] * 4, [0] * 4, [0, 1, 2, 3], [None] * 4, []))
    channel.processed(1, 0, 2.0)
    channel.processed(1, 1, 2.1)
    assert out.writes == []  # nothing is written between records
    channel.emit("commit-req", offsets=[["t", 0, 2]], mode="sync")  # e.g. sync-per-message
    channel.processed(1, 2, 2.2)
    channel.add("commit-req", offsets=[["t", 0, 3]], mode="store")  # buffered, like store()
    channel.processed(1, 3, 2.3)
    channel.flush()
    channel.flush()  # nothing new: no empty write
    assert [_kinds(FrameReader().feed(w)) for w in out.writes] == [
        ["D4", "P0+2", "commit-req"],
        ["P2+1", "commit-req", "P3+1"],
    ]


def test_channel_processed_all_and_a_new_batch_start_new_runs() -> None:
    out = _Out()
    channel = Channel(out)
    channel.processed_all(1, 3, 1.0)
    channel.processed(2, 0, 2.0)
    channel.processed(2, 2, 2.2)  # record 1 skipped: a new run
    channel.flush()
    assert _kinds(FrameReader().feed(out.getvalue())) == ["P0+3", "P0+1", "P2+1"]


def test_raw_msg_ids_of_a_batch_follow_msg_id_of() -> None:
    cases: list[tuple[bytes | None, list[tuple[str, str | bytes | None]] | None]] = [
        (b"kx|r/p/0/1|...", [("kx-id", b"r/p/0/1"), ("kx-run", b"r")]),  # the common case
        (b"kx|r/p/0/3|...", None),  # value only
        (b"{\"json\": 1}", [("other", b"x"), ("kx-id", b"r/p/0/9")]),  # no prefix: the header, not first
        (None, [("kx-id", b"r/p/0/4")]),  # a tombstone: the header
        (b"plain", [("kx-id", b"\xff")]),  # undecodable header: no id
        (b"plain", [("kx-id", "text")]),  # a non-bytes header value is ignored
        (None, []),
    ]
    asked: list[int] = []

    def headers_at(i: int) -> object:
        asked.append(i)
        return cases[i][1]
    got = [decode_msg_id(raw) for raw in raw_msg_ids_of([v for v, _h in cases], headers_at)]
    assert got == [msg_id_of(value, headers) for value, headers in cases]
    assert got[:5] == ["r/p/0/1", "r/p/0/3", "r/p/0/9", "r/p/0/4", None]
    assert 0 not in asked  # settled by its value: its headers were never built
    assert 1 not in asked


def test_a_batch_of_kx_records_is_read_in_one_go() -> None:
    values = [f"kx|r/p/0/{i}|....".encode() for i in range(5)]

    def no_headers(i: int) -> object:
        raise AssertionError("the values settle every record")
    assert raw_msg_ids_of(values, no_headers) == [f"r/p/0/{i}".encode() for i in range(5)]
    values[3] = b"poison"  # one record without the prefix: its header decides it
    assert raw_msg_ids_of(values, lambda i: [("kx-id", b"r/p/0/3")]) == [
        f"r/p/0/{i}".encode() for i in range(5)]


def test_a_batch_read_in_one_scan_matches_each_value_read_alone() -> None:
    """The one-pass scan over the joined values must give each value its own id or give up: values
    that hold the separator, a prefix without its closing bar (a match that would run on into the
    next value), an empty id or a kx prefix further in all end up exactly as read one by one."""
    sep = record_format._SEPARATOR
    pieces = [b"kx|", b"|", b"a", b"kx|a|", b"\x00", sep, sep[:5], sep[3:], b"kx||", b"r/p/0/1"]
    rng = random.Random(7)

    def headers_at(i: int) -> object:
        return [("kx-id", b"H%d" % i)]
    for _ in range(5000):
        values = [b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
                  for _ in range(rng.randint(1, 6))]
        expected = [v[3:v.find(b"|", 3)] if v.startswith(b"kx|") and v.find(b"|", 3) > 3
                    else b"H%d" % i for i, v in enumerate(values)]
        assert raw_msg_ids_of(values, headers_at) == expected, values


def test_log_blocks_read_back_as_single_events_in_seq_order() -> None:
    blocks = ConsumptionLog()
    single = ConsumptionLog()
    rows = [("t", 0, 5, "r/p/0/5"), ("t", 1, 9, None), ("u", 0, 1, "r/p/0/7")]
    for log in (blocks, single):
        log.append(1.0, "m1", 0, "g", "t", K.ASSIGN, partitions=(0, 1), generation=1)
    blocks.append_records(K.DELIVER, 2.0, "m1", 0, "g", "auto", *map(list, zip(*rows, strict=True)))
    for topic, p, o, mid in rows:
        single.append(2.0, "m1", 0, "g", topic, K.DELIVER, partition=p, offset=o, msg_id=mid,
                      strategy="auto")
    first = blocks.events()  # read in between: later reads must continue, not repeat
    blocks.append_records(K.PROCESSED, [3.0, 3.1], "m1", 0, "g", "auto", ["t", "t"], [0, 1], [5, 9],
                          ["r/p/0/5", None])
    for (topic, p, o, mid), ts in zip(rows[:2], (3.0, 3.1), strict=True):
        single.append(ts, "m1", 0, "g", topic, K.PROCESSED, partition=p, offset=o, msg_id=mid,
                      strategy="auto")
    assert len(first) == 4
    assert blocks.events() == single.events()
    assert [e.seq for e in blocks.events()] == [1, 2, 3, 4, 5, 6]
    assert len(blocks) == 6
    assert isinstance(blocks.events()[1], ConsumerEvent)


def test_log_cap_keeps_the_part_of_a_block_that_fits() -> None:
    log = ConsumptionLog(cap=3)
    log.append(1.0, "m1", 0, "g", "t", K.ASSIGN, partitions=(0,), generation=1)
    kept = log.append_records(K.DELIVER, 2.0, "m1", 0, "g", "never", ["t"] * 4, [0] * 4,
                              [0, 1, 2, 3], [None] * 4)
    assert kept == 2
    assert log.dropped == 2
    assert len(log) == 3
    assert [e.offset for e in log.events()] == [None, 0, 1]
    assert log.append_records(K.PROCESSED, [1.0], "m1", 0, "g", "never", ["t"], [0], [0],
                              [None]) == 0
    assert log.dropped == 3


def test_note_deliveries_flags_what_the_group_already_got() -> None:
    log = ConsumptionLog()
    assert log.note_deliveries("g", ["t"] * 3, [0, 0, 1], [4, 5, 0]) == [False, False, False]
    assert log.note_deliveries("g", ["t"] * 3, [0, 0, 0], [5, 6, 3]) == [True, False, True]
    assert log.note_delivery("g2", "t", 0, 5) is False


def test_a_batch_carries_its_timestamps_and_the_fetch_high_watermarks() -> None:
    from array import array

    stamps = array("q", [1_700_000_000_123, -1, 1_700_000_000_125]).tobytes()
    frame = encode_delivered(2.0, 4, ["a", "b", "a"], [0, 1, 0], [7, 3, 8], [None] * 3, [], stamps,
                             (("a", 0, 9), ("b", 1, 40)))
    (batch,) = FrameReader().feed(frame)
    assert isinstance(batch, Delivered)
    assert batch.create_ms is not None
    assert batch.create_ms.tolist() == [1_700_000_000_123, -1, 1_700_000_000_125]
    assert batch.highs == (("a", 0, 9), ("b", 1, 40))
    (bare,) = FrameReader().feed(encode_delivered(2.0, 5, ["a"], [0], [9], [None], []))
    assert isinstance(bare, Delivered)
    assert (bare.create_ms, bare.highs) == (None, ())


def test_policy_events_keep_their_order_behind_the_buffered_evidence() -> None:
    """PROCESSED of the records before a failing one reach the parent before its FAILED."""
    out = _Out()
    channel = Channel(out)
    channel.delivered(encode_delivered(1.0, 1, ["t"] * 3, [0] * 3, [0, 1, 2], [None] * 3, []))
    channel.processed(1, 0, 2.0)
    channel.processed(1, 1, 2.1)
    channel.emit("failed", t="t", p=0, o=2, id=None, error="invalid-json", detail="x", attempt=1)
    channel.emit("policy", t="t", p=0, o=2, id=None, action="skip", attempt=1, detail=None)
    assert [_kinds(FrameReader().feed(w)) for w in out.writes] == [["D3", "P0+2", "failed"], ["policy"]]


def test_failed_policy_and_dlt_events_land_in_the_log_with_their_fields() -> None:
    from tui.engine.history import DltTarget

    log = ConsumptionLog()
    log.append(1.0, "m1", 0, "g", "t", K.FAILED, partition=0, offset=2, msg_id="r/p/0/2",
               error="invalid-json", detail="Expecting value", attempt=1)
    log.append(1.1, "m1", 0, "g", "t", K.POLICY, partition=0, offset=2, msg_id="r/p/0/2",
               action="dead-letter", attempt=1, detail="t.DLT")
    log.append(1.2, "m1", 0, "g", "t", K.DLT_SENT, partition=0, offset=2, msg_id="r/p/0/2",
               dlt=DltTarget("t.DLT", 0, 0), ok=True)
    failed, policy, sent = log.events()
    assert (failed.error, failed.attempt, policy.action, policy.detail) == ("invalid-json", 1, "dead-letter",
                                                                            "t.DLT")
    assert (sent.dlt, sent.ok) == (DltTarget("t.DLT", 0, 0), True)
    assert [e.seq for e in (failed, policy, sent)] == [1, 2, 3]
