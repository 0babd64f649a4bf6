"""What the group-member and share-member specifications share: a check and their wire form."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any


def check_crash_after(records: int | None) -> None:
    """A crash armed after ``records`` processed records needs at least one (None: no crash)."""
    if records is not None and records < 1:
        raise ValueError("crash-after must be at least 1 record.")


def spec_json(spec: Any) -> dict[str, Any]:
    """A member spec dataclass as the JSON the member process reads (tuples as lists, ``extra`` as an
    object)."""
    data = asdict(spec)
    data["topics"] = list(spec.topics)
    data["fail_ids"] = list(spec.fail_ids)
    data["extra"] = dict(spec.extra)
    return data
