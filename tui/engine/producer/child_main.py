"""The producer process: one :class:`ProducerRunner` in a process of its own.

Why a process: a producer at full speed is a Python loop that holds the GIL most of the time, and in
the app's process it took the GIL from the screen (key presses waited for it) and the screen took it
from the producer (its rate fell while the user typed). Here it has an interpreter to itself, as the
group members have.

The parent (:mod:`tui.engine.producer.process`) writes one length-prefixed pickle (connection
properties, profile, workload, run id, incarnation) on stdin, then JSON control lines (``stop`` with
its flush timeout); EOF on stdin means "stop" (it also covers a dead parent). This process writes
``marshal`` frames on stdout (:func:`tui.engine.consumer.wire.encode_event`): ``built``, ``bus``
(an event to publish), ``ledger`` (what the ledger gained since the last frame, with the runner's
state) and, last, ``end``. Ledger frames are written on the runner thread, at its own bumps (about
ten a second while records flow, and at every state change), so the runner is the only thread that
reads its ledger.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import pickle
import struct
import sys
import threading
from typing import Any

from tui.engine.consumer.wire import encode_event
from tui.engine.context import EngineContext
from tui.engine.events import Event, EventBus
from tui.engine.member_process.child import ForwardLogs, write_frames
from tui.engine.producer.runner import ProducerRunner
from tui.kafka.connection import Connection

INIT_HEADER = struct.Struct("<I")
"""The init pickle's length prefix."""
EOF_FLUSH_TIMEOUT = 1.0
"""Seconds to flush for when stdin closed without a stop (the parent is gone or leaving)."""


class Channel:
    """Frames to the parent, from any thread (one write at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._out = sys.stdout.buffer

    def send(self, frame: str, /, **fields: Any) -> None:
        data = encode_event({"k": frame, **fields})
        with self._lock:
            write_frames(self._out, data)


class ForwardingBus(EventBus):
    """Events go to the parent's bus; none are kept here."""

    def __init__(self, channel: Channel) -> None:
        super().__init__(history=1)
        self._channel = channel

    def publish(self, kind: str, source: str, text: str, severity: str = "info",
                **data: Any) -> Event:
        self._channel.send("bus", kind=kind, source=source, text=text, severity=severity, data=data)
        return Event(0, 0.0, kind, source, text, severity, data)


class ChildContext(EngineContext):
    """A bump ships the ledger (the runner bumps on its own thread, throttled, and on each state
    change)."""

    def __init__(self, connection: Connection, run_id: str, channel: Channel) -> None:
        super().__init__(connection, ForwardingBus(channel), run_id)
        self.shipper: LedgerShipper | None = None

    def bump(self) -> int:
        if self.shipper is not None:
            self.shipper.ship()
        return 0


class LedgerShipper:
    """Sends what the runner's ledger gained since the last call, with the runner's state."""

    def __init__(self, runner: ProducerRunner, channel: Channel) -> None:
        self.runner = runner
        self.channel = channel
        self._sent = 0
        self._rows = 0
        self._resent = 0
        self._emissions = -1

    def ship(self) -> None:
        r, led = self.runner, self.runner.ledger
        sent, rows = len(led.t_send), len(led.done)
        base = min(self._sent, sent)  # below what was shipped: produce() took sends back
        keys = led.key[base:sent].tobytes() if led.constant_key is None else b""
        start = self._rows
        latencies = led.rep_latency[start:rows]
        failures = []
        if len(latencies) and min(latencies) < 0.0:  # failed rows carry -1 (rare: a loop only then)
            for row in range(start, rows):
                if led.rep_latency[row] < 0.0:
                    seq = led.done[row]
                    failures.append((seq, led.error[seq], led.rep_partition[row]))
        resent = list(led.resend_of.items())[self._resent:] if len(led.resend_of) > self._resent \
            else []
        stats = None
        if r.stats.emissions != self._emissions:
            self._emissions = r.stats.emissions
            view = r.stats.view()
            stats = (dataclasses.asdict(view) if view is not None else None, r.stats.emissions)
        self.channel.send(
            "ledger", sent=base, t=led.t_send[base:sent].tobytes(), key=keys,
            done=led.done[start:rows].tobytes(), part=led.rep_partition[start:rows].tobytes(),
            off=led.rep_offset[start:rows].tobytes(), lat=latencies.tobytes(), failures=failures,
            resent=resent, state=r.state, message=r.message, ended_at=r.ended_at,
            started_at=r.started_at, drained_at=r.drained_at, poisoned=r.poisoned, cpu=r.cpu_seconds,
            explained=dict(r.explained), stats=stats)
        self._sent, self._rows, self._resent = sent, rows, len(led.resend_of)


def read_init() -> dict[str, Any]:
    raw = sys.stdin.buffer.read(INIT_HEADER.size)
    if len(raw) < INIT_HEADER.size:
        return {}
    (size,) = INIT_HEADER.unpack(raw)
    init: dict[str, Any] = pickle.loads(sys.stdin.buffer.read(size))
    return init


def _controls(runner: ProducerRunner) -> None:
    for raw in sys.stdin.buffer:
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if line.get("op") == "stop":
            runner.request_stop(float(line.get("flush", 0.0)))
    runner.request_stop(EOF_FLUSH_TIMEOUT)  # stdin closed: the parent wants us gone (or died)


def main() -> int:
    init = read_init()
    if not init:
        return 2
    channel = Channel()
    ctx = ChildContext(Connection(init["bootstrap"], init["properties"]), init["run_id"], channel)
    forward = ForwardLogs(lambda kind, **fields: channel.send(kind, **fields))
    logging.getLogger("kafka_explorer").addHandler(forward)
    logging.getLogger("kafka_explorer").propagate = False  # nothing on this process's stderr
    runner = ProducerRunner(ctx, init["profile"], init["workload"], init["incarnation"])
    shipper = LedgerShipper(runner, channel)
    ctx.shipper = shipper
    runner.start()
    runner.built.wait()
    channel.send("built", error=runner.build_error)
    threading.Thread(target=_controls, args=(runner,), name="producer-controls", daemon=True).start()
    runner.thread.join()
    if not runner.finished.is_set():  # the thread died outside the runner's own guard
        runner._end("failed", f"{runner.name} failed: its runner thread ended unexpectedly.")
    shipper.ship()
    channel.send("end", state=runner.state, message=runner.message,
                 drained=runner.drained.is_set())
    return 0


def _entry() -> None:
    try:
        code = main()
    except Exception as exc:  # one sentence for the parent, never a traceback on its terminal
        sys.stderr.write(f"the producer process failed: {type(exc).__name__}: {exc}\n")
        code = 3
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the client is closed (or was never built): skip interpreter teardown


if __name__ == "__main__":
    _entry()


__all__ = ["INIT_HEADER", "main"]
