"""Structural deltas of JSON values: what a recording stores between two keyframes.

A patch is itself a small JSON value (a list whose first item says what it does):

* ``["=", value]`` -- replace the whole value;
* ``["{", {key: patch, ...}, [removed keys]]`` -- an object with some members changed, added (a
  replace patch) or removed (the third item is left out when nothing was removed);
* ``["[", length, {"index": patch, ...}]`` -- a list cut or grown to ``length``, listed indices patched
  (an index past the old end holds a replace patch);
* ``["<", k, [items]]`` -- a list that dropped its first ``k`` items and appended ``items`` (the
  sparkline ring buffers move like this once per watcher refresh).

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
    return ["{", changed, removed] if removed else ["{", changed]


def _list_diff(old: list[Any], new: list[Any]) -> Any:
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
    except PatchError:
        raise
    except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
        raise PatchError(f"a malformed patch ({type(exc).__name__})") from exc
    raise PatchError(f"an unknown patch kind {str(tag)[:20]!r}")
