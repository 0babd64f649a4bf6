"""Value contents and poison records: sizes, what a codec can do with them, the msg_id always
recoverable (value prefix, else the kx-id header), poison specs parsed into one sentence or a plan."""

from __future__ import annotations

import json
import zlib

import pytest

from tui.engine.producer.workload import PoisonSpec, Workload, WorkloadError, parse_poison
from tui.engine.record_format import HEADER_ID, ValueMaker, msg_id_of, poison_value

ID = b"run00001/p1/0/42"


@pytest.mark.parametrize("content", ["kx", "random", "text", "json"])
def test_every_content_keeps_the_size_and_the_msg_id(content: str) -> None:
    maker = ValueMaker(content, 300)
    value = maker.value(ID, 42)
    assert len(value) == 300
    assert msg_id_of(value, [(HEADER_ID, ID)]) == ID.decode()
    if content == "json":
        doc = json.loads(value)
        assert (doc["msg_id"], doc["seq"]) == (ID.decode(), 42)
        assert isinstance(doc["payload"], str)
    else:
        assert msg_id_of(value) == ID.decode()  # the prefix alone is enough


def test_contents_compress_as_their_names_say() -> None:
    def ratio(content: str) -> float:
        maker = ValueMaker(content, 500)
        blob = b"".join(maker.value(b"r/p/0/%d" % i, i) for i in range(2000))
        return len(blob) / len(zlib.compress(blob))

    kx, text, rnd = ratio("kx"), ratio("text"), ratio("random")
    assert kx > 20  # dots: absurdly compressible
    assert 2 < text < 8  # words: like prose
    assert rnd < 1.1  # random bytes: nothing to gain


def test_consecutive_records_differ_and_a_slot_repeats_a_payload() -> None:
    maker = ValueMaker("random", 200)
    a, b = maker.value(ID, 1), maker.value(ID, 2)
    assert a != b
    again = maker.value(b"r/p/0/99", 99, slot=1)  # a resend of record 1: its own id, the same filler
    assert again[len(b"kx|r/p/0/99|"):][:150] == a[len(b"kx|" + ID + b"|"):][:150]


def test_poison_values() -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(poison_value("invalid-json", ID, 3, 0) or b"")
    assert json.loads(poison_value("missing-field", ID, 3, 0) or b"") == {"seq": 3}
    assert poison_value("tombstone", ID, 3, 0) is None
    big = poison_value("oversized", ID, 3, 2_000_000)
    assert big is not None
    assert len(big) == 2_000_000
    assert msg_id_of(big) == ID.decode()


def test_poison_specs() -> None:
    assert parse_poison("tombstone") == PoisonSpec("tombstone", every=100)
    spec = parse_poison("invalid-json:every=10|at=3,5")
    assert (spec.every, spec.at) == (10, (3, 5))
    assert [spec.first_from(s) for s in (0, 4, 6, 10)] == [3, 5, 9, 19]
    assert parse_poison("oversized:at=7").first_from(8) == -1
    for bad, words in (("brotli", "Unknown poison kind"), ("tombstone:every=0", "every=N"),
                       ("tombstone:at=x", "whole numbers"), ("tombstone:often=3", "looks like")):
        with pytest.raises(WorkloadError, match=words):
            parse_poison(bad)


def test_workload_refuses_an_unknown_content() -> None:
    with pytest.raises(WorkloadError, match="Unknown value content 'lorem'"):
        Workload("t", value_content="lorem").validate()
    assert "random values, poison tombstone" in Workload(
        "t", value_content="random", poison=parse_poison("tombstone")).validate().describe()
