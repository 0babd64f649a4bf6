"""JSON back into the engine's real view classes, generically: ``dataclasses.fields`` + type hints.

The views own their ``to_json()`` (tui.engine's one conversion); this is its inverse, written once for
every frozen dataclass instead of a ``from_json`` per view, so a field added to a view is decoded the
day it is added. What ``to_json`` did, undone by the field's type hint:

* nested views, ``tuple[X, ...]`` (and fixed tuples), ``frozenset`` (a sorted list), ``Mapping[K, V]``
  whose keys became strings (``"3"`` for an int, ``"['orders', 0]"`` for a tuple key);
* ``bytes`` written by ``safe_json_value``: UTF-8 text, or ``{"base64": ...}`` for anything else (capped
  payloads stay capped);
* non-finite floats written as null come back as NaN; enums as their values (plain ``str`` fields hold
  the value, which compares equal to the enum).

Keys: a view (a :class:`JsonView`, whose JSON is its fields) must not carry a key that is no field;
strict decoding raises, lenient decoding (replaying a file from another version) skips it and
remembers the name in :attr:`Decoder.ignored`. A type with its own JSON shape (the verdict) adds
derived keys (``headline``, ``ok``) that are skipped. A missing field takes its default, or fails.

Decoded containers are remembered by the identity of their JSON value until the next
:meth:`Decoder.begin`: a replay that applies a delta to the previous state shares the unchanged JSON,
so it gets the unchanged *views* back as the same objects, and the UI's identity checks (redraw only
what moved) work as they do on a live engine.
"""

from __future__ import annotations

import ast
import base64
import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from enum import Enum
from functools import cache, lru_cache
from typing import Any

from tui.engine import Snapshot


class DecodeError(ValueError):
    """JSON that does not fit the type it should become (one sentence, naming the field)."""


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@cache
def _init_fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.init)


@cache
def _own_shape(cls: type) -> bool:
    """The type writes its own JSON (e.g. the verdict with its headline), not just its fields."""
    own = getattr(cls, "to_json", None)
    view = any(base.__name__ == "JsonView" for base in cls.__mro__)
    return own is not None and not view


class Decoder:
    """Decodes JSON into ``tp`` (any type hint the views use). Not thread-safe: one per reader."""

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self.ignored: set[str] = set()
        """``Class.key`` names skipped because this version's class has no such field."""
        self._previous: dict[tuple[int, Any], tuple[Any, Any]] = {}
        self._current: dict[tuple[int, Any], tuple[Any, Any]] = {}

    def begin(self) -> None:
        """Start decoding the next state: what the last one decoded stays reusable by identity."""
        self._previous, self._current = self._current, {}

    def decode(self, tp: Any, value: Any, where: str = "") -> Any:
        if isinstance(value, dict | list):
            key = (id(value), tp)
            hit = self._current.get(key) or self._previous.get(key)
            if hit is not None and hit[0] is value:
                self._current[key] = hit
                return hit[1]
            out = self._decode(tp, value, where)
            self._current[key] = (value, out)  # holding ``value`` keeps its id unique
            return out
        return self._decode(tp, value, where)

    def _decode(self, tp: Any, value: Any, where: str) -> Any:
        if tp is Any or tp is object:
            return value
        origin = typing.get_origin(tp)
        if origin is typing.Union or origin is types.UnionType:
            return self._union(tp, value, where)
        if tp is type(None):
            return self._expect(value is None, None, tp, value, where)
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            return self._dataclass(tp, value, where)
        if origin is tuple:
            return self._tuple(tp, value, where)
        if origin in (frozenset, set):
            (item,) = typing.get_args(tp)
            self._expect(isinstance(value, list), None, tp, value, where)
            items = (self.decode(item, v, where) for v in value)
            return frozenset(items) if origin is frozenset else set(items)
        if origin in (Mapping, dict, types.MappingProxyType) or tp in (dict, Mapping):
            return self._mapping(tp, value, where)
        if origin is list:
            (item,) = typing.get_args(tp)
            self._expect(isinstance(value, list), None, tp, value, where)
            return [self.decode(item, v, where) for v in value]
        return self._scalar(tp, value, where)

    def _scalar(self, tp: Any, value: Any, where: str) -> Any:
        if tp is bool:
            return self._expect(isinstance(value, bool), value, tp, value, where)
        if tp is int:
            return self._expect(isinstance(value, int) and not isinstance(value, bool), value, tp,
                                value, where)
        if tp is float:
            if value is None:
                return math.nan  # to_json writes inf and nan as null
            return self._expect(isinstance(value, int | float) and not isinstance(value, bool),
                                float(value) if isinstance(value, int | float) else value, tp, value,
                                where)
        if tp is str:
            return self._expect(isinstance(value, str), value, tp, value, where)
        if tp is bytes:
            return _bytes(value, where)
        if isinstance(tp, type) and issubclass(tp, Enum):
            try:
                return tp(value)
            except ValueError as exc:
                raise DecodeError(f"{where or tp.__name__}: {value!r} is no {tp.__name__}") from exc
        raise DecodeError(f"{where or 'value'}: cannot decode a field of type {tp!r}")

    def _union(self, tp: Any, value: Any, where: str) -> Any:
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        problems = []
        for option in options:
            if option is type(None):
                continue
            try:
                return self.decode(option, value, where)
            except DecodeError as exc:
                problems.append(str(exc))
        raise DecodeError(problems[0] if len(problems) == 1 else
                          f"{where or 'value'}: {_short(value)} fits none of {tp}")

    def _tuple(self, tp: Any, value: Any, where: str) -> tuple[Any, ...]:
        self._expect(isinstance(value, list), None, tp, value, where)
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            bulk = _bulk(args[0], value)  # sparklines: thousands of numbers per snapshot
            if bulk is not None:
                return bulk
            return tuple(self.decode(args[0], v, where) for v in value)
        if len(args) != len(value):
            raise DecodeError(f"{where or 'value'}: expected {len(args)} items, got {len(value)}")
        return tuple(self.decode(a, v, where) for a, v in zip(args, value, strict=True))

    def _mapping(self, tp: Any, value: Any, where: str) -> Mapping[Any, Any]:
        self._expect(isinstance(value, dict), None, tp, value, where)
        args = typing.get_args(tp) or (str, Any)
        out = {_key(args[0], k, self, where): self.decode(args[1], v, where) for k, v in value.items()}
        return out if typing.get_origin(tp) is dict or tp is dict else types.MappingProxyType(out)

    def _dataclass(self, cls: type, value: Any, where: str) -> Any:
        name = cls.__name__
        if not isinstance(value, dict):
            raise DecodeError(f"{where or name}: expected an object for {name}, got {_short(value)}")
        fields = _init_fields(cls)
        names = {f.name for f in fields}
        if not _own_shape(cls):
            for key in value:
                if key not in names:
                    if self.strict:
                        raise DecodeError(f"{name} has no field {key!r} (the JSON has one: a field was "
                                          "renamed or removed)")
                    self.ignored.add(f"{name}.{key}")
        hints = _hints(cls)
        kwargs: dict[str, Any] = {}
        for f in fields:
            if f.name in value:
                kwargs[f.name] = self.decode(hints[f.name], value[f.name], f"{name}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise DecodeError(f"{name}.{f.name} is missing (a field this version needs)")
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise DecodeError(f"{name}: {exc}") from exc

    @staticmethod
    def _expect(ok: bool, result: Any, tp: Any, value: Any, where: str) -> Any:
        if not ok:
            name = getattr(tp, "__name__", str(tp))
            raise DecodeError(f"{where or 'value'}: expected {name}, got {_short(value)}")
        return result


def _bulk(item: Any, values: list[Any]) -> tuple[Any, ...] | None:
    """A tuple of plain numbers or strings in one pass (None: decode item by item)."""
    if item is float and all(type(v) is float or type(v) is int or v is None for v in values):
        return tuple(math.nan if v is None else float(v) for v in values)
    if item is int and all(type(v) is int for v in values):
        return tuple(values)
    if item is str and all(type(v) is str for v in values):
        return tuple(values)
    return None


@lru_cache(maxsize=65_536)
def _literal(key: str) -> Any:
    return ast.literal_eval(key)


def _key(tp: Any, key: str, decoder: Decoder, where: str) -> Any:
    """A mapping key back from the string ``to_json`` made of it."""
    if tp is str or tp is Any:
        return key
    if tp is int:
        try:
            return int(key)
        except ValueError as exc:
            raise DecodeError(f"{where}: key {key[:40]!r} is no number") from exc
    if tp is float:
        return float(key)
    try:
        parsed = _literal(key)  # "['orders', 0]": str() of the key's JSON list (the same every frame)
    except (ValueError, SyntaxError) as exc:
        raise DecodeError(f"{where}: cannot read the key {key[:40]!r}") from exc
    return decoder.decode(tp, parsed, where)


def _bytes(value: Any, where: str) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogatepass")
    if isinstance(value, dict) and isinstance(value.get("base64"), str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except ValueError as exc:
            raise DecodeError(f"{where}: damaged base64 bytes") from exc
    raise DecodeError(f"{where or 'bytes'}: expected text or base64 bytes, got {_short(value)}")


def _short(value: Any) -> str:
    return f"{type(value).__name__} {str(value)[:40]!r}"


def decode_snapshot(decoder: Decoder, state: Mapping[str, Any], seq: int, ts: float) -> Snapshot:
    """A :class:`Snapshot` from a recorded state (the snapshot's JSON without its seq and ts)."""
    decoder.begin()
    return decoder.decode(Snapshot, {**state, "seq": seq, "ts": ts}, "Snapshot")  # type: ignore[no-any-return]
