"""The one YAML document reader: profiles, scenarios, themes and settings all read their files here.

* :func:`read` reads a file with a size cap (regular files only: a FIFO or ``/dev/zero`` would never
  end), decodes UTF-8 and parses it with ``yaml.safe_load`` only: no tag can build an object or run
  code. Every failure is one sentence naming the file, raised as the caller's :class:`YamlError`
  subclass.
* The :class:`Document` keeps the line of every key (from ``yaml.compose``, which builds nodes, not
  objects), so a loader can say ``profiles.yaml line 12: ...``.
* The typed getters (``get_str``, ``get_int``, ``get_choice`` ...) read one field of a mapping and
  fail with a sentence that names the field: ``'count' must be a whole number, not text.``. A
  :class:`Where` says where the field is (a file and line, or ``file: step 3 (produce)``).
"""

from __future__ import annotations

import math
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import yaml

from tui.errors import UserError
from tui.vocab import names

MAX_BYTES = 1_000_000
"""Default size cap of a document: far above any hand-written file, far below trouble."""
_INDEX_BUDGET = 100_000  # nodes the line index visits at most (aliases are never walked twice)
_INDEX_DEPTH = 12
_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*m(?:in)?)?\s*(?:(\d+(?:\.\d+)?)\s*s(?:ec)?)?\s*$")

Key = str | int
KeyPath = tuple[Key, ...]


class YamlError(UserError):
    """A YAML document cannot be used; the sentence names the file (and line or field)."""


# ---- reading ------------------------------------------------------------------------------------


def read_text(path: Path, *, what: str = "file", name: str | None = None, max_bytes: int = MAX_BYTES,
              error: type[YamlError] = YamlError) -> str:
    """The UTF-8 text of ``path``; ``name`` is how messages call the file (default: the path)."""
    shown = name if name is not None else str(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{shown}: cannot be read (it is a directory, not a {what}).")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{shown}: cannot be read (it is not a regular file; a device or a pipe?).")
        if info.st_size > max_bytes:
            raise error(f"{shown}: the file is {info.st_size} bytes; a {what} is at most "
                        f"{max_bytes // 1000} kB.")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since stat()
    except FileNotFoundError:
        raise error(f"{shown}: cannot be read (the file does not exist).") from None
    except IsADirectoryError:
        raise error(f"{shown}: cannot be read (it is a directory, not a {what}).") from None
    except OSError as exc:
        raise error(f"{shown}: cannot be read ({exc.strerror or exc}).") from None
    if len(data) > max_bytes:
        raise error(f"{shown}: the file is over {max_bytes} bytes; a {what} is at most "
                    f"{max_bytes // 1000} kB.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{shown}: the file is not UTF-8 text (byte {exc.start}).") from None


def parse(text: str, source: str, *, error: type[YamlError] = YamlError) -> Document:
    """``text`` as a :class:`Document`; ``source`` names it in messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise error(f"{source}: the file is not valid YAML{at}: {problem}.") from None
    except RecursionError:
        raise error(f"{source}: the file is not valid YAML (it nests too deeply).") from None
    except Exception as exc:  # ValueError for impossible dates, OverflowError, other YAMLErrors...
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise error(f"{source}: the file is not valid YAML ({detail}).") from None
    return Document(source=source, data=data, lines=_line_index(text), error=error)


def read(path: Path, *, what: str = "file", name: str | None = None, max_bytes: int = MAX_BYTES,
         error: type[YamlError] = YamlError) -> Document:
    """:func:`read_text` then :func:`parse`."""
    text = read_text(path, what=what, name=name, max_bytes=max_bytes, error=error)
    return parse(text, name if name is not None else str(path), error=error)


def _line_index(text: str) -> dict[KeyPath, int]:
    """1-based line of every mapping key and list item, by key path; best effort (empty on error)."""
    index: dict[KeyPath, int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except Exception:
        return index
    seen: set[int] = set()
    budget = [_INDEX_BUDGET]

    def walk(node: yaml.Node | None, path: KeyPath) -> None:
        if node is None or id(node) in seen or len(path) > _INDEX_DEPTH or budget[0] <= 0:
            return
        seen.add(id(node))  # an alias points at a node already walked: billion laughs stay cheap
        budget[0] -= 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key_path = (*path, str(key_node.value))
                    index.setdefault(key_path, key_node.start_mark.line + 1)
                    walk(value_node, key_path)
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                index.setdefault((*path, position), item.start_mark.line + 1)
                walk(item, (*path, position))

    walk(root, ())
    return index


# ---- where a value is ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """A place for messages: ``source`` (a file, maybe with its line) and an optional context such
    as ``step 3 (produce)``. :meth:`fail` raises the document's error class."""

    source: str
    error: type[YamlError] = YamlError
    context: str = ""

    def fail(self, text: str) -> NoReturn:
        prefix = f"{self.source}: {self.context}" if self.context else self.source
        raise self.error(f"{prefix}: {text}")

    def within(self, context: str) -> Where:
        """The same file with another context (contexts replace each other, they do not nest)."""
        return Where(self.source, self.error, context)


@dataclass(frozen=True)
class Document:
    """A parsed YAML document with the line of each key path."""

    source: str
    data: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)
    error: type[YamlError] = YamlError

    def line(self, *keys: Key) -> int | None:
        """The line of the longest known prefix of ``keys`` (None when not even the first is known)."""
        for n in range(len(keys), 0, -1):
            line = self.lines.get(tuple(keys[:n]))
            if line is not None:
                return line
        return None

    def where(self, *keys: Key) -> str:
        """``source line N`` for the key path, or just ``source``."""
        line = self.line(*keys)
        return f"{self.source} line {line}" if line is not None else self.source

    def at(self, *keys: Key) -> Where:
        return Where(self.where(*keys), self.error)


# ---- typed getters ------------------------------------------------------------------------------


def kind(value: object) -> str:
    """What a YAML value is, in words: ``text``, ``a number``, ``a list`` ..."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def mapping(w: Where, raw: object, what: str,
            normalize: Callable[[object], str] = str) -> dict[str, Any]:
    """``raw`` as a mapping with text keys (``normalize`` may rewrite them); None is empty."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        w.fail(f"'{what}' must be a mapping of key: value, not {kind(raw)}.")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(key, bool) or not isinstance(key, str | int):
            w.fail(f"'{what}' has a key that is not text ({kind(key)}).")
        out[normalize(key)] = value
    return out


def only(w: Where, data: Mapping[str, Any], allowed: tuple[str, ...], what: str) -> None:
    """Fail on the first key of ``data`` that is not ``allowed``."""
    unknown = [k for k in data if k not in allowed]
    if unknown:
        w.fail(f"unknown field '{unknown[0]}' in {what}; allowed: {', '.join(allowed)}.")


def get_str(w: Where, data: Mapping[str, Any], key: str, default: str | None = None, *,
            required: bool = False, choices: tuple[str, ...] | None = None) -> str:
    """Text (a number is taken as its text); required when there is no ``default``."""
    raw = data.get(key)
    if raw is None:
        if required or default is None:
            w.fail(f"'{key}' is required.")
        return default
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        w.fail(f"'{key}' must be text, not {kind(raw)}.")
    text = str(raw).strip()
    if not text:
        w.fail(f"'{key}' must not be empty.")
    if choices is not None and text not in choices:
        w.fail(f"'{key}' must be one of {', '.join(choices)}, not {text!r}.")
    return text


def get_opt_str(w: Where, data: Mapping[str, Any], key: str,
                choices: tuple[str, ...] | None = None) -> str | None:
    return None if data.get(key) is None else get_str(w, data, key, choices=choices)


def get_choice(w: Where, data: Mapping[str, Any], key: str, vocabulary: type[StrEnum],
               default: str | None = None) -> str:
    """One of the values of a vocabulary enum (as plain text)."""
    return get_str(w, data, key, None if default is None else str(default), choices=names(vocabulary))


def get_opt_choice(w: Where, data: Mapping[str, Any], key: str,
                   vocabulary: type[StrEnum]) -> str | None:
    return None if data.get(key) is None else get_choice(w, data, key, vocabulary)


def get_int(w: Where, data: Mapping[str, Any], key: str, default: int | None = None, *,
            low: int = 0, high: int = 2**31 - 1) -> int:
    """A whole number in ``low..high`` (digits in quotes count); required when no ``default``."""
    raw = data.get(key)
    if raw is None:
        if default is None:
            w.fail(f"'{key}' is required.")
        return default
    if isinstance(raw, bool) or not isinstance(raw, int):
        if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            raw = int(raw.strip())
        else:
            w.fail(f"'{key}' must be a whole number, not {kind(raw)}.")
    if not low <= raw <= high:
        w.fail(f"'{key}' must be between {low} and {high}, not {raw}.")
    return int(raw)


def get_opt_int(w: Where, data: Mapping[str, Any], key: str, *, low: int = 0,
                high: int = 2**31 - 1) -> int | None:
    return None if data.get(key) is None else get_int(w, data, key, low=low, high=high)


def get_float(w: Where, data: Mapping[str, Any], key: str, default: float | None = None, *,
              low: float = 0.0, high: float = 86400.0) -> float:
    """A finite number in ``low..high`` (a number in quotes counts); required when no ``default``."""
    raw = data.get(key)
    if raw is None:
        if default is None:
            w.fail(f"'{key}' is required.")
        return default
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = float(text)
        except ValueError:
            w.fail(f"'{key}' must be a number, not {text[:40]!r}.")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        w.fail(f"'{key}' must be a number, not {kind(raw)}.")
    if not math.isfinite(raw):
        w.fail(f"'{key}' must be a finite number, not {raw}.")
    if not low <= raw <= high:
        w.fail(f"'{key}' must be between {low:g} and {high:g}, not {raw:g}.")
    return float(raw)


def get_seconds(w: Where, data: Mapping[str, Any], key: str, default: float | None = None, *,
                low: float = 0.0, high: float = 86400.0) -> float:
    """A duration: a number of seconds, or text like ``"30s"``, ``"2m"``, ``"1m30s"``."""
    raw = data.get(key)
    if not isinstance(raw, str):
        return get_float(w, data, key, default, low=low, high=high)
    match = _DURATION.match(raw)
    if not raw.strip() or not match or not (match.group(1) or match.group(2)):
        try:
            value = float(raw)
        except ValueError:
            w.fail(f"'{key}' must be seconds (e.g. 30, \"30s\", \"2m\"), not {raw!r}.")
    else:
        value = float(match.group(1) or 0) * 60 + float(match.group(2) or 0)
    if not math.isfinite(value) or not low <= value <= high:
        w.fail(f"'{key}' must be between {low:g} and {high:g} seconds, not {raw!r}.")
    return value


def get_bool(w: Where, data: Mapping[str, Any], key: str, default: bool) -> bool:
    """``true`` or ``false`` (YAML's own booleans only: ``"yes"`` in quotes is text)."""
    raw = data.get(key)
    if raw is None:
        return default
    if not isinstance(raw, bool):
        w.fail(f"'{key}' must be true or false, not {kind(raw)}.")
    return raw


def get_str_list(w: Where, data: Mapping[str, Any], key: str) -> list[str]:
    """A list of text values (absent: empty)."""
    raw = data.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        w.fail(f"'{key}' must be a list of text values, not {kind(raw)}.")
    return list(raw)


def scalar_text(w: Where, value: object, what: str) -> str:
    """A scalar as text for a client setting: ``true``/``false``, numbers as written, text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        w.fail(f"{what} has no value.")
    w.fail(f"{what} must be text, a number or true/false, not {kind(value)}.")


def get_text_map(w: Where, raw: object, key: str) -> dict[str, str]:
    """A mapping of names to scalar values, as text (client properties, topic configs)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        w.fail(f"'{key}' must be a mapping of property: value, not {kind(raw)}.")
    out: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not name.strip():
            w.fail(f"'{key}' has a property name that is not text.")
        out[name.strip()] = scalar_text(w, value, f"'{key}.{name.strip()}'")
    return out
