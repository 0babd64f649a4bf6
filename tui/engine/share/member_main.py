"""One share member in a child process: ``python -m tui.engine.share.member_main``.

Why a process: a crash must be a crash. ``close()`` sends the pending acknowledgements and leaves the
share group; a child that dies by ``os._exit`` (crash after record k) or SIGKILL (crash now) does
neither, so the broker hands its acquired records out again -- at once when the connection drops and
another member reads the partition, else when the member's session or the records' locks expire.

Protocol (as :mod:`tui.engine.consumer.member_main`): one JSON init object on stdin (connection conf,
spec, member name, incarnation), then JSON control lines; EOF on stdin means "leave cleanly". Events
go to stdout as frames (:func:`tui.engine.consumer.wire.encode_event`). The ShareConsumer is created,
polled and closed by this process's main thread only (it is not thread-safe).

What it logs, per record: ``acquired`` (with the broker's delivery count), then ``processed`` or
``failed``, then ``ack`` (explicit mode: the member's ACCEPT / RELEASE / REJECT; implicit mode: accept
for the previous poll's records at the next poll or at close, which is when the client sends them);
``ack-commit`` is the broker's answer (the acknowledgement commit callback). Events are buffered and
written before every call that sends acknowledgements or waits, and before a crash, so the parent's
log is always a prefix of what the member did.
"""

from __future__ import annotations

import gc
import logging
import os
import queue
import sys
import threading
import time
from dataclasses import replace
from typing import Any, BinaryIO

from confluent_kafka import AcknowledgeType, KafkaError, KafkaException, Message

from tui.engine.consumer.wire import PREVIEW, encode_event
from tui.engine.member_process import child
from tui.engine.record_format import decode_msg_id, raw_msg_id_of
from tui.engine.share.commands import ShareMemberSpec
from tui.kafka import clients
from tui.vocab import AckMode, AckType, FailureKind

CRASH_EXIT = 137
_ACK = {AckType.ACCEPT: AcknowledgeType.ACCEPT, AckType.RELEASE: AcknowledgeType.RELEASE,
        AckType.REJECT: AcknowledgeType.REJECT}


class Channel:
    """Frames to stdout: ``add`` buffers, ``emit`` writes now (after the buffer), ``flush`` writes."""

    def __init__(self, out: BinaryIO | None = None) -> None:
        self._lock = threading.Lock()
        self._out = out if out is not None else sys.stdout.buffer
        self._frames: list[bytes] = []

    def add(self, kind: str, **fields: Any) -> None:
        fields["k"] = kind
        fields["ts"] = time.time()
        with self._lock:
            self._frames.append(encode_event(fields))

    def emit(self, kind: str, **fields: Any) -> None:
        self.add(kind, **fields)
        self.flush()

    def flush(self) -> None:
        with self._lock:
            if not self._frames:
                return
            data = b"".join(self._frames)
            self._frames.clear()
            child.write_frames(self._out, data)


def _cap(data: bytes | None) -> bytes | None:
    return None if data is None else bytes(data[:PREVIEW])


def _err_name(exc: BaseException) -> str:
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return f"{exc.args[0].name()}: {exc.args[0].str()}"
    return f"{type(exc).__name__}: {exc}"


class ShareLoop:
    """subscribe; poll; per record process, fail or crash, acknowledge; commit; log everything."""

    def __init__(self, init: dict[str, Any], channel: Channel) -> None:
        raw = dict(init["spec"])
        raw["topics"] = tuple(raw["topics"])
        raw["fail_ids"] = tuple(raw.get("fail_ids") or ())
        raw["extra"] = tuple((str(k), str(v)) for k, v in (raw.get("extra") or {}).items())
        self.spec = ShareMemberSpec(**raw)
        self.init = init
        self.member: str = init["member"]
        self.channel = channel
        self.controls: queue.Queue[dict[str, Any]] = queue.Queue()
        self.explicit = self.spec.ack_mode == AckMode.EXPLICIT
        self.crash_left: int | None = init.get("crash_after")
        self.leaving = False
        self.pending: list[tuple[str, int, int, str | None, int]] = []
        """Implicit mode: the last poll's records, accepted by the next poll (or close)."""
        self.log = logging.getLogger(f"kafka_explorer.share.{self.member}")
        self.log.propagate = False
        # librdkafka's lines (the "Preview" warning among them), buffered with the other events
        self.log.addHandler(child.ForwardLogs(channel.add))
        self._consumer: Any = None
        self.fatal: KafkaError | None = None

    # ---- callbacks (served inside poll / commit / close, on this thread) ------------------------

    def _on_ack_commit(self, offsets: dict[Any, set[int]], exc: KafkaException | None) -> None:
        rows = [[tp.topic, tp.partition, sorted(offs)] for tp, offs in offsets.items()]
        self.channel.add("ack-commit", rows=rows, ok=exc is None,
                         error=None if exc is None else _err_name(exc))

    def _on_error(self, err: KafkaError) -> None:
        fatal = err.fatal() or err.code() == KafkaError._FATAL
        if fatal:
            self.fatal = err
        self.channel.add("error", text=f"{err.name()}: {err.str()}", fatal=fatal)

    # ---- the loop ------------------------------------------------------------------------------

    def _conf(self) -> dict[str, Any]:
        conf: dict[str, Any] = dict(self.init["conf"])
        conf.update({"group.id": self.spec.group, "client.id": f"kx-{self.member}",
                     "share.acknowledgement.mode": self.spec.ack_mode})
        if self.spec.max_records is not None:
            conf["max.poll.records"] = self.spec.max_records
        conf.update(dict(self.spec.extra))
        return conf

    def _connect(self) -> bool:
        try:
            self._consumer = clients.share_consumer(self._conf(), error_cb=self._on_error, logger=self.log)
            self._consumer.set_acknowledgement_commit_callback(self._on_ack_commit)
            self._consumer.subscribe(list(self.spec.topics))
        except (KafkaException, ValueError, TypeError, RuntimeError) as exc:
            self.channel.emit("error", text=f"the share consumer could not be created: {_err_name(exc)}",
                              fatal=True)
            return False
        self.channel.emit("subscribed")
        return True

    def run(self) -> int:
        if not self._connect():
            return 3
        next_gc = time.monotonic() + 1.0
        first = True
        while True:
            self._apply_controls()
            if self.leaving:
                return self._leave()
            if self.fatal is not None:
                self.channel.emit("error", text=f"fatal: {self.fatal.str()}", fatal=True)
                return 3
            self._implicit_acks()
            self.channel.flush()  # never wait (or send acknowledgements) with evidence unsent
            try:
                msgs = self._consumer.poll(0.5)
            except KafkaException as exc:
                self.channel.emit("error", text=f"poll failed: {_err_name(exc)}")
                continue
            records = [m for m in msgs if m.error() is None]
            for m in msgs:
                err = m.error()
                if err is not None and err.code() != KafkaError._PARTITION_EOF:
                    self.channel.add("error", text=f"{err.name()}: {err.str()}")
            if first:
                self.channel.emit("state", state="running")
                first = False
            if records:
                self._batch(records)
            if time.monotonic() >= next_gc:
                gc.collect()  # automatic collection is off (see main)
                next_gc = time.monotonic() + 1.0

    def _implicit_acks(self) -> None:
        """Implicit mode: the next poll (or close) accepts every record of the last poll."""
        for topic, p, o, mid, count in self.pending:
            self.channel.add("ack", t=topic, p=p, o=o, id=mid, dc=count, action=AckType.ACCEPT.value,
                             mode=AckMode.IMPLICIT.value)
        self.pending = []

    def _batch(self, records: list[Message]) -> None:
        rows: list[list[Any]] = []
        for m in records:
            headers = m.headers()
            mid = decode_msg_id(raw_msg_id_of(m.value(), headers if isinstance(headers, list) else None))
            rows.append([m.topic(), m.partition(), m.offset(), mid, int(m.delivery_count() or 1),
                         _cap(m.key()), _cap(m.value())])
        self.channel.add("acquired", rows=rows)
        acked: list[tuple[Message, AckType]] = []
        for m, (topic, p, o, mid, count, _k, _v) in zip(records, rows, strict=True):
            self._apply_controls()
            if self.spec.processing_ms:
                self._process()
                if self.leaving:
                    break
            outcome = self.spec.failure(mid, count)
            if outcome is None:
                self.channel.add("processed", t=topic, p=p, o=o, id=mid)
                ack = AckType.ACCEPT
            else:
                transient = outcome is AckType.RELEASE
                self.channel.add("failed", t=topic, p=p, o=o, id=mid, dc=count,
                                 error=(FailureKind.TRANSIENT if transient else FailureKind.INJECTED).value,
                                 detail=(f"injected transient failure {count} of {self.spec.fail_transient}"
                                         if transient else "injected failure: a poison record"))
                ack = outcome
            if self.crash_left is not None:
                self.crash_left -= 1
                if self.crash_left <= 0:
                    self._crash(f"after processing {len(acked) + 1} of {len(records)} acquired records")
            if self.explicit:
                self._consumer.acknowledge(m, _ACK[ack])
                self.channel.add("ack", t=topic, p=p, o=o, id=mid, dc=count, action=ack.value,
                                 mode=AckMode.EXPLICIT.value)
            else:
                self.pending.append((topic, p, o, mid, count))
            acked.append((m, ack))
        if self.explicit and acked:
            self._commit()

    def _commit(self) -> None:
        self.channel.flush()  # the acknowledgements leave now
        try:
            if self.spec.commit == "async":
                self._consumer.commit_async()
            else:
                self._consumer.commit_sync(10.0)
        except KafkaException as exc:
            self.channel.add("error", text=f"acknowledgement commit failed: {_err_name(exc)}")

    def _process(self) -> None:
        """'Processing' is sleeping (the record stays acquired, its lock ticking)."""
        self.channel.flush()  # the parent sees each record as it is being processed
        deadline = time.monotonic() + self.spec.processing_ms / 1000.0
        while time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
            self._apply_controls()
            if self.leaving:
                return

    def _crash(self, detail: str) -> None:
        self.channel.add("crash", detail=detail)
        self.channel.flush()
        os._exit(CRASH_EXIT)  # no close(): no acknowledgement, no leave

    def _apply_controls(self) -> None:
        for ctl in child.pending_controls(self.controls):
            op = ctl.get("op")
            if op == "leave":
                self.leaving = True
            elif op == "crash_after":
                self.crash_left = max(1, int(ctl["n"]))
            elif op == "policy":
                self.spec = replace(self.spec, fail_ids=tuple(ctl.get("fail_ids") or ()),
                                    fail_transient=int(ctl.get("fail_transient") or 0))
                self.channel.add("policy", label=self.spec.policy_label)

    def _leave(self) -> int:
        self._implicit_acks()
        self.channel.flush()  # close() sends the pending acknowledgements
        try:
            self._consumer.close()
        except (KafkaException, RuntimeError) as exc:
            self.channel.add("error", text=f"close failed: {_err_name(exc)}")
        self.channel.emit("leave")
        return 0


def main() -> int:
    channel = Channel()
    init = child.read_init()
    if not init:
        return 2
    try:
        loop = ShareLoop(init, channel)
    except (KeyError, TypeError, ValueError) as exc:
        channel.emit("error", text=f"bad member settings: {exc}", fatal=True)
        return 2
    child.freeze_gc()
    child.start_controls(loop.controls, "share-controls")
    return child.run_reporting(loop.run, channel.emit, "share member")


if __name__ == "__main__":
    child.exit_with(main)
