"""JSON back into the engine's real view classes: every field of every view round-trips, so a field
added to a view is decoded (or this fails), and a renamed one fails strict decoding."""

from __future__ import annotations

import dataclasses
import types
import typing
from enum import Enum
from typing import Any

import pytest

import tui.engine as engine
from tests.ui import fakes
from tui.engine import Event, Snapshot, Verdict
from tui.recording.decode import DecodeError, Decoder

FIXED_BYTES = b"\xff\x00key\x1b[31m"
"""Not UTF-8: written as base64, so it must come back byte for byte."""


OWN_SHAPES = {"Verdict", "Anomaly", "VerdictSummary", "Event"}
"""Recorded types that write their own JSON instead of being a ``JsonView``."""


def _views() -> list[type]:
    """Every frozen view the engine exports (the ``JsonView`` dataclasses), the verdict and events."""
    out = []
    for name in engine.__all__:
        value = getattr(engine, name)
        if isinstance(value, type) and dataclasses.is_dataclass(value) and (
                name in OWN_SHAPES or any(b.__name__ == "JsonView" for b in value.__mro__)):
            out.append(value)
    return sorted(set(out), key=lambda c: c.__name__)


def sample(tp: Any, name: str, depth: int = 0) -> Any:
    """A value of type ``tp`` that differs from every default (so a dropped field shows)."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return sample(options[0], name, depth)
    if tp is Any:
        return f"any-{name}"
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return build(tp, depth + 1)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return (sample(args[0], name, depth), sample(args[0], name + "2", depth))
        return tuple(sample(a, f"{name}{i}", depth) for i, a in enumerate(args))
    if origin in (frozenset, set):
        (item,) = typing.get_args(tp)
        return frozenset({sample(item, name, depth)})
    if origin in (dict, typing.Mapping) or origin is not None and issubclass(origin, typing.Mapping):
        key, value = typing.get_args(tp)
        return {sample(key, name + "-k", depth): sample(value, name + "-v", depth)}
    if tp is bool:
        return True
    if tp is int:
        return 7 + len(name)
    if tp is float:
        return 1.5 + len(name)
    if tp is str:
        return f"s-{name}"
    if tp is bytes:
        return FIXED_BYTES
    if isinstance(tp, type) and issubclass(tp, Enum):
        return list(tp)[-1]
    raise AssertionError(f"the test cannot build a {tp!r} for {name}: teach sample() (and check the "
                         "recording decoder handles it)")


def build(cls: type, depth: int = 0) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {f.name: sample(hints[f.name], f.name, depth) for f in dataclasses.fields(cls) if f.init}
    return cls(**kwargs)


@pytest.mark.parametrize("cls", _views(), ids=lambda c: c.__name__)
def test_every_field_of_every_view_round_trips(cls: type) -> None:
    value = build(cls)
    data = value.to_json()
    back = Decoder(strict=True).decode(cls, data, cls.__name__)
    assert back == value
    assert back.to_json() == data


def test_the_view_list_covers_the_snapshot() -> None:
    names = {c.__name__ for c in _views()}
    assert {"Snapshot", "ClusterView", "ProducersView", "ConsumersView", "Verdict", "Anomaly",
            "VerdictSummary", "MemberView", "RunnerView", "SeriesView", "Event"} <= names


@pytest.mark.parametrize("snap", [
    fakes.snapshot(1), fakes.snapshot(2, with_verdict=True), fakes.snapshot(3, lab=False),
    *fakes.crashed_member().snapshots, *fakes.paused_node().snapshots, *fakes.acks0_producer().snapshots,
    *fakes.unconsumed().snapshots,
], ids=lambda s: f"seq{s.seq}")
def test_scripted_snapshots_round_trip(snap: Snapshot) -> None:
    back = Decoder(strict=True).decode(Snapshot, snap.to_json(), "Snapshot")
    assert back == snap


def test_verdict_keeps_its_own_shape_and_derived_counts() -> None:
    verdict = fakes.verdict()
    back = Decoder(strict=True).decode(Verdict, verdict.to_json(), "Verdict")
    assert back == verdict
    assert back.counts == verdict.counts
    assert back.headline == verdict.headline


def test_tuple_keys_bytes_and_nan() -> None:
    snap = fakes.snapshot(1)
    back = Decoder(strict=True).decode(Snapshot, snap.to_json(), "Snapshot")
    assert back.cluster is not None
    assert snap.cluster is not None
    assert ("demo", 0) in back.cluster.series.partition_high_watermark
    assert back.producers.runners[0].recent[0].key == snap.producers.runners[0].recent[0].key
    event = Event(1, 2.0, "k", "s", "t", "info", {"lag": float("inf")})
    data = Decoder(strict=True).decode(Event, {**event.to_json(), "data": {"lag": None}}, "Event")
    assert data.data["lag"] is None


def test_a_renamed_field_fails_strict_decoding_and_is_skipped_when_lenient() -> None:
    data = fakes.snapshot(1).to_json()
    data["lab"][0]["process_state"] = data["lab"][0].pop("state")
    with pytest.raises(DecodeError, match="state"):
        Decoder(strict=True).decode(Snapshot, data, "Snapshot")
    with pytest.raises(DecodeError, match="LabNodeView.state is missing"):
        Decoder().decode(Snapshot, data, "Snapshot")
    data["lab"][0]["state"] = "running"
    lenient = Decoder()
    lenient.decode(Snapshot, data, "Snapshot")
    assert lenient.ignored == {"LabNodeView.process_state"}


def test_the_same_json_decodes_to_the_same_view() -> None:
    data = fakes.snapshot(1).to_json()
    decoder = Decoder()
    decoder.begin()
    first = decoder.decode(Snapshot, {**data}, "Snapshot")
    decoder.begin()
    second = decoder.decode(Snapshot, {**data, "seq": 2}, "Snapshot")
    assert second.cluster is first.cluster
    assert second.producers is first.producers
    assert second.seq == 2
