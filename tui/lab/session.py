"""A lab session: use the local lab cluster for a while, starting it if needed, stopping only what we
started.

    with lab_session(state_dir, nodes=1, progress=print) as session:
        run_something(session.connection)

* Every node already running: it is used as it is and left running (someone else owns it).
* Nothing running (or no lab yet): the lab is started (``starter`` may run the start behind a
  progress screen) and *owned*: a supervisor process stops it when the block ends, also on an error,
  Ctrl-C, or when this process dies by any signal (SIGKILL included), unless ``keep=True`` (then it
  runs on like a ``lab up`` lab).
* Some nodes running: the missing ones are started, and nothing is stopped at the end (the nodes
  that ran before belong to whoever started them).
* Left running by an owner that died (an *orphan*): ``on_orphan`` decides: ``refuse`` (default)
  raises :class:`OrphanedLab`, one sentence naming ``lab down`` and ``lab up``; ``stop`` stops it and
  starts afresh; ``adopt`` uses it and owns it from now on.
* ``kafka_version`` (None: the existing lab's, else the default) must match an existing lab's; another
  version is refused with a sentence offering ``lab reset``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui import paths
from tui.kafka.connection import Connection
from tui.lab.cluster import LabCluster, Progress
from tui.lab.errors import LabError
from tui.lab.ownership import STOP_TIMEOUT, Ownership
from tui.vocab import LabOwnerState, OrphanPolicy, parse

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


class OrphanedLab(LabError):
    """A lab left running by an owner that died; ``ownership`` says who it was."""

    def __init__(self, state_dir: str, ownership: Ownership) -> None:
        rec = ownership.record
        who = f"{rec.command} (pid {rec.pid})" if rec is not None else "a program"
        super().__init__(
            f"The lab cluster in {state_dir} was left running by {who}, which is gone: stop it with "
            f"`{lab_command('down', state_dir)}`, or keep it running with "
            f"`{lab_command('up', state_dir)}`.")
        self.state_dir = state_dir
        self.ownership = ownership

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.state_dir, self.ownership))


def lab_command(action: str, state_dir: str) -> str:
    """``kafka-explorer lab ACTION``, with ``--state-dir`` unless it is the default lab."""
    default = str(paths.lab_dir().resolve())
    return f"kafka-explorer lab {action}" + ("" if state_dir == default else f" --state-dir {state_dir}")


@dataclass(frozen=True)
class LabSession:
    """What a :func:`lab_session` block works with."""

    cluster: LabCluster
    connection: Connection
    started: bool
    """This session started nodes."""
    owned: bool
    """This session stops the lab when it ends, or when its process dies (it started it from nothing
    or adopted it, and ``keep`` is off)."""
    adopted: bool = False
    """The lab was an orphan this session took over (``on_orphan="adopt"``)."""


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
                security: str = "plaintext", kafka_version: str | None = None,
                progress: Progress | None = None, keep: bool = False,
                properties: Mapping[str, str] | None = None, starter: Starter | None = None,
                timeout: float = 120.0, on_orphan: str = OrphanPolicy.REFUSE) -> Iterator[LabSession]:
    """Use the lab in ``state_dir`` (default: the user state dir) for the ``with`` block.

    ``nodes``/``profile``/``security``/``kafka_version`` apply when the lab has to be started;
    ``progress`` gets the start-up lines (unless ``starter`` shows them itself) and the stop notice.
    ``properties`` are extra librdkafka settings for the connection. Raises :class:`OrphanedLab`
    (``on_orphan="refuse"``), ``VersionMismatch`` (another Kafka formatted this lab) or
    :class:`LabStartError` when the lab does not start (then nothing this session started is left
    running).
    """
    say: Progress = progress or (lambda _line: None)
    try:
        policy = parse(OrphanPolicy, on_orphan, "orphan policy")
    except ValueError as exc:
        raise LabError(str(exc)) from None
    cluster = LabCluster(state_dir)
    with contextlib.ExitStack() as stack:
        adopted = _settle(cluster, policy, say)
        cluster.check_version(kafka_version)
        running, total = running_nodes(cluster)
        before = running
        owned = (before == 0 or adopted) and not keep
        if owned:
            stack.enter_context(cluster.owned())
        elif adopted:  # adopted with keep: it runs on as a `lab up` lab
            cluster.disown()
        started = False
        if total == 0 or running < total:
            _start(cluster, starter, say, before, owned, nodes=nodes, profile=profile,
                   security=security, timeout=timeout, kafka_version=kafka_version)
            started = True
        elif not owned:
            holder = cluster.ownership()
            if holder.state == LabOwnerState.OWNED and holder.record is not None:
                say(f"using the lab cluster {holder.describe()}")
        try:
            yield LabSession(cluster, connection_to(cluster, properties), started=started, owned=owned,
                             adopted=adopted)
        finally:
            if owned:
                say(STOP_MESSAGE)


def _settle(cluster: LabCluster, policy: OrphanPolicy, say: Progress) -> bool:
    """Deal with a lab whose owner died; True when this session adopts it."""
    holder = wait_while_stopping(cluster, say)
    if holder.state != LabOwnerState.ORPHANED:
        return False
    if policy == OrphanPolicy.REFUSE:
        raise OrphanedLab(str(cluster.dir), holder)
    left_by = (f"left running by pid {holder.record.pid} ({holder.record.command}), which is gone"
               if holder.record is not None else "left running by a program that is gone")
    if policy == OrphanPolicy.STOP:
        say(f"stopping the lab cluster {left_by}")
        cluster.down(timeout=20.0)
        return False
    say(f"adopting the lab cluster {left_by}")
    return True


def wait_while_stopping(cluster: LabCluster, say: Progress) -> Ownership:
    """If the supervisor of a dead owner is stopping the lab, wait until it is done; the ownership."""
    holder = cluster.ownership()
    if holder.state != LabOwnerState.STOPPING or holder.record is None:
        return holder
    record = holder.record
    say(f"waiting for the lab cluster left by pid {record.pid} to stop")
    deadline = time.monotonic() + STOP_TIMEOUT
    while record.supervisor_alive():
        if time.monotonic() > deadline:
            raise LabError(f"The lab cluster in {cluster.dir} is still being stopped by its "
                           f"supervisor (pid {record.supervisor_pid}); try again shortly.")
        time.sleep(0.2)
    return cluster.ownership()


def _start(cluster: LabCluster, starter: Starter | None, say: Progress, before: int, owned: bool,
           **up_args: Any) -> None:
    """Start what is missing; on failure stop what this session started (the owner path does that
    when the session owns the lab) and raise LabStartError."""

    def up(report: Progress) -> None:
        LabCluster(cluster.dir, progress=report).up(**up_args)

    try:
        if starter is None:
            up(say)
        else:
            starter(up)
        now, total = running_nodes(cluster)
        if total == 0 or now < total:
            raise LabStartError("it exited before it was ready")
    except BaseException as exc:
        if before == 0 and not owned:
            _stop(cluster, say)
        if isinstance(exc, LabStartError) or not isinstance(exc, Exception):
            raise
        raise LabStartError(str(exc).strip() or type(exc).__name__) from exc


def _stop(cluster: LabCluster, say: Progress) -> None:
    try:
        cluster.down(timeout=20.0)
    except Exception as exc:  # never a traceback on the way out
        say(f"stopping the lab failed: {exc}")
