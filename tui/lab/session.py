"""A lab session: use the local lab cluster for a while, starting it if needed, stopping only what we
started.

    with lab_session(state_dir, nodes=1, progress=print) as session:
        run_something(session.connection)

* Every node already running: it is used as it is and left running (someone else owns it).
* Nothing running (or no lab yet): the lab is started (``starter`` may run the start behind a
  progress screen) and stopped again when the block ends, also on an error or Ctrl-C, unless
  ``keep=True``.
* Some nodes running: the missing ones are started, and nothing is stopped at the end (the nodes
  that ran before belong to whoever started them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.kafka.connection import Connection
from tui.lab.cluster import LabCluster, Progress
from tui.lab.errors import LabError

UpFunction = Callable[[Progress], None]
"""Starts the lab, reporting each step to the progress callback it is given; raises on failure."""
Starter = Callable[[UpFunction], None]
"""Runs an :data:`UpFunction` (directly, or behind a progress screen); raises LabError on failure."""

STOP_MESSAGE = "stopping the lab cluster it started (use --keep-lab to leave it running)"


class LabStartError(LabError):
    """The lab did not start; ``reason`` is why (the sentence is "The lab cluster did not start: ...")."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The lab cluster did not start: {reason}")
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:  # picklable with its own argument
        return (type(self), (self.reason,))


@dataclass(frozen=True)
class LabSession:
    """What a :func:`lab_session` block works with."""

    cluster: LabCluster
    connection: Connection
    started: bool
    """This session started nodes."""
    owned: bool
    """This session stops the lab when it ends (it started it from nothing, and ``keep`` is off)."""


def connection_to(cluster: LabCluster, properties: Mapping[str, str] | None = None) -> Connection:
    """The :class:`Connection` to a lab cluster (its PLAINTEXT listener), labelled ``lab (N nodes)``."""
    spec = cluster.spec
    return Connection(bootstrap=spec.bootstrap(), properties=dict(properties or {}),
                      label=f"lab ({spec.nodes} node{'s' if spec.nodes > 1 else ''})",
                      lab_dir=cluster.dir)


def running_nodes(cluster: LabCluster) -> tuple[int, int]:
    """(running, total) nodes of the lab; (0, 0) when there is no readable lab."""
    try:
        if not cluster.exists():
            return 0, 0
        ids = cluster.spec.node_ids()
        return sum(cluster.node_state(n) == "running" for n in ids), len(ids)
    except LabError:  # an unreadable state dir: starting will explain it
        return 0, 0


@contextlib.contextmanager
def lab_session(state_dir: Path | None = None, *, nodes: int = 3, profile: str = "default",
                security: str = "plaintext", progress: Progress | None = None, keep: bool = False,
                properties: Mapping[str, str] | None = None, starter: Starter | None = None,
                timeout: float = 120.0) -> Iterator[LabSession]:
    """Use the lab in ``state_dir`` (default: the user state dir) for the ``with`` block.

    ``nodes``/``profile``/``security`` apply when the lab has to be started; ``progress`` gets the
    start-up lines (unless ``starter`` shows them itself) and the stop notice. ``properties`` are
    extra librdkafka settings for the connection. Raises :class:`LabStartError` when the lab does
    not start (then nothing this session started is left running).
    """
    say: Progress = progress or (lambda _line: None)
    cluster = LabCluster(state_dir)
    running, total = running_nodes(cluster)
    started = False
    owned = False
    if total == 0 or running < total:
        before = running

        def up(report: Progress) -> None:
            LabCluster(cluster.dir, progress=report).up(nodes=nodes, profile=profile, security=security,
                                                         timeout=timeout)

        try:
            if starter is None:
                up(say)
            else:
                starter(up)
            now, total = running_nodes(cluster)
            if total == 0 or now < total:
                raise LabStartError("it exited before it was ready")
        except BaseException as exc:
            if before == 0:
                _stop(cluster, say)
            if isinstance(exc, LabStartError) or not isinstance(exc, Exception):
                raise
            raise LabStartError(str(exc).strip() or type(exc).__name__) from exc
        started = True
        owned = before == 0 and not keep
    try:
        yield LabSession(cluster, connection_to(cluster, properties), started=started, owned=owned)
    finally:
        if owned:
            say(STOP_MESSAGE)
            _stop(cluster, say)


def _stop(cluster: LabCluster, say: Progress) -> None:
    try:
        cluster.down(timeout=20.0)
    except Exception as exc:  # never a traceback on the way out
        say(f"stopping the lab failed: {exc}")
