"""A member's batch columns: the compiled pass and the Python rules give the same columns."""

from __future__ import annotations

import random

import pytest
from confluent_kafka import Message

from tui.engine.consumer import columns

PIECES = [b"kx|", b"|", b"a", b"kx|a|", b"\x00", b"r/p/0/1", b"kx||", b"\xff\xfe", b"{\"msg_id\": 1}"]


def _message(rng: random.Random, offset: int) -> Message:
    value: bytes | None = None
    if rng.random() > 0.1:
        value = b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4)))
    headers = rng.choice([None, [("kx-id", b"H%d" % offset)], [("other", b"x"), ("kx-id", None)],
                          [("kx-id", "text")]])
    return Message(topic="t", partition=rng.randint(0, 2**31 - 1), offset=offset, value=value,
                   key=None, headers=headers, timestamp=(1, rng.randint(-1, 2**45)))


def test_the_python_rules_cut_ids_as_the_record_format_says() -> None:
    records = [Message(topic="t", partition=2, offset=7, value=b"kx|r/p/0/7|...", key=None,
                       headers=None, timestamp=(1, 1000)),
               Message(topic="t", partition=0, offset=8, value=None, key=None,
                       headers=[("kx-id", b"r/p/0/8")], timestamp=(1, 1001)),
               Message(topic="t", partition=0, offset=9, value=b"kx||", key=None,
                       headers=[("kx-id", b"r/p/0/9")], timestamp=(1, 1002)),
               Message(topic="t", partition=0, offset=10, value=b"foreign", key=None,
                       headers=None, timestamp=(1, 1003))]
    cols = columns.of_python(records, 2)
    assert list(cols.partitions) == [2, 0, 0, 0]
    assert list(cols.offsets) == [7, 8, 9, 10]
    assert cols.ids == [b"r/p/0/7", b"r/p/0/8", b"r/p/0/9", None]
    assert cols.stamps == (1000).to_bytes(8, "little") + (1002).to_bytes(8, "little")


@pytest.mark.skipif(not columns.COLUMNS_COMPILED, reason="the C column reader is not built (make install)")
def test_the_compiled_pass_gives_the_python_columns() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        records = [_message(rng, rng.randint(0, 2**62)) for _ in range(rng.randint(0, 9))]
        for stride in (1, 2, 3, 64):
            assert columns.of_compiled(records, stride) == columns.of_python(records, stride)

