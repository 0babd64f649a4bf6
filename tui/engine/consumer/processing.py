"""A member's processing step for one record: validate its value, then apply injected failures.

Pure (no Kafka): the member process calls :meth:`Processing.check` per record and hands a failure to
its error policy. Validation comes first, as deserialisation comes before business logic:

* ``kx``: any value passes except a null one (a tombstone);
* ``json``: a JSON object with ``msg_id``, ``seq`` and ``payload`` (the producer's JSON format);
  undecodable bytes fail as ``invalid-json``, another shape as ``missing-field``, null as ``tombstone``;
* ``any``: everything passes.

Injected failures pick records by msg_id (``fail_ids``: a whole msg_id, or its tail at a ``/``:
``producer/incarnation/seq`` for any run, ``incarnation/seq``, a bare ``seq`` for any producer -- the
rule share members follow too) or by a seeded per-record draw (``fail_rate``: the same records fail in
every attempt and every incarnation, as a real poison record would); with neither, ``fail_transient``
picks every record. A picked record fails as ``injected`` every time, or -- with ``fail_transient`` k
-- as ``transient`` for its first k attempts in this process, then succeeds.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable

from tui.vocab import FailureKind, MemberValueFormat

DETAIL_MAX = 256
"""Characters of a failure's message kept in the log and in the dead-letter headers."""
JSON_FIELDS = ("msg_id", "seq", "payload")

Failure = tuple[str, str]
"""(:class:`tui.vocab.FailureKind` value, message)"""
RecordKey = tuple[str, int, int]


class Processing:
    def __init__(self, value_format: str = MemberValueFormat.KX, fail_ids: Iterable[str] = (),
                 fail_rate: float = 0.0, fail_seed: int = 0, fail_transient: int = 0) -> None:
        self.value_format = str(value_format)
        self._ids: frozenset[str] = frozenset(fail_ids)
        """Whole msg_ids and tails of them."""
        self.fail_rate = float(fail_rate)
        self.fail_seed = int(fail_seed)
        self.fail_transient = int(fail_transient)
        self._attempts: dict[RecordKey, int] = {}
        """Failed attempts so far of each transiently failing record (dropped once it succeeds)."""

    @property
    def injects(self) -> bool:
        return bool(self._ids or self.fail_rate or self.fail_transient)

    def batch_passes(self, values: list[bytes | None]) -> bool:
        """True when every record of a batch passes without a per-record look (the member's fast
        path): nothing injected, and values that the format accepts as they are."""
        if self.injects:
            return False
        if self.value_format == MemberValueFormat.ANY:
            return True
        return self.value_format == MemberValueFormat.KX and None not in values

    def check(self, value: bytes | None, msg_id: str | None, key: RecordKey) -> Failure | None:
        """The failure of this attempt at the record, or None when it is processed."""
        failure = self._validate(value)
        if failure is None and self.injects:
            failure = self._injected(msg_id, key)
        if failure is None:
            return None
        kind, text = failure
        return kind, text[:DETAIL_MAX]

    def _validate(self, value: bytes | None) -> Failure | None:
        fmt = self.value_format
        if fmt == MemberValueFormat.ANY:
            return None
        if value is None:
            return FailureKind.TOMBSTONE.value, "the record has no value (a tombstone)"
        if fmt != MemberValueFormat.JSON:
            return None
        try:
            obj = json.loads(value)
        except ValueError as exc:  # UnicodeDecodeError is one too
            return FailureKind.INVALID_JSON.value, f"{type(exc).__name__}: {exc}"
        if not isinstance(obj, dict):
            return FailureKind.MISSING_FIELD.value, f"expected a JSON object, got {type(obj).__name__}"
        missing = [name for name in JSON_FIELDS if name not in obj]
        if missing:
            return FailureKind.MISSING_FIELD.value, f"missing field(s): {', '.join(missing)}"
        return None

    def _picked(self, msg_id: str | None, key: RecordKey) -> str | None:
        """Why this record is one of the failing ones, or None."""
        if msg_id is not None and self._ids and _listed(msg_id, self._ids):
            return "its msg_id is in fail-ids"
        if self.fail_rate:
            identity = msg_id if msg_id is not None else f"{key[0]}/{key[1]}/{key[2]}"
            if random.Random(f"{self.fail_seed}:{identity}").random() < self.fail_rate:
                return f"fail-rate {self.fail_rate:g} picked it"
            return None
        if not self._ids and self.fail_transient:
            return "every record"
        return None

    def _injected(self, msg_id: str | None, key: RecordKey) -> Failure | None:
        why = self._picked(msg_id, key)
        if why is None:
            return None
        if not self.fail_transient:
            return FailureKind.INJECTED.value, f"injected failure ({why})"
        done = self._attempts.get(key, 0)
        if done >= self.fail_transient:
            self._attempts.pop(key, None)
            return None
        self._attempts[key] = done + 1
        return (FailureKind.TRANSIENT.value,
                f"transient failure {done + 1} of {self.fail_transient} ({why})")


def _listed(msg_id: str, ids: frozenset[str]) -> bool:
    """``msg_id`` itself, or one of its tails at a ``/``, is in ``ids``."""
    if msg_id in ids:
        return True
    at = msg_id.find("/")
    while at >= 0:
        if msg_id[at + 1:] in ids:
            return True
        at = msg_id.find("/", at + 1)
    return False
