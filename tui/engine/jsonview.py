"""``to_json()`` for every frozen view: one conversion for headless output, reports and recordings.

Views are dataclasses of plain values (a field named with a leading underscore is a cache and is
left out); :func:`jsonable` turns any of them (nested views, tuples,
mappings, enums, bytes) into JSON-ready data. Payload bytes go through :func:`safe_json_value`:
valid UTF-8 as a string, anything else as ``{"base64": ...}``, capped like everything the explorer
shows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from enum import Enum
from typing import Any

from tui.safe_text import safe_json_value


def jsonable(value: object) -> Any:
    """``value`` as JSON-ready data (dicts with string keys, lists, str, int, float, bool, None)."""
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, bytes | bytearray | memoryview):
        return safe_json_value(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        own = getattr(value, "to_json", None)
        if own is not None and not isinstance(value, JsonView):
            return jsonable(own())  # a type with its own stable JSON shape (the Verdict)
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.name.startswith("_")}  # a leading underscore marks a cache, not data
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


class JsonView:
    """Mixin for frozen view dataclasses: ``view.to_json()``."""

    __slots__ = ()

    def to_json(self) -> dict[str, Any]:
        data = jsonable(self)
        assert isinstance(data, dict)  # a dataclass becomes a mapping
        return data
