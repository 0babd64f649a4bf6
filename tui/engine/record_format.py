"""The documented wire format of every record kafka-explorer produces.

A record's identity is its ``msg_id``: ``<run>/<producer>/<incarnation>/<seq>``

* ``run``: 8 lowercase base36 chars, new for every engine run (or fixed by a scenario);
* ``producer``: the producer profile name (``[A-Za-z0-9_.-]+``);
* ``incarnation``: 0 for a producer's first client instance, +1 for each new client (new PID);
* ``seq``: 0, 1, 2... in ``produce()`` call order within one incarnation.

It travels twice, so a record is matched whether the reader sees headers or only the value:

* header ``kx-id`` = the msg_id in UTF-8 (plus ``kx-run`` and ``kx-seq`` for other tools);
* the value starts with ``kx|<msg_id>|`` followed by filler up to the chosen value size.

The filler is the value *content* (:class:`tui.vocab.ValueContent`), which decides what compression can
do: ``kx`` dots (compress absurdly well), ``random`` bytes (incompressible), ``text`` (English-like words,
compress like prose). ``json`` values are an object ``{"msg_id": "<msg_id>", "seq": <seq>, "payload":
"<words>"}`` instead (no prefix: readers take the id from the ``kx-id`` header). Values keep the chosen
size (never shorter than their identity).

A *poison* record (``produce --poison``, :class:`tui.vocab.PoisonKind`) carries the usual headers plus
``kx-poison`` = its kind, and a value that breaks a consumer: ``invalid-json`` (a cut-off object),
``missing-field`` (``{"seq": <seq>}``: valid JSON without msg_id or payload), ``tombstone`` (no value),
``oversized`` (a kx value larger than the topic's max.message.bytes: the producer itself refuses it).
An application-level resend carries ``kx-resend-of`` = the msg_id it re-sends.

A copy written by a group member's ``transactional`` strategy keeps the input's key, value and
headers (so its msg_id is the input's) and adds ``kx-src`` = ``<topic>/<partition>/<offset>`` of the
input and ``kx-txn`` = the transaction it was written in (``<transactional.id>/<incarnation>/<n>``).
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

HEADER_ID = "kx-id"
HEADER_RUN = "kx-run"
HEADER_SEQ = "kx-seq"
HEADER_SRC = "kx-src"
"""On a transactional copy: where its input record was (``<topic>/<partition>/<offset>``)."""
HEADER_TXN = "kx-txn"
"""On a transactional copy: the transaction that wrote it."""
HEADER_POISON = "kx-poison"
"""On a poison record: its :class:`tui.vocab.PoisonKind` value."""
HEADER_RESEND_OF = "kx-resend-of"
"""On an application-level resend (a new produce() with its own msg_id): the msg_id it re-sends."""
# A dead-letter record keeps the source's key, value and headers (kx-id included, so its msg_id is the
# source's) and adds these, all UTF-8 text (Spring's DeadLetterPublishingRecoverer writes binary ints
# under kafka_dlt-original-*, so its names are not reused for text values).
HEADER_DLT_TOPIC = "kx-dlt-topic"
"""Source topic (Spring: kafka_dlt-original-topic)."""
HEADER_DLT_PARTITION = "kx-dlt-partition"
"""Source partition, decimal (Spring: kafka_dlt-original-partition)."""
HEADER_DLT_OFFSET = "kx-dlt-offset"
"""Source offset, decimal (Spring: kafka_dlt-original-offset)."""
HEADER_DLT_GROUP = "kx-dlt-group"
"""Consumer group that dead-lettered it (Spring: kafka_dlt-original-consumer-group)."""
HEADER_DLT_MEMBER = "kx-dlt-member"
"""``<member>/<incarnation>`` that sent it (tells the two copies of a crash-between-send-and-commit apart)."""
HEADER_DLT_ERROR = "kx-dlt-error"
"""The failure kind, a :class:`tui.vocab.FailureKind` value (Spring: kafka_dlt-exception-fqcn)."""
HEADER_DLT_MESSAGE = "kx-dlt-message"
"""The error message, at most 256 bytes (Spring: kafka_dlt-exception-message)."""
VALUE_PREFIX = b"kx|"
_PREFIX_LEN = len(VALUE_PREFIX)
_ALPHABET = string.digits + string.ascii_lowercase
NAME_CHARS = set(string.ascii_letters + string.digits + "_.-")


def new_run_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


def valid_name(name: str) -> bool:
    return bool(name) and set(name) <= NAME_CHARS


@dataclass(frozen=True, slots=True)
class MsgId:
    run: str
    producer: str
    incarnation: int
    seq: int

    def __str__(self) -> str:
        return f"{self.run}/{self.producer}/{self.incarnation}/{self.seq}"


def make_msg_id(run: str, producer: str, incarnation: int, seq: int) -> str:
    return f"{run}/{producer}/{incarnation}/{seq}"


def parse_msg_id(text: str) -> MsgId | None:
    parts = text.split("/")
    if len(parts) != 4 or not parts[2].isdigit() or not parts[3].isdigit():
        return None
    return MsgId(parts[0], parts[1], int(parts[2]), int(parts[3]))


def encode_value(msg_id: str, size: int) -> bytes:
    """The record value: prefix + msg_id + '|' padded with '.' to ``size`` bytes (never truncated)."""
    head = VALUE_PREFIX + msg_id.encode() + b"|"
    return head + b"." * max(0, size - len(head))


_POOL_BYTES = 4 << 20
"""Filler pool of the random and text contents: larger than any batch (batch.size is at most 1 MB by
default), so no batch holds the same filler twice and compression finds only what the content offers."""
_WORDS_TEXT = (
    "the of and to in is that it was for on are as with his they at be this from have or by one had not "
    "but what all were when we there can an your which their said if do will each about how up out them "
    "then she many some so these would other into has more her two like him see time could no make than "
    "first been its who now people my made over did down only way find use may water long little very "
    "after words called just where most know get through back much before go good new write our used me "
    "man too any day same right look think also around another came come work three word must because "
    "does part even place well such here take why things help put years different away again off went "
    "old number great tell men say small every found still between name should home big give air line "
    "set own under read last never us left end along while might next sound below saw something thought "
    "both few those always looked show large often together asked house world going want school important "
    "until form food keep children feet land side without boy once animals life enough took sometimes "
    "four head above kind began almost live page got earth need far hand high year mother light parts "
    "country father let night following picture being study second eyes soon times story boys since "
    "white days ever paper hard near sentence better best across during today others however sure means "
    "knew try told young miles sun ways thing whole hear example heard several change answer room sea "
    "against top turned learn point city play toward five using himself usually money seen car morning "
    "broker partition offset replica leader record batch topic consumer producer commit latency")


@functools.lru_cache(maxsize=4)
def _pool(content: str, seed: int) -> bytes:
    import random

    rng = random.Random(seed)
    if content == "random":
        return rng.randbytes(_POOL_BYTES)
    words = _WORDS_TEXT.encode().split()
    # about 5.5 bytes per word and its space
    text = b" ".join(rng.choices(words, k=_POOL_BYTES // 5 + 1))
    return text[:_POOL_BYTES]


class ValueMaker:
    """Builds record values of one content mode (:class:`tui.vocab.ValueContent`) and size.

    ``value(msg_id, seq, slot)`` is called once per record: it slices a prebuilt pool at a place
    chosen by ``slot`` (default: ``seq``), so consecutive records carry different filler and a resend
    (the same slot as the record it re-sends) carries the same payload. No per-record random numbers.
    """

    __slots__ = ("content", "size", "_pool", "_limit", "_dots")

    def __init__(self, content: str, size: int, seed: int = 0) -> None:
        if content not in ("kx", "random", "text", "json"):
            raise ValueError(f"Unknown value content {content!r}; use kx, random, text or json.")
        self.content = content
        self.size = size
        self._pool = _pool(content, seed) if content in ("random", "text", "json") else b""
        self._limit = max(1, len(self._pool) - max(size, 1))
        self._dots = b"." * size

    def _filler(self, n: int, slot: int) -> bytes:
        if n <= 0:
            return b""
        if not self._pool:
            return self._dots[:n] if n <= len(self._dots) else b"." * n
        pos = (slot * self.size) % self._limit
        chunk = self._pool[pos:pos + n]
        return chunk if len(chunk) == n else chunk + b"." * (n - len(chunk))

    def value(self, msg_id: bytes, seq: int, slot: int | None = None) -> bytes:
        where = seq if slot is None else slot
        if self.content == "json":
            head = b'{"msg_id":"' + msg_id + b'","seq":%d,"payload":"' % seq
            return head + self._filler(self.size - len(head) - 2, where) + b'"}'
        head = VALUE_PREFIX + msg_id + b"|"
        return head + self._filler(self.size - len(head), where)


def poison_value(kind: str, msg_id: bytes, seq: int, oversize: int) -> bytes | None:
    """The value of a poison record of ``kind`` (:class:`tui.vocab.PoisonKind`); ``oversize``: the size
    of an ``oversized`` one (above the topic's max.message.bytes)."""
    if kind == "invalid-json":
        return b'{"msg_id":"' + msg_id + b'","seq":%d,"payload":' % seq
    if kind == "missing-field":
        return b'{"seq":%d}' % seq
    if kind == "tombstone":
        return None
    if kind == "oversized":
        head = VALUE_PREFIX + msg_id + b"|"
        return head + b"." * max(0, oversize - len(head))
    raise ValueError(f"Unknown poison kind {kind!r}.")


def headers_for(msg_id: str, run: str, seq: int) -> list[tuple[str, bytes]]:
    return [(HEADER_ID, msg_id.encode()), (HEADER_RUN, run.encode()), (HEADER_SEQ, str(seq).encode())]


def msg_id_of(value: bytes | None,
              headers: Iterable[tuple[str, str | bytes | None]] | None = None) -> str | None:
    """Recover the msg_id from the value prefix, else from the ``kx-id`` header (records whose value
    carries no prefix: poison records, JSON values); None for foreign records.

    ``headers`` as confluent-kafka returns them (values that are not bytes are ignored)."""
    return decode_msg_id(raw_msg_id_of(value, headers))


def raw_msg_id_of(value: bytes | None,
                  headers: Iterable[tuple[str, str | bytes | None]] | None = None) -> bytes | None:
    """The rules of :func:`msg_id_of`, stopping short of decoding: the id in the value prefix, else
    the first non-empty ``kx-id`` header's bytes; :func:`decode_msg_id` finishes the job. (Every record
    kafka-explorer writes with both carries the same id in both; the value comes first because reading
    it costs nothing, while a consumer builds a list for a record's headers.)"""
    if value and value.startswith(VALUE_PREFIX):
        end = value.find(b"|", _PREFIX_LEN)
        if end > _PREFIX_LEN:  # an empty id is none: the header may still carry one
            return value[_PREFIX_LEN:end]
    if headers:
        for key, raw in headers:
            if key == HEADER_ID and raw and isinstance(raw, bytes):
                return raw
    return None


_SEPARATOR = b"\x00" + bytes(b % 254 + 1 for b in os.urandom(15)).replace(b"|", b"#")
"""Joins a batch's values for :func:`_ids_in_one_pass`: random per process, so no payload can be
written to contain it, and its only NUL is its first byte, so two occurrences never overlap."""
_ID_AFTER_SEPARATOR = re.compile(re.escape(_SEPARATOR + VALUE_PREFIX) + rb"([^|]+)\|")


def _ids_in_one_pass(values: Sequence[bytes | None]) -> list[bytes | None] | None:
    """Every value's id when every value is a kx value, found by one regex scan over the values
    joined (C all the way: a third less time per record than cutting each value in Python, on a
    path that runs for every delivery); None when any value is not (the caller goes one by one).

    Exact, not a guess: the join holds one separator per value when no value contains it (counted),
    each match starts at a separator, and one that ran on into the next value would swallow that
    value's separator, so ``len(values)`` matches are exactly one per value, in order."""
    try:
        joined = _SEPARATOR + _SEPARATOR.join(values)  # type: ignore[arg-type]
    except TypeError:  # a None value (tombstone)
        return None
    if joined.count(_SEPARATOR) != len(values):
        return None
    found: list[bytes | None] = _ID_AFTER_SEPARATOR.findall(joined)
    return found if len(found) == len(values) else None


def decode_msg_id(raw: bytes | None) -> str | None:
    """A raw msg_id as text; None when there is none or it is not UTF-8."""
    if raw is None:
        return None
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None


def raw_msg_ids_of(values: Sequence[bytes | None],
                   headers_at: Callable[[int], object]) -> list[bytes | None]:
    """:func:`raw_msg_id_of` for a batch of records (a consumer's). ``values``: each record's value;
    ``headers_at(i)`` gives record i's headers as confluent-kafka returns them, asked for only when its
    value carries no id (building a record's header list is the costly part of reading it)."""
    quick: list[bytes | None] | None = _ids_in_one_pass(values)
    if quick is not None:
        return quick
    try:  # find + startswith: about 0.15 µs a record less than a regex match per value
        quick = [v[_PREFIX_LEN:end] if (end := v.find(b"|", _PREFIX_LEN)) > _PREFIX_LEN  # type: ignore[union-attr,index]
                 and v.startswith(VALUE_PREFIX) else None for v in values]  # type: ignore[union-attr]
    except (AttributeError, TypeError):  # a None value (tombstone): one at a time
        quick = [raw_msg_id_of(v) for v in values]
    return ids_from_headers(quick, headers_at)


def ids_from_headers(ids: list[bytes | None],
                     headers_at: Callable[[int], object]) -> list[bytes | None]:
    """``ids`` (raw, from the values) with each missing one taken from record i's ``kx-id`` header
    (``headers_at(i)``, asked for only then); in place."""
    if None not in ids:
        return ids
    for i, raw in enumerate(ids):
        if raw is None:
            found = headers_at(i)
            ids[i] = raw_msg_id_of(None, found) if isinstance(found, list) else None  # type: ignore[arg-type]
    return ids