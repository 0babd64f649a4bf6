"""Record filters, applied by the engine's reader (the UI only shows what matched).

``grep`` is a regular expression searched in the value and the key (decoded as UTF-8, invalid bytes
replaced); ``key`` matches the whole key; each ``headers`` entry ``name=value`` needs a header with
that name and exactly that value (``name`` alone: the header is present). Every condition must hold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=32)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def parse_header_filter(text: str) -> tuple[str, str | None]:
    """``name=value`` -> (name, value); ``name`` -> (name, None)."""
    name, sep, value = text.partition("=")
    if not name:
        raise ValueError(f"A header filter must look like name=value (or just name), not {text!r}.")
    return name, value if sep else None


@dataclass(frozen=True)
class RecordFilter:
    grep: str | None = None
    key: str | None = None
    headers: tuple[tuple[str, str | None], ...] = ()

    def validate(self) -> RecordFilter:
        if self.grep:
            try:
                _pattern(self.grep)
            except re.error as exc:
                raise ValueError(f"The filter {self.grep!r} is not a valid regular expression "
                                 f"({exc}).") from None
        return self

    @property
    def empty(self) -> bool:
        return not self.grep and self.key is None and not self.headers

    def matches(self, key: bytes | None, value: bytes | None,
                headers: Sequence[tuple[str, bytes | None]] | None) -> bool:
        if self.key is not None and key != self.key.encode():
            return False
        for name, wanted in self.headers:
            found = [v for k, v in headers or () if k == name]
            if not found or (wanted is not None and wanted.encode() not in found):
                return False
        if self.grep:
            pattern = _pattern(self.grep)
            texts = (value, key)
            return any(t is not None and pattern.search(t.decode("utf-8", "replace")) for t in texts)
        return True

    def text(self) -> str:
        """A short description for headers and status lines (empty when nothing filters)."""
        parts = []
        if self.grep:
            parts.append(f"grep /{self.grep}/")
        if self.key is not None:
            parts.append(f"key {self.key!r}")
        parts += [f"header {n}" + (f"={v}" if v is not None else "") for n, v in self.headers]
        return ", ".join(parts)
