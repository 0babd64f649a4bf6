"""The documented wire format of every record kafka-explorer produces.

A record's identity is its ``msg_id``: ``<run>/<producer>/<incarnation>/<seq>``

* ``run``: 8 lowercase base36 chars, new for every engine run (or fixed by a scenario);
* ``producer``: the producer profile name (``[A-Za-z0-9_.-]+``);
* ``incarnation``: 0 for a producer's first client instance, +1 for each new client (new PID);
* ``seq``: 0, 1, 2... in ``produce()`` call order within one incarnation.

It travels twice, so a record is matched whether the reader sees headers or only the value:

* header ``kx-id`` = the msg_id in UTF-8 (plus ``kx-run`` and ``kx-seq`` for other tools);
* the value starts with ``kx|<msg_id>|`` followed by filler up to the chosen value size.

A copy written by a group member's ``transactional`` strategy keeps the input's key, value and
headers (so its msg_id is the input's) and adds ``kx-src`` = ``<topic>/<partition>/<offset>`` of the
input and ``kx-txn`` = the transaction it was written in (``<transactional.id>/<incarnation>/<n>``).
"""

from __future__ import annotations

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
        if end > 0:
            return value[_PREFIX_LEN:end]
    if headers:
        for key, raw in headers:
            if key == HEADER_ID and raw and isinstance(raw, bytes):
                return raw
    return None


def decode_msg_id(raw: bytes | None) -> str | None:
    """A raw msg_id as text; None when there is none or it is not UTF-8."""
    if raw is None:
        return None
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None


_VALUE_ID = re.compile(re.escape(VALUE_PREFIX) + rb"([^|]+)\|")


def raw_msg_ids_of(values: Sequence[bytes | None],
                   headers_at: Callable[[int], object]) -> list[bytes | None]:
    """:func:`raw_msg_id_of` for a batch of records (a consumer's). ``values``: each record's value;
    ``headers_at(i)`` gives record i's headers as confluent-kafka returns them, asked for only when its
    value carries no id (building a record's header list is the costly part of reading it)."""
    try:  # the usual batch: every value a kx value, read in one pass
        quick = [m.group(1) if (m := _VALUE_ID.match(v)) else None for v in values]  # type: ignore[arg-type]
    except TypeError:  # a None value (tombstone): one at a time
        quick = [raw_msg_id_of(v) for v in values]
    if None not in quick:
        return quick
    out: list[bytes | None] = []
    for i, raw in enumerate(quick):
        if raw is None:
            found = headers_at(i)
            raw = raw_msg_id_of(None, found) if isinstance(found, list) else None  # type: ignore[arg-type]
        out.append(raw)
    return out