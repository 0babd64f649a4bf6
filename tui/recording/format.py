"""The recording file: gzip-compressed JSON lines, one object per line, each naming its ``t`` (type).

gzip because it is in the standard library (no new dependency for one more codec) and a file cut
short by a crash still reads up to its last flushed block. Lines, in the order written:

* ``header`` -- ``format`` (:data:`FORMAT`), ``version`` (:data:`VERSION`), ``app`` (the
  kafka-explorer version), ``created`` (ISO time), ``kind`` (``explorer`` or ``run``),
  ``connection`` (the connection's label, never its credentials), ``keyframe_every``,
  ``max_bytes``;
* ``snap`` -- a snapshot: ``i`` (0, 1, ...), ``ts``, ``seq``, and either ``key`` (the snapshot's whole
  ``to_json()`` without seq and ts: a keyframe, every :data:`KEYFRAME_EVERY` snapshots) or ``patch``
  (a :mod:`tui.recording.patch` delta against the previous snapshot). A snapshot whose content did not
  change is not written (deduplicated);
* ``event`` -- ``e``: an engine event's ``to_json()``;
* ``explain`` -- ``ts``, ``msg_id``, ``lines``: a record's recorded timeline (the verdict's findings,
  and any record the explorer asked about);
* ``scenario`` -- ``run`` (0, 1, ... within the file), ``ts``, ``slug``, ``title``, ``source``,
  ``yaml`` (the scenario file's text): a scenario run began;
* ``progress`` -- ``run``, ``ts``, ``kind``, ``step``, ``text``: what the run reported;
* ``outcome`` -- ``run``, ``ts``, ``report``: the run's JSON report (:func:`tui.scenario.report.to_json`);
* ``stopped`` -- ``ts``, ``reason``: the size cap was reached (see below);
* ``end`` -- ``ts`` and totals: the recorder closed the file normally.

Every string written passes :func:`tui.redact.redact_text` (the log's redaction: registered secrets
and ``password=...`` assignments), and connection addresses lose any ``user:password@`` part.

Bounded: the compressed file grows to at most about :data:`DEFAULT_MAX_BYTES`. At 90 % of the cap
the recording of snapshots and events *stops* (a ``stopped`` line says when and why, and the explorer
shows it once); the rest of the cap is kept for what ends a session: the last snapshot, the verdict's
explanations, a scenario's outcome. Stopping, rather than dropping the oldest keyframes, keeps the
file a plain append-only stream that a crash cannot corrupt, and the start of a session -- what a
workshop replays -- is never lost.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import time
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from tui.errors import UserError
from tui.redact import redact_text

FORMAT = "kafka-explorer-recording"
VERSION = 1
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
KEYFRAME_EVERY = 120
"""Snapshots between two keyframes (30 s at the recorder's 4 Hz)."""
STREAM_SHARE = 0.9
"""Share of the cap snapshots and events may use; the rest is kept for how the session ended."""

_USERINFO = re.compile(r"[^,\s/@]+@")


class RecordingError(UserError):
    """A recording cannot be written or read; the message is one sentence."""


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kafka-explorer")
    except PackageNotFoundError:
        return "unknown"


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def safe_address(text: str) -> str:
    """A connection label or bootstrap list without any ``user:password@`` part, redacted."""
    return redact_text(_USERINFO.sub("", text))


def redact_json(value: Any) -> Any:
    """``value`` as plain JSON data with every string (keys included) passed through the log's
    redaction; tuples become lists, non-finite floats null, anything else its ``str()``."""
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    if isinstance(value, Mapping):
        return {redact_text(str(k)): redact_json(v) for k, v in value.items()}
    return redact_text(str(value))


def dumps(obj: Any) -> str:
    """One line: compact, ASCII only (a file piped to a terminal cannot drive it)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=str)


class LineWriter:
    """Appends lines to a new gzip file (mode 0600: it holds record keys and values) under a cap."""

    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.lines = 0
        self._unflushed = 0
        self.full = False
        """The cap was reached: nothing more is written."""
        try:
            if path.parent != Path():
                path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise RecordingError(f"Cannot write the recording {path}: {exc.strerror or exc}.") from exc
        self._raw: IO[bytes] = os.fdopen(fd, "wb")
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, compresslevel=6)

    @property
    def size(self) -> int:
        """Compressed bytes in the file so far (zlib may still hold some: see :meth:`_over`)."""
        return self._raw.tell()

    def _over(self, cap: int) -> bool:
        # the compressor keeps output back; bytes written since the last flush bound it from above,
        # and when that bound says "over", a flush gives the exact size
        if self._raw.tell() + self._unflushed < cap:
            return False
        self.flush()
        return self._raw.tell() >= cap

    def write(self, obj: dict[str, Any], limit: int | None = None, force: bool = False) -> bool:
        """Write one line unless the file reached ``limit`` (default: the cap); False when not.
        ``force`` writes anyway (the one short line that closes the file)."""
        cap = self.max_bytes if limit is None else min(limit, self.max_bytes)
        if not force and (self.full or self._over(cap)):
            self.full = self.full or self._raw.tell() >= self.max_bytes
            return False
        data = dumps(obj).encode("ascii") + b"\n"
        self._gz.write(data)
        self._unflushed += len(data)
        self.lines += 1
        return True

    def flush(self) -> None:
        """Make what was written readable now (a sync flush; costs a little compression)."""
        self._gz.flush(zlib.Z_SYNC_FLUSH)
        self._raw.flush()
        self._unflushed = 0

    def close(self) -> int:
        """Finish the file; returns its size in bytes."""
        self._gz.close()
        size = self._raw.tell()
        self._raw.close()
        return size


def read_lines(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """Every line of a recording, and whether the file was cut short (a crash, a full disk): the
    lines before the cut are kept. Raises :class:`RecordingError` (one sentence) when it is no
    recording at all."""
    lines: list[dict[str, Any]] = []
    truncated = False
    inflate = zlib.decompressobj(wbits=31)  # gzip framing
    pending = b""
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 16):
                try:
                    pending += inflate.decompress(chunk)
                except zlib.error:
                    truncated = True
                    break
                *complete, pending = pending.split(b"\n")
                if not _parse(complete, lines):
                    truncated = True
                    break
                if inflate.eof:
                    break
    except OSError as exc:
        raise RecordingError(f"Cannot read the recording {path}: {exc.strerror or exc}.") from exc
    if not inflate.eof or pending:
        truncated = True  # the end of the stream is missing; a half line at the cut is dropped
    if not lines or lines[0].get("t") != "header" or lines[0].get("format") != FORMAT:
        raise RecordingError(f"{path} is not a kafka-explorer recording.")
    version = lines[0].get("version")
    if not isinstance(version, int) or version > VERSION:
        raise RecordingError(f"{path} was written by a newer kafka-explorer (recording format "
                             f"{version}); this one reads format {VERSION}.")
    return lines, truncated


def _parse(raw_lines: list[bytes], into: list[dict[str, Any]]) -> bool:
    """Append each line's object; False at the first line that is no JSON object."""
    for raw in raw_lines:
        try:
            item = json.loads(raw)
        except ValueError:
            return False
        if not isinstance(item, dict):
            return False
        into.append(item)
    return True
