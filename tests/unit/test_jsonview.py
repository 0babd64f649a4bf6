"""Every view serialises: JSON-ready, payload bytes escaped, the verdict in its own shape."""

from __future__ import annotations

import json

from tests.ui.fakes import snapshot
from tui.engine.jsonview import jsonable


def test_a_whole_snapshot_is_json_ready() -> None:
    snap = snapshot()
    data = snap.to_json()
    text = json.dumps(data)  # raises on anything not JSON-ready
    assert json.loads(text)["seq"] == snap.seq
    member = data["consumers"]["members"][0]
    assert member["name"] == snap.consumers.members[0].name
    assert data["cluster"]["brokers"][0]["node_id"] == snap.cluster.brokers[0].node_id


def test_payload_bytes_are_text_when_utf8_and_base64_otherwise() -> None:
    assert jsonable(b"k\x07") == "k\x07"
    assert jsonable(b"\xff\xfe") == {"base64": "//4=", "bytes": 2}


def test_odd_values() -> None:
    assert jsonable(float("nan")) is None
    assert jsonable({1: (2, 3)}) == {"1": [2, 3]}
    assert jsonable(frozenset({"b", "a"})) == ["a", "b"]
