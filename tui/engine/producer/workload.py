"""What a producer sends: topic, count, rate, keys, value size and content, poison records, headers.

Key modes (parsed from the strings users type):

* ``none``      no key (the partitioner spreads records);
* ``fixed:K``   every record has key K;
* ``cycle:N``   keys ``key-0`` .. ``key-<N-1>`` in turn (N distinct keys);
* ``random``    a fresh random 64-bit key (16 hex chars) per record;
* ``hot:P``     P% of records use the key ``hot``, the rest get random keys (skew).

A key is stored in the ledger as one integer ("key number") and turned back into bytes on demand,
so a million keys cost 8 MB, not a million bytes objects.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tui.vocab import PoisonKind, ValueContent, names

NO_KEY = -1
HOT_KEY = -2
MAX_VALUE_SIZE = 1_000_000
_MAX_HEADER_BYTES = 64 * 1024
VALUE_CONTENTS = names(ValueContent)
POISON_KINDS = names(PoisonKind)
DEFAULT_POISON_EVERY = 100
DEFAULT_MAX_MESSAGE_BYTES = 1_048_588
"""Kafka's default max.message.bytes (an oversized poison record is larger than the topic's)."""
_MAX_POISON_AT = 10_000


class WorkloadError(ValueError):
    """A workload that cannot work; the message is one sentence for the user."""


@dataclass(frozen=True)
class KeyMode:
    kind: str
    """none | fixed | cycle | random | hot"""
    fixed: bytes = b""
    count: int = 0
    """cycle: number of distinct keys."""
    hot_percent: float = 0.0

    def __str__(self) -> str:
        if self.kind == "fixed":
            return f"fixed:{self.fixed.decode(errors='replace')}"
        if self.kind == "cycle":
            return f"cycle:{self.count}"
        if self.kind == "hot":
            return f"hot:{self.hot_percent:g}"
        return self.kind

    def constant_key(self) -> int | None:
        """The key number every record gets (none, fixed), or None when keys vary."""
        if self.kind == "none":
            return NO_KEY
        if self.kind == "fixed":
            return 0
        return None

    def key_number(self, seq: int, rng: random.Random) -> int:
        """The key of record ``seq`` as a ledger integer (see :func:`KeyMode.key_bytes`)."""
        kind = self.kind
        if kind == "none":
            return NO_KEY
        if kind == "fixed":
            return 0
        if kind == "cycle":
            return seq % self.count
        if kind == "hot" and rng.random() * 100.0 < self.hot_percent:
            return HOT_KEY
        return rng.getrandbits(63)

    def key_bytes(self, number: int) -> bytes | None:
        """The key bytes a key number stands for."""
        if number == NO_KEY:
            return None
        if number == HOT_KEY:
            return b"hot"
        if self.kind == "fixed":
            return self.fixed
        if self.kind == "cycle":
            return b"key-%d" % number
        return b"%016x" % number

    def key_function(self, rng: random.Random) -> Callable[[int], tuple[int, bytes | None]]:
        """A fast ``seq -> (key number, key bytes)`` for the produce loop."""
        if self.kind == "none":
            return lambda seq: (NO_KEY, None)
        if self.kind == "fixed":
            fixed = self.fixed
            return lambda seq: (0, fixed)
        if self.kind == "cycle":
            keys = [b"key-%d" % i for i in range(min(self.count, 100_000))]
            count = self.count
            if count <= len(keys):
                return lambda seq: (seq % count, keys[seq % count])
        key_number, key_bytes = self.key_number, self.key_bytes

        def pick(seq: int) -> tuple[int, bytes | None]:
            number = key_number(seq, rng)
            return number, key_bytes(number)
        return pick


def parse_key_mode(text: str) -> KeyMode:
    """``none``, ``fixed:K``, ``cycle:N``, ``random`` or ``hot:P``; raises WorkloadError otherwise."""
    kind, sep, arg = text.strip().partition(":")
    kind = kind.lower()
    if kind in ("none", "random") and not sep:
        return KeyMode(kind)
    if kind == "fixed" and sep and arg:
        if len(arg.encode()) > 1024:
            raise WorkloadError("A fixed key may be at most 1024 bytes long.")
        return KeyMode("fixed", fixed=arg.encode())
    if kind == "cycle" and sep:
        try:
            count = int(arg)
        except ValueError:
            count = 0
        if count < 1:
            raise WorkloadError(f"cycle:N needs a whole number of keys >= 1, not {arg!r}.")
        return KeyMode("cycle", count=count)
    if kind == "hot" and sep:
        try:
            percent = float(arg)
        except ValueError:
            percent = -1.0
        if not 0.0 <= percent <= 100.0:
            raise WorkloadError(f"hot:P needs a percentage between 0 and 100, not {arg!r}.")
        return KeyMode("hot", hot_percent=percent)
    raise WorkloadError(f"Unknown key mode {text!r}; use none, fixed:K, cycle:N, random or hot:P.")


@dataclass(frozen=True)
class PoisonSpec:
    """Poison records to inject: of ``kind``, every ``every``-th record (seqs every-1, 2*every-1, ...)
    and/or at the sequence numbers in ``at``."""

    kind: str
    every: int | None = None
    at: tuple[int, ...] = ()
    oversize_bytes: int = DEFAULT_MAX_MESSAGE_BYTES + 1024
    """Value size of an ``oversized`` record: above the topic's max.message.bytes (the caller sets it
    from the topic's config when it knows it)."""

    def __str__(self) -> str:
        parts = [f"every={self.every}"] if self.every else []
        if self.at:
            parts.append("at=" + ",".join(str(s) for s in self.at))
        return f"{self.kind}:{'|'.join(parts)}" if parts else self.kind

    def first_from(self, seq: int) -> int:
        """The first poison seq >= ``seq`` (-1 when there is none)."""
        best = -1
        if self.every:
            best = seq + (-(seq + 1)) % self.every
        for s in self.at:  # at is sorted
            if s >= seq:
                best = s if best < 0 else min(best, s)
                break
        return best


def parse_poison(text: str) -> PoisonSpec:
    """``KIND``, ``KIND:every=N``, ``KIND:at=S,S,...`` or both joined by ``|`` (``KIND`` alone: every
    100th record); raises WorkloadError with one sentence otherwise."""
    kind, sep, rest = text.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in POISON_KINDS:
        raise WorkloadError(f"Unknown poison kind {kind!r}; use one of {', '.join(POISON_KINDS)}.")
    if not sep:
        return PoisonSpec(kind, every=DEFAULT_POISON_EVERY)
    every: int | None = None
    at: list[int] = []
    for part in rest.split("|"):
        name, eq, value = part.strip().partition("=")
        name = name.strip().lower()
        if not eq or name not in ("every", "at"):
            raise WorkloadError(f"A poison spec looks like {kind}:every=N or {kind}:at=S,S,..., not "
                                f"{text!r}.")
        try:
            numbers = [int(v) for v in value.split(",") if v.strip()]
        except ValueError:
            raise WorkloadError(f"{name}= needs whole numbers, not {value!r}.") from None
        if name == "every":
            if len(numbers) != 1 or numbers[0] < 1:
                raise WorkloadError(f"every=N needs one whole number >= 1, not {value!r}.")
            every = numbers[0]
        else:
            if not numbers or min(numbers) < 0:
                raise WorkloadError(f"at= needs sequence numbers >= 0, not {value!r}.")
            at.extend(numbers)
    if len(at) > _MAX_POISON_AT:
        raise WorkloadError(f"at= may list at most {_MAX_POISON_AT} sequence numbers.")
    return PoisonSpec(kind, every=every, at=tuple(sorted(set(at))))


@dataclass(frozen=True)
class Workload:
    """What to send. ``count=None`` sends until stopped; ``rate=None`` sends as fast as possible."""

    topic: str
    count: int | None = None
    rate: float | None = None
    """Records per second."""
    key_mode: KeyMode = field(default_factory=lambda: KeyMode("none"))
    value_size: int = 100
    """Bytes per value; values are never shorter than the msg_id prefix (about 30 bytes)."""
    headers: tuple[tuple[str, bytes], ...] = ()
    """Extra user headers, added after the kx-* identity headers."""
    partition: int | None = None
    """Send every record to this partition instead of letting the partitioner choose."""
    value_content: str = "kx"
    """A :class:`tui.vocab.ValueContent`: kx, random, text or json."""
    poison: PoisonSpec | None = None

    def validate(self) -> Workload:
        if not self.topic or len(self.topic) > 249:
            raise WorkloadError("A topic name must have 1 to 249 characters.")
        if self.count is not None and self.count < 0:
            raise WorkloadError(f"The record count must be 0 or more, not {self.count}.")
        if self.rate is not None and not self.rate > 0:
            raise WorkloadError(f"The rate must be above 0 records/s, not {self.rate}.")
        if not 0 <= self.value_size <= MAX_VALUE_SIZE:
            raise WorkloadError(f"The value size must be between 0 and {MAX_VALUE_SIZE} bytes, "
                                f"not {self.value_size}.")
        if self.partition is not None and self.partition < 0:
            raise WorkloadError(f"The partition must be 0 or more, not {self.partition}.")
        if sum(len(k) + len(v) for k, v in self.headers) > _MAX_HEADER_BYTES:
            raise WorkloadError("The extra headers may total at most 64 KiB.")
        if any(k.startswith("kx-") for k, _ in self.headers):
            raise WorkloadError("Header names starting with 'kx-' are reserved for record identity.")
        if self.value_content not in VALUE_CONTENTS:
            raise WorkloadError(f"Unknown value content {self.value_content!r}; use one of "
                                f"{', '.join(VALUE_CONTENTS)}.")
        if self.poison is not None and self.poison.kind not in POISON_KINDS:
            raise WorkloadError(f"Unknown poison kind {self.poison.kind!r}; use one of "
                                f"{', '.join(POISON_KINDS)}.")
        return self

    def describe(self) -> str:
        count = "until stopped" if self.count is None else f"{self.count} records"
        rate = "as fast as possible" if self.rate is None else f"{self.rate:g}/s"
        content = "" if self.value_content == "kx" else f" {self.value_content}"
        poison = "" if self.poison is None else f", poison {self.poison}"
        return (f"{count} to {self.topic}, {rate}, keys {self.key_mode}, {self.value_size} B{content} "
                f"values{poison}")


def parse_header(text: str) -> tuple[str, bytes]:
    """``name=value`` -> (name, value bytes)."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise WorkloadError(f"A header must look like name=value, not {text!r}.")
    return name, value.encode()
