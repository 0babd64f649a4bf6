"""``kafka-explorer browse TOPIC``: read records, kcat-style. It never joins a group and never commits.

One line per record, tab-separated: partition, offset, ``<timestamp type>:<ms>``, key, headers
(``name=value,...``), value. Every byte is escaped (no terminal control sequence gets through) and
each key, value and header value is capped at 256 bytes with a ``… (+N bytes)`` marker. ``--json``
prints one object per record instead, bytes as UTF-8 text or ``{"base64": ...}``.

Without ``--follow`` it stops at the end offsets seen when it started; ``--count N`` stops after N
matching records. Filters (``--grep``, ``--key``, ``--header``) run in the engine. Exit 0 when the
read ended, 1 when the cluster refused (no such topic...), 2 for bad options.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tui.headless.output import emit_json, fail, say
from tui.safe_text import safe_json_value, safe_text

if TYPE_CHECKING:
    from tui.engine import BrowseHandle, BrowseOpen, BrowseRecordView, BrowseView

READY_TIMEOUT_S = 20.0
BAD_OPTIONS = 2
NULL = "(null)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topic", metavar="TOPIC")
    parser.add_argument("-p", "--partition", dest="partitions", type=int, action="append", default=[],
                        metavar="P", help="read only this partition (repeatable; default: all)")
    parser.add_argument("--from", dest="start", default="beginning", metavar="WHERE",
                        help="beginning, end, OFFSET, @TIMESTAMP (ms or ISO time, local unless it has "
                             "a zone) or -N (the last N records of each partition); default beginning")
    parser.add_argument("--count", "-c", type=int, metavar="N", help="stop after N matching records")
    parser.add_argument("--follow", "-f", action="store_true",
                        help="keep reading new records until Ctrl-C (a live tail)")
    parser.add_argument("--grep", metavar="REGEX", help="only records whose value or key matches")
    parser.add_argument("--key", metavar="K", help="only records with exactly this key")
    parser.add_argument("--header", dest="headers", action="append", default=[], metavar="K=V",
                        help="only records with this header and value (K alone: the header is there; "
                             "repeatable)")
    parser.add_argument("--json", action="store_true", help="one JSON object per record")


def bad_options(text: str) -> int:
    fail(text)
    return BAD_OPTIONS


def command(args: argparse.Namespace) -> BrowseOpen:
    """The engine command the options ask for; ValueError (one sentence) when they make no sense."""
    from tui.engine import BrowseOpen, RecordFilter, parse_header_filter

    filters = RecordFilter(grep=args.grep or None, key=args.key,
                           headers=tuple(parse_header_filter(h) for h in args.headers))
    return BrowseOpen(args.topic, tuple(args.partitions), args.start, filters, follow=args.follow,
                      limit=args.count, keep=1000, lossless=True).validate()


def run(args: argparse.Namespace) -> int:
    from tui.connect import resolve
    from tui.engine import Engine

    try:
        cmd = command(args)
    except ValueError as exc:
        return bad_options(str(exc))
    with Engine(resolve(args), watch=False) as engine:
        try:
            handle: BrowseHandle = engine.call(cmd, timeout=15.0)
            return _read(handle, cmd, args.json)
        except KeyboardInterrupt:
            return 0  # how a --follow ends


def _read(handle: BrowseHandle, cmd: BrowseOpen, as_json: bool) -> int:
    view = handle.wait_ready(READY_TIMEOUT_S)
    if view.state == "opening":
        return fail(f"The cluster did not say where the partitions of {cmd.topic!r} start within "
                    f"{READY_TIMEOUT_S:g} s.")
    if view.state == "failed":
        return fail(view.error or f"Cannot read {cmd.topic!r}.")
    parts = ",".join(map(str, view.partitions))
    sys.stderr.write(f"kafka-explorer: reading {cmd.topic} (partition {parts}) from {cmd.start}"
                     f"{'; following' if cmd.follow else ''}; this reader never joins a group and "
                     "never commits offsets\n")
    sys.stderr.flush()
    since = 0
    while True:
        records, since, _missed = handle.take(since, 500)
        for record in records:
            if as_json:
                emit_json(record_json(record))
            else:
                say(record_line(record))
        if records:
            continue
        view = handle.view()
        if view.final and since >= view.matched:
            break
        handle.wait_records(since, 0.5)
    return _finish(view)


def _finish(view: BrowseView) -> int:
    if view.state == "failed":
        return fail(view.error or "the read failed")
    sys.stderr.write(f"kafka-explorer: {view.matched:,} record(s) shown of {view.scanned:,} read\n")
    return 0


def _shown(data: bytes | None, more: int) -> str:
    if data is None:
        return NULL
    return safe_text(data) + (f"… (+{more} bytes)" if more > 0 else "")


def record_line(r: BrowseRecordView) -> str:
    """partition, offset, timestamp, key, headers, value -- tab-separated, every byte escaped."""
    stamp = f"{r.timestamp_type}:{r.timestamp_ms}" if r.timestamp_ms is not None else r.timestamp_type
    headers = ",".join(f"{safe_text(k)}={_shown(v, 0)}" for k, v in r.headers)
    if r.headers_more:
        headers += f",… (+{r.headers_more} headers)"
    return "\t".join((str(r.partition), str(r.offset), stamp, _shown(r.key, r.key_more), headers,
                      _shown(r.value, r.value_more)))


def _json_bytes(data: bytes | None, more: int) -> Any:
    value = safe_json_value(data)
    if more > 0 and isinstance(value, str):
        return f"{value}… (+{more} bytes)"
    if more > 0 and isinstance(value, dict):
        value.update({"bytes": len(data or b"") + more, "truncated": True})
    return value


def record_json(r: BrowseRecordView) -> dict[str, Any]:
    out: dict[str, Any] = {
        "topic": r.topic, "partition": r.partition, "offset": r.offset,
        "timestamp": {"type": r.timestamp_type, "ms": r.timestamp_ms},
        "key": _json_bytes(r.key, r.key_more), "key_bytes": r.key_size,
        "headers": [[safe_json_value(k), _json_bytes(v, 0)] for k, v in r.headers],
        "value": _json_bytes(r.value, r.value_more), "value_bytes": r.value_size,
        "format": r.value_format,
    }
    if r.msg_id is not None:
        out["kx"] = {"msg_id": r.msg_id, "run": r.run, "producer": r.producer,
                     "incarnation": r.incarnation, "seq": r.seq}
    return out
