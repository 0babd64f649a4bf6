"""Producers: owns producer runners (one process + one Producer each) and their ledgers.

Commands (target "producers"): :class:`StartProducer`, :class:`StopProducer`.
Several runners may run side by side, into one topic or several; a name can be run again once its
previous runner ended (the new run is the next *incarnation*, a new client and a new producer id).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection
from typing import Any

from tui.engine.commands import Command
from tui.engine.context import EngineContext
from tui.engine.history import ProducedRecord, ProducerSettings
from tui.engine.producer.commands import StartProducer, StopProducer
from tui.engine.producer.process import ProducerProcess
from tui.engine.producer.views import DeliveryReportView, ProducersView

_BUILD_TIMEOUT = 10.0


class Producers:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._runners: list[ProducerProcess] = []
        self._lock = threading.Lock()
        self._closed = False

    # ---- commands (engine command thread) ---------------------------------------------------

    def handle(self, cmd: Command) -> Any:
        if isinstance(cmd, StartProducer):
            return self._start(cmd)
        if isinstance(cmd, StopProducer):
            return self._stop(cmd)
        raise ValueError(f"The producers does not handle {type(cmd).__name__}.")

    def _start(self, cmd: StartProducer) -> str:
        if self._closed:
            raise ValueError("The engine is shutting down; no new producer can start.")
        profile = cmd.profile.validate()
        workload = cmd.workload.validate()
        if profile.effective_transactional_id is not None:
            # a transactional producer needs init/begin/commit around its sends; the producers
            # sends plain records (the group members' copier is the transactional producer)
            raise ValueError("The producers sends plain records; transactional.id is only used by "
                             "the group members' transactional strategy.")
        with self._lock:
            same = [r for r in self._runners if r.name == profile.name]
            if any(r.active for r in same):
                raise ValueError(f"A producer named {profile.name!r} is already running; stop it or "
                                 "pick another name.")
            runner = ProducerProcess(self.ctx, profile, workload, incarnation=len(same))
            self._runners.append(runner)
        runner.start()
        # the client is built in the runner's process; wait briefly so a rejected property is
        # reported to the caller as a sentence instead of only as an event
        if not runner.built.wait(_BUILD_TIMEOUT):
            return runner.name
        if runner.build_error is not None:
            runner.finished.wait(1.0)
            with self._lock:
                self._runners.remove(runner)
            self.ctx.bump()
            raise ValueError(runner.build_error)
        self.ctx.bump()
        return runner.name

    def _stop(self, cmd: StopProducer) -> None:
        runner = self._latest(cmd.name)
        if runner is None or not runner.active:
            raise ValueError(f"No producer named {cmd.name!r} is running.")
        runner.request_stop(cmd.flush_timeout)

    # ---- queries (any thread) ---------------------------------------------------------------

    def _latest(self, name: str) -> ProducerProcess | None:
        with self._lock:
            for runner in reversed(self._runners):
                if runner.name == name:
                    return runner
        return None

    def runners(self) -> tuple[ProducerProcess, ...]:
        with self._lock:
            return tuple(self._runners)

    def wait_done(self, name: str, timeout: float) -> bool:
        """Wait until the latest runner ``name`` ended; True when every record it sent got a
        delivery report (False on timeout, or when it ended with records unreported)."""
        runner = self._latest(name)
        if runner is None:
            raise ValueError(f"No producer named {name!r} was started.")
        if not runner.finished.wait(timeout):
            return False
        return runner.drained.is_set()

    def history(self, only: Collection[str] | None = None
                ) -> tuple[tuple[ProducedRecord, ...], tuple[ProducerSettings, ...]]:
        """Every record of every runner (or of the runners named in ``only``), for the checker, and
        each profile's settings."""
        records: list[ProducedRecord] = []
        settings: dict[str, ProducerSettings] = {}
        for runner in self.runners():
            if only is not None and runner.name not in only:
                continue
            records.extend(runner.ledger.records())
            settings[runner.name] = runner.profile.settings()
        return tuple(records), tuple(settings.values())

    def reports(self, name: str, since: int, final: bool = False
                ) -> tuple[tuple[DeliveryReportView, ...], int]:
        """Delivery reports of producer ``name`` from send number ``since`` on, in send order, up to
        the first send still waiting for its report (all of them when ``final``); and the next
        ``since``."""
        from tui.engine.producer.outcomes import CODE_UNKNOWN

        runner = self._latest(name)
        if runner is None:
            raise ValueError(f"No producer named {name!r} was started.")
        led = runner.ledger
        out: list[DeliveryReportView] = []
        seq = since
        while seq < led.sent and (final or led.outcome[seq] != CODE_UNKNOWN):
            out.append(runner.delivery_view(seq))
            seq += 1
        return tuple(out), seq

    def view(self) -> ProducersView:
        return ProducersView(tuple(runner.view() for runner in self.runners()))

    # ---- lifecycle --------------------------------------------------------------------------

    def close(self, timeout: float) -> None:
        """Stop every runner: flush for up to a third of ``timeout``, purge, close, join."""
        self._closed = True
        deadline = time.monotonic() + timeout
        runners = [r for r in self.runners() if r.active]
        for runner in runners:
            runner.request_stop(min(2.0, timeout / 3))
        for runner in runners:
            runner.thread.join(max(0.1, deadline - time.monotonic()))
            if runner.thread.is_alive():
                self.ctx.log.warning("producer %s did not stop within %.1f s", runner.name, timeout)
