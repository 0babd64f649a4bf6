"""Structural deltas of JSON values: what a recording stores between two keyframes.

A patch is itself a small JSON value (a list whose first item says what it does):

* ``["=", value]`` -- replace the whole value;
* ``["{", {key: patch, ...}, [removed keys], [order]]`` -- an object with some members changed,
  added (a replace patch) or removed (the third item is left out when nothing was removed; the
  fourth, every member in order, is there only when a member was added anywhere but the end);
* ``["[", length, {"index": patch, ...}]`` -- a list cut or grown to ``length``, listed indices patched
  (an index past the old end holds a replace patch);
* ``["<", k, [items]]`` -- a list that dropped its first ``k`` items and appended ``items`` (the
  sparkline ring buffers move like this once per watcher refresh);
* ``["<*", [entry, ...]]`` -- an object of lists that each dropped ``k`` first items and appended
  some (a family of sparklines after a refresh), without its members' names: per old member in
  order ``null`` (unchanged), ``[k, items]`` or ``"-"`` (removed), and ``["+", name, value]`` for
  a member added there;
* ``["@", [entry, ...]]`` -- a list of objects that gained, lost or reordered members, item by item:
  ``["r", i, n]`` keeps old items ``i`` to ``i+n-1``, ``[i, patch]`` is old item ``i`` patched,
  ``["=", value]`` is a new item. An object's identity is its first two members (a topic's name, a
  partition's topic and number), so a topic created in the middle of a sorted list costs one item.

:func:`diff` returns None when nothing changed. :func:`apply` never mutates its input: the result
shares every unchanged part with it, so a replay can tell unchanged views by identity.
"""

from __future__ import annotations

from typing import Any

MAX_SHIFT = 4
"""Largest ring-buffer shift looked for (a refresh appends one value; a slow sampler sees a few)."""


class PatchError(ValueError):
    """A patch that does not fit the value it is applied to (a damaged file)."""


def diff(old: Any, new: Any) -> Any:
    """The patch turning ``old`` into ``new``; None when they are equal."""
    if old is new:
        return None
    if type(old) is dict and type(new) is dict:
        return _dict_diff(old, new)
    if type(old) is list and type(new) is list:
        return _list_diff(old, new)
    if type(old) is type(new) and old == new:  # 1 == 1.0 == True: the type must match too
        return None
    return ["=", new]


def _dict_diff(old: dict[str, Any], new: dict[str, Any]) -> Any:
    changed: dict[str, Any] = {}
    for key, value in new.items():
        if key in old:
            patch = diff(old[key], value)
            if patch is not None:
                changed[key] = patch
        else:
            changed[key] = ["=", value]
    removed = [key for key in old if key not in new]
    if not changed and not removed:
        return None
    moved = _all_shifted(old, new, changed)
    if moved is not None:
        return moved
    if [k for k in old if k in new] + [k for k in new if k not in old] != list(new):
        return ["{", changed, removed, list(new)]  # members inserted, not appended: say the order
    return ["{", changed, removed] if removed else ["{", changed]


def _all_shifted(old: dict[str, Any], new: dict[str, Any], changed: dict[str, Any]) -> Any:
    """``["<*", [entry, ...]]`` for an object of many lists of numbers that each dropped ``k`` items
    and appended some (``k`` 0 while a ring buffer fills) -- a family of sparklines after a
    refresh -- written without repeating its members' names: one entry per old member in order
    (null: unchanged, ``[k, items]``: shifted, ``"-"``: removed), and ``["+", name, value]`` where a
    member was added. None when the object is not like that."""
    if len(changed) < 8:
        return None
    kept_order = [key for key in new if key in old]
    if kept_order != [key for key in old if key in new]:
        return None  # members reordered
    entries: list[Any] = []
    pending = iter(new.items())
    for key in old:
        if key not in new:
            entries.append("-")
            continue
        for new_key, value in pending:  # members added before this one
            if new_key == key:
                break
            entries.append(["+", new_key, value])
        entry = _shift_entry(old[key], new[key]) if key in changed else None
        if entry is False:
            return None
        entries.append(entry)
    entries.extend(["+", new_key, value] for new_key, value in pending)
    return ["<*", entries]


def _shift_entry(before: Any, after: Any) -> Any:
    """``[k, items]`` when ``after`` is ``before`` minus ``k`` first items plus ``items``; else False."""
    if type(before) is not list or type(after) is not list:
        return False
    for k in range(min(MAX_SHIFT, len(before)) + 1):
        kept = len(before) - k
        if kept <= len(after) and _same_scalars(before[k:], after[:kept]):
            return [k, after[kept:]]
    return False


def _list_diff(old: list[Any], new: list[Any]) -> Any:
    keyed = _keyed_diff(old, new)
    if keyed is not None:
        return keyed
    changed: dict[str, Any] = {}
    for index, value in enumerate(new):
        if index < len(old):
            patch = diff(old[index], value)
            if patch is not None:
                changed[str(index)] = patch
        else:
            changed[str(index)] = ["=", value]
    if not changed and len(old) == len(new):
        return None
    if old and not isinstance(old[0], dict | list):  # ring buffers of numbers move along
        for k in range(1, min(MAX_SHIFT, len(old) - 1) + 1):
            kept = len(old) - k
            if kept <= len(new) and _same_scalars(old[k:], new[:kept]):
                return ["<", k, new[kept:]]
    replaced = sum(1 for patch in changed.values() if patch[0] == "=")
    if replaced * 2 > len(new):  # mostly new items: the list itself is smaller
        return ["=", new]
    return ["[", len(new), changed]


def _identity(items: list[Any]) -> list[str] | None:
    """Each object's identity (its first two members: a topic's name, a partition's topic and
    number, a group's id...) when every item is such an object and no two share one."""
    if not items or any(type(x) is not dict or len(x) < 2 for x in items):
        return None
    keys = []
    for item in items:
        first = list(item.items())[:2]
        keys.append(repr(first))
    return keys if len(set(keys)) == len(keys) else None


def _keyed_diff(old: list[Any], new: list[Any]) -> Any:
    """A list of objects that gained, lost or reordered members (a topic created in the middle of
    the sorted list): each new item as the old one with its identity, patched -- instead of every
    item after the insertion patched into its neighbour."""
    old_keys = _identity(old)
    new_keys = _identity(new) if old_keys is not None else None
    if old_keys is None or new_keys is None or old_keys == new_keys:
        return None
    where = {key: index for index, key in enumerate(old_keys)}
    entries: list[Any] = []
    for key, value in zip(new_keys, new, strict=True):
        index = where.get(key)
        if index is None:
            entries.append(["=", value])
            continue
        patch = diff(old[index], value)
        if patch is not None:
            entries.append([index, patch])
        elif entries and type(entries[-1]) is list and entries[-1][0] == "r" \
                and entries[-1][1] + entries[-1][2] == index:
            entries[-1][2] += 1  # a run of unchanged items
        else:
            entries.append(["r", index, 1])
    return ["@", entries]


def _apply_shifted(old: Any, entries: list[Any]) -> dict[str, Any]:
    if type(old) is not dict:
        raise PatchError("a shift-all patch for a value that is no object")
    out: dict[str, Any] = {}
    members = iter(old.items())
    for entry in entries:
        if type(entry) is list and entry and entry[0] == "+":
            out[entry[1]] = entry[2]
            continue
        member = next(members, None)
        if member is None:
            raise PatchError("a shift-all patch longer than its object")
        key, value = member
        if entry is None:
            out[key] = value
        elif entry != "-":
            out[key] = value[int(entry[0]):] + list(entry[1])
    if next(members, None) is not None:
        raise PatchError("a shift-all patch shorter than its object")
    return out


def _same_scalars(a: list[Any], b: list[Any]) -> bool:
    return a == b and all(type(x) is type(y) for x, y in zip(a, b, strict=True))


def apply(old: Any, patch: Any) -> Any:
    """``old`` with ``patch`` applied (a new value sharing the unchanged parts; ``old`` is kept)."""
    try:
        tag = patch[0]
        if tag == "=":
            return patch[1]
        if tag == "{":
            if type(old) is not dict:
                raise PatchError("an object patch for a value that is no object")
            out = dict(old)
            for key, sub in patch[1].items():
                out[key] = apply(old.get(key), sub)
            for key in patch[2] if len(patch) > 2 else ():
                out.pop(key, None)
            if len(patch) > 3:
                out = {key: out[key] for key in patch[3]}
            return out
        if tag == "[":
            if type(old) is not list:
                raise PatchError("a list patch for a value that is no list")
            length = int(patch[1])
            items = old[:length] + [None] * max(0, length - len(old))
            for index, sub in patch[2].items():
                i = int(index)
                items[i] = apply(old[i] if i < len(old) else None, sub)
            return items
        if tag == "<":
            if type(old) is not list:
                raise PatchError("a shift patch for a value that is no list")
            return old[int(patch[1]):] + list(patch[2])
        if tag == "<*":
            return _apply_shifted(old, patch[1])
        if tag == "@":
            if type(old) is not list:
                raise PatchError("a keyed patch for a value that is no list")
            kept: list[Any] = []
            for entry in patch[1]:
                if entry[0] == "=":
                    kept.append(entry[1])
                elif entry[0] == "r":
                    start, count = int(entry[1]), int(entry[2])
                    if start < 0 or start + count > len(old):
                        raise PatchError("a keyed patch past the end of the list")
                    kept.extend(old[start:start + count])
                else:
                    kept.append(apply(old[int(entry[0])], entry[1]))
            return kept
    except PatchError:
        raise
    except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
        raise PatchError(f"a malformed patch ({type(exc).__name__})") from exc
    raise PatchError(f"an unknown patch kind {str(tag)[:20]!r}")
