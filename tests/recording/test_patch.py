"""Snapshot deltas: diff then apply gives back the new value exactly, shares what did not change,
and a damaged patch is refused."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from tui.recording.patch import PatchError, apply, diff


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randrange(-5, 5)
    if kind == 2:
        return rng.choice([0.5, 1.0, -2.25])
    if kind == 3:
        return rng.choice(["a", "b", "", "ünï"])
    if kind in (4, 5):
        return [_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {rng.choice("abcde"): _value(rng, depth + 1) for _ in range(rng.randrange(5))}


def _mutate(rng: random.Random, value: Any) -> Any:
    value = copy.deepcopy(value)
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(list(value))
        if rng.random() < 0.2:
            del value[key]
        else:
            value[key] = _mutate(rng, value[key])
        return value
    if isinstance(value, list) and value and rng.random() < 0.7:
        choice = rng.random()
        if choice < 0.3:
            return value[1:] + [_value(rng)]  # a ring buffer moving on
        if choice < 0.5:
            return value + [_value(rng)]
        index = rng.randrange(len(value))
        value[index] = _mutate(rng, value[index])
        return value
    return _value(rng)


def test_apply_of_diff_gives_the_new_value_exactly() -> None:
    rng = random.Random(16)
    for _ in range(2000):
        old = _value(rng)
        new = _mutate(rng, old)
        patch = diff(old, new)
        kept = copy.deepcopy(old)
        got = old if patch is None else apply(old, json.loads(json.dumps(patch)))
        assert json.dumps(got, sort_keys=True) == json.dumps(new, sort_keys=True)
        assert old == kept  # apply never mutates its input


def test_types_are_kept_apart() -> None:
    assert diff(1, 1.0) == ["=", 1.0]
    assert diff(1, True) == ["=", True]
    assert diff([1, 2], [1, 2]) is None
    assert diff({"a": [1]}, {"a": [1]}) is None


def test_unchanged_parts_stay_the_same_objects() -> None:
    old: dict[str, Any] = {"cluster": {"topics": [{"name": "t", "hw": 1}]},
                           "producers": {"runners": [{"sent": 1}]}}
    new = copy.deepcopy(old)
    new["producers"]["runners"][0]["sent"] = 2
    out = apply(old, diff(old, new))
    assert out == new
    assert out["cluster"] is old["cluster"]
    assert out["producers"] is not old["producers"]


def test_ring_buffers_move_as_a_shift() -> None:
    old = [float(i) for i in range(30)]
    new = old[1:] + [30.0]
    assert diff(old, new) == ["<", 1, [30.0]]
    assert apply(old, diff(old, new)) == new


def test_a_family_of_sparklines_moves_without_its_names() -> None:
    old = {f"['topic-with-a-long-name', {p}]": [float(p)] * 5 + [float(i) for i in range(25)]
           for p in range(40)}
    new = {key: value[1:] + [99.0] for key, value in old.items()}
    new["['topic-with-a-long-name', 3]"] = old["['topic-with-a-long-name', 3]"]  # idle: unchanged
    patch = diff(old, new)
    assert patch[0] == "<*"
    assert "topic-with-a-long-name" not in json.dumps(patch)
    assert apply(old, patch) == new
    assert list(apply(old, patch)) == list(new)
    moved = {key: value[1:] + [7.0] for key, value in new.items()}
    grown = {"['new-topic', 0]": [1.0], **moved, "['zz', 0]": [2.0]}  # series come and go
    del grown["['topic-with-a-long-name', 7]"]
    patch = diff(new, grown)
    assert patch[0] == "<*"
    assert apply(new, patch) == grown
    assert list(apply(new, patch)) == list(grown)


def test_random_sparkline_families_round_trip() -> None:
    rng = random.Random(3)
    for _ in range(500):
        old = {f"s{i}": [float(rng.randrange(5)) for _ in range(rng.randrange(1, 8))]
               for i in range(rng.randrange(8, 20))}
        new: dict[str, Any] = {}
        for key, value in old.items():
            roll = rng.random()
            if roll < 0.1:
                continue  # pruned
            if roll < 0.2:
                new[f"n{rng.randrange(99)}"] = [1.0]  # added before it
            if roll < 0.3:
                new[key] = value
            else:
                k = rng.randrange(0, 3)
                new[key] = value[k:] + [float(rng.randrange(5)) for _ in range(rng.randrange(0, 3))]
        patch = diff(old, new)
        got = old if patch is None else apply(old, json.loads(json.dumps(patch)))
        assert got == new
        assert list(got) == list(new)


def test_objects_that_come_and_go_cost_one_item_each() -> None:
    rng = random.Random(8)

    def topic(name: str) -> dict[str, Any]:
        return {"name": name, "internal": False, "partitions": [{"topic": name, "partition": p,
                                                                  "hw": rng.randrange(9)}
                                                                 for p in range(3)]}

    old = [topic(f"t{i:03d}") for i in range(0, 300, 2)]
    new = copy.deepcopy(old)
    new.insert(10, topic("t021"))  # created in the middle of the sorted list
    del new[50]
    new[70]["partitions"][1]["hw"] = 99
    patch = diff(old, new)
    assert patch[0] == "@"
    assert len(json.dumps(patch)) < 1000
    assert apply(old, patch) == new
    for _ in range(300):  # shuffles, inserts and deletes of keyed objects
        current = copy.deepcopy(old)
        rng.shuffle(current)
        for _ in range(rng.randrange(4)):
            current.insert(rng.randrange(len(current)), topic(f"n{rng.randrange(10**6)}"))
        if rng.random() < 0.5:
            del current[rng.randrange(len(current))]
        seen = {t["name"] for t in current}
        if len(seen) != len(current):
            continue
        assert apply(old, json.loads(json.dumps(diff(old, current)))) == current


def test_a_damaged_patch_is_refused() -> None:
    for old, patch in (({"a": 1}, ["[", 1, {}]), ([1], ["{", {}]), ([1], ["?", 1]), ({"a": 1}, []),
                       ([1], ["@", [["r", 0, 5]]]), ({"a": 1}, ["@", []]), ({"a": [1]}, ["<*", []]),
                       ({"a": [1]}, ["<*", [None, None]]), ([1], ["<*", []])):
        with pytest.raises(PatchError):
            apply(old, patch)
