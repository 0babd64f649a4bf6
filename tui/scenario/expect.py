"""Expectation comparisons (``">0"``, ``0``, ``"==7"``, ``"2..5"``) and what a scenario can expect.

Parsing is pure and total: any input gives a :class:`Comparison` or a ``ValueError`` whose message
is one sentence a workshop author can act on.
"""

from __future__ import annotations

import math
import re

from tui.scenario.model import Comparison
from tui.vocab import AnomalyKind, names

ANOMALY_KINDS: tuple[str, ...] = names(AnomalyKind)
"""The checker's anomaly kinds (the vocabulary's), each a subject an ``expect:`` can count."""
# numbers measured by the runner itself (producer ledgers, consumption log)
RUN_METRICS: dict[str, str] = {
    "violations": "records (units) the verdict judged violations, every kind together",
    "produced": "records handed to produce()",
    "acked": "records acknowledged by the cluster (acks=1/all; acks=0 records are sent-no-ack)",
    "sent-no-ack": "acks=0 records the client reported sent: no broker acknowledged them",
    "failed-definite": "records that definitely were not written",
    "failed-indefinite": "records whose fate the producer could not know",
    "revoked-partitions": "partitions taken away from members in rebalances, summed",
    "max-partition-share": "share (0..1) of all produced records that landed on the busiest partition",
    "share-members-acquiring": "share members that acquired at least one record",
    "max-delivery-count": "the highest delivery count a share member acquired a record with",
}
SUBJECTS: tuple[str, ...] = (*ANOMALY_KINDS, *RUN_METRICS)
"""Everything an ``expect:`` key may name, besides ``errors: {ERROR_NAME: ...}``."""
QUANTILES: tuple[str, ...] = ("p50", "p90", "p99", "p999", "max")
MEASURED: dict[str, tuple[str, str]] = {
    # family: (what it names: producer, group or topic; what it is)
    "latency": ("producer", "send -> acknowledged latency in ms: latency.p50.NAME (p50, p90, p99, p999, "
                            "max)"),
    "e2e": ("group", "produce -> first delivery to the group, in ms: e2e.p99.GROUP"),
    "throughput": ("producer", "records/s acknowledged (acks=0: reported sent), first send to last report"),
    "records-per-batch": ("producer", "records per produce batch (librdkafka statistics)"),
    "batch-fill": ("producer", "uncompressed bytes per batch / batch.size (0..1)"),
    "compression-ratio": ("producer", "record bytes / wire bytes of the batches sent"),
    "wire-bytes": ("producer", "bytes of every batch sent, after compression"),
    "record-bytes": ("producer", "key + value bytes sent, before compression"),
    "lag": ("group", "the group's total lag in records (as the watcher last read it)"),
    "disk-bytes": ("topic", "bytes of the topic's log segments on the lab's disk"),
}
"""Measured numbers that name a producer, group or topic (``FAMILY.NAME``, latencies
``FAMILY.QUANTILE.NAME``); ``@MARK`` reads them as a ``mark`` step took them. Meant for ``compare``:
timing claims compare two parts of one run, never absolute times."""
COMPARE_MODES = ("ratio", "difference")


def parse_measured(subject: str) -> tuple[str, str, str | None, str | None]:
    """``latency.p50.fast@before`` -> (family "latency", name "fast", quantile "p50", mark "before");
    raises ValueError with one sentence for an unknown family or quantile."""
    text, _, mark = subject.partition("@")
    family, _, rest = text.partition(".")
    if family not in MEASURED:
        raise ValueError(f"unknown measured number {subject!r}; use one of "
                         f"{', '.join(f'{f}.NAME' for f in MEASURED)} (latency and e2e as "
                         "latency.p50.NAME)")
    quantile: str | None = None
    if family in ("latency", "e2e"):
        quantile, _, rest = rest.partition(".")
        if quantile not in QUANTILES:
            raise ValueError(f"{subject!r} needs a quantile: {family}.QUANTILE.NAME with QUANTILE one "
                             f"of {', '.join(QUANTILES)}")
    if not rest:
        raise ValueError(f"{subject!r} names no {MEASURED[family][0]}: write {family}."
                         f"{'p50.' if quantile else ''}NAME")
    return family, rest, quantile, mark or None

_OPS = ("==", "!=", ">=", "<=", ">", "<", "=")
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*\.\.\s*({_NUMBER})\s*$")
_OP = re.compile(rf"^\s*(==|!=|>=|<=|>|<|=)?\s*({_NUMBER})\s*$")


def parse_comparison(raw: object) -> Comparison:
    """``0`` / ``"0"`` mean ``== 0``; ``">0"``, ``">= 3"``, ``"==7"``, ``"!=0"``, ``"2..5"``; ``"any"``."""
    if isinstance(raw, bool):
        raise ValueError("expected a number or a comparison like \">0\" or \"==7\", not true/false")
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
            raise ValueError("expected a finite number")
        return Comparison("==", float(raw))
    if not isinstance(raw, str):
        raise ValueError("expected a number or a comparison like \">0\", \"==7\" or \"2..5\"")
    text = raw.strip()
    if text.lower() == "any":
        return Comparison(">=", -math.inf)
    match = _RANGE.match(text)
    if match:
        low, high = float(match.group(1)), float(match.group(2))
        if low > high:
            raise ValueError(f"the range {text!r} is empty (low > high)")
        return Comparison("..", low, high)
    match = _OP.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a comparison; write e.g. \">0\", \"==7\", \"<=2\" or \"2..5\"")
    op = match.group(1) or "=="
    return Comparison("==" if op == "=" else op, float(match.group(2)))


def valid_error_name(name: object) -> bool:
    """librdkafka error names: NOT_ENOUGH_REPLICAS, _MSG_TIMED_OUT..."""
    return isinstance(name, str) and re.fullmatch(r"_?[A-Z][A-Z0-9_]*", name) is not None
