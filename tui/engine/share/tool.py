"""Kafka's own ShareGroupCommand for what the client cannot say: a share group's state, its members
(with their assignments) and the share-partition start offsets.

confluent-kafka's admin client has no share-group calls, so the engine asks the tool from Kafka's
jars. Each call is a JVM start (~1 s wall, ~1 s CPU here: a round of three, for every share group of
this engine at once, measured 2.7-3.1 s wall and ~3 s CPU), so a round (state, members, offsets) runs
at most every :data:`INTERVAL_S` after the last one ended, only while a share member of this engine
runs or someone asked (:class:`~tui.engine.share.commands.RefreshShareGroups`), on the thread
``share-tool``.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from tui.engine.share.views import SharePartitionView, ShareToolMemberView

LOG = logging.getLogger("kafka_explorer.share.tool")
SHARE_GROUP_COMMAND = "org.apache.kafka.tools.consumer.group.ShareGroupCommand"
INTERVAL_S = 10.0
"""Seconds between the end of one round and the start of the next."""
ASKED_KEEPS_S = 30.0
"""A refresh request keeps rounds going this long without a running member."""
COST = ("Kafka's ShareGroupCommand costs three JVM starts per round (about 3 s and 3 s of CPU in all), "
        f"so it runs at most every {INTERVAL_S:.0f} s and only while a share member runs or the screen asks.")


@dataclass(frozen=True, slots=True)
class ToolGroup:
    """What one round of ShareGroupCommand said about one group."""

    group: str
    state: str | None = None
    coordinator: str | None = None
    members: tuple[ShareToolMemberView, ...] = ()
    partitions: tuple[SharePartitionView, ...] = ()
    read_at: float = 0.0
    error: str | None = None


Runner = Callable[[list[str]], str]
"""Runs ShareGroupCommand with these arguments (after ``--bootstrap-server``) and returns stdout."""


class JvmTool:
    """Runs ShareGroupCommand from the jars of one Kafka version; :meth:`kill` ends a running call
    (the engine closing must not leave a JVM behind)."""

    def __init__(self, bootstrap: str, kafka_version: str, timeout: float = 30.0) -> None:
        self.bootstrap = bootstrap
        self.kafka_version = kafka_version
        self.timeout = timeout
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, args: list[str]) -> str:
        from tui.lab.tools import tool_command

        cmd = tool_command(SHARE_GROUP_COMMAND, ["--bootstrap-server", self.bootstrap, *args],
                           kafka_version=self.kafka_version)
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine is closing")
            proc = self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise RuntimeError(f"ShareGroupCommand did not answer within {self.timeout:.0f} s") from None
        finally:
            with self._lock:
                self._proc = None
        if proc.returncode != 0:
            tail = " / ".join(err.strip().splitlines()[-2:]) or f"exit {proc.returncode}"
            raise RuntimeError(f"ShareGroupCommand failed: {tail}")
        return out

    def kill(self) -> None:
        with self._lock:
            self._closed = True
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()


def tool_for(bootstrap: str, properties: Mapping[str, str], kafka_version: str | None) -> JvmTool | None:
    """ShareGroupCommand for this connection: on a lab (its Kafka version known) with a plaintext
    connection, from jars already fetched; None otherwise (the view says why)."""
    from tui.lab.jars import jar_dir

    protocol = str(properties.get("security.protocol", "plaintext")).lower()
    if kafka_version is None or protocol != "plaintext":
        return None
    if not os.environ.get("KAFKA_HOME") and not any(jar_dir(kafka_version).glob("kafka-tools-*.jar")):
        return None  # never fetch Kafka with Maven behind the user's back
    return JvmTool(bootstrap, kafka_version)


def _rows(output: str, header: str) -> list[list[str]]:
    """Whitespace-split rows after the header line that starts with ``header`` (every block of it)."""
    rows: list[list[str]] = []
    inside = False
    for line in output.splitlines():
        words = line.split()
        if not words:
            inside = False
            continue
        if words[0] == header:
            inside = True
            continue
        if inside:
            rows.append(words)
    return rows


def _int(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def parse_state(output: str) -> dict[str, tuple[str, str | None]]:
    """``--describe --state --verbose``: group -> (state, coordinator 'host:port (id)')."""
    out: dict[str, tuple[str, str | None]] = {}
    for words in _rows(output, "GROUP"):
        # GROUP COORDINATOR (ID) STATE GROUP-EPOCH ASSIGNMENT-EPOCH #MEMBERS; the coordinator is
        # 'host:port  (id)', two words
        if len(words) >= 4:
            coordinator = f"{words[1]} {words[2]}" if words[2].startswith("(") else words[1]
            state = words[3] if words[2].startswith("(") else words[2]
            out[words[0]] = (state, coordinator)
    return out


def _assignment(text: str) -> tuple[tuple[str, int], ...]:
    """``t1:0,1;t2:3`` (or ``-``) -> ((t1, 0), (t1, 1), (t2, 3))."""
    out: list[tuple[str, int]] = []
    for part in text.split(";"):
        topic, _, parts = part.rpartition(":")
        if not topic:
            continue
        out.extend((topic, int(p)) for p in parts.split(",") if p.isdigit())
    return tuple(sorted(out))


def parse_members(output: str) -> dict[str, tuple[ShareToolMemberView, ...]]:
    """``--describe --members --verbose``: group -> its members."""
    out: dict[str, list[ShareToolMemberView]] = {}
    for words in _rows(output, "GROUP"):
        # GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS MEMBER-EPOCH ASSIGNMENT
        if len(words) < 6:
            continue
        assignment = _assignment(" ".join(words[6:])) if len(words) > 6 else ()
        out.setdefault(words[0], []).append(ShareToolMemberView(
            consumer_id=words[1], client_id=words[3], host=words[2].lstrip("/"),
            member_epoch=_int(words[5]), assignment=assignment))
    return {g: tuple(sorted(ms, key=lambda m: m.client_id)) for g, ms in out.items()}


def parse_offsets(output: str) -> dict[str, dict[tuple[str, int], tuple[int | None, int | None]]]:
    """``--describe --offsets --verbose``: group -> (topic, partition) -> (start offset, lag)."""
    out: dict[str, dict[tuple[str, int], tuple[int | None, int | None]]] = {}
    for words in _rows(output, "GROUP"):
        # GROUP TOPIC PARTITION LEADER-EPOCH START-OFFSET LAG
        if len(words) < 5 or _int(words[2]) is None:
            continue
        lag = _int(words[5]) if len(words) > 5 else None
        out.setdefault(words[0], {})[(words[1], int(words[2]))] = (_int(words[4]), lag)
    return out


def ask(run: Runner, groups: Iterable[str]) -> dict[str, ToolGroup]:
    """One round: state, members and offsets of ``groups`` (three tool calls)."""
    wanted = sorted(set(groups))
    if not wanted:
        return {}
    names = [arg for g in wanted for arg in ("--group", g)]
    now = time.time()
    try:
        states = parse_state(run(["--describe", *names, "--state", "--verbose"]))
        members = parse_members(run(["--describe", *names, "--members", "--verbose"]))
        offsets = parse_offsets(run(["--describe", *names, "--offsets", "--verbose"]))
    except Exception as exc:  # a missing Java or jars, a tool failure: said once per group
        text = str(exc).strip() or type(exc).__name__
        return {g: ToolGroup(g, read_at=now, error=text[:300]) for g in wanted}
    out: dict[str, ToolGroup] = {}
    for g in wanted:
        state, coordinator = states.get(g, (None, None))
        parts = tuple(SharePartitionView(t, p, start, lag, 0)
                      for (t, p), (start, lag) in sorted(offsets.get(g, {}).items()))
        out[g] = ToolGroup(g, state, coordinator, members.get(g, ()), parts, now)
    return out


def with_names(group: ToolGroup, names: dict[str, str]) -> ToolGroup:
    """``names``: client id -> this engine's member name."""
    return replace(group, members=tuple(replace(m, member=names.get(m.client_id)) for m in group.members))


class ShareGroupProbe:
    """The ``share-tool`` thread: a round of ShareGroupCommand calls at most every INTERVAL_S while
    ``wanted()`` names groups and ``active()`` (or a recent :meth:`refresh`) says to."""

    def __init__(self, run: Runner | None, wanted: Callable[[], tuple[str, ...]],
                 active: Callable[[], bool], on_result: Callable[[dict[str, ToolGroup], float], None],
                 interval: float = INTERVAL_S) -> None:
        self._run = run
        self._kill = getattr(run, "kill", None)
        self._wanted = wanted
        self._active = active
        self._on_result = on_result
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._asked_until = 0.0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def use(self, run: Runner | None) -> None:
        """Set the tool once the engine knows its lab (before the first round)."""
        with self._lock:
            if self._thread is None:
                self._run = run
                self._kill = getattr(run, "kill", None)

    @property
    def available(self) -> bool:
        return self._run is not None

    def refresh(self) -> None:
        """Run a round soon (the next one; the interval still holds) and keep going a while."""
        self._asked_until = time.monotonic() + ASKED_KEEPS_S
        self.start()
        self._wake.set()

    def start(self) -> None:
        if self._run is None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="share-tool", daemon=True)
                self._thread.start()

    def close(self, timeout: float) -> None:
        self._stop.set()
        self._wake.set()
        if self._kill is not None:
            self._kill()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        assert self._run is not None
        last_end = 0.0
        while not self._stop.is_set():
            wait = max(0.0, last_end + self._interval - time.monotonic()) if last_end else 0.0
            if wait and self._stop.wait(wait):
                return
            groups = self._wanted()
            if not groups or not (self._active() or time.monotonic() < self._asked_until):
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            started = time.monotonic()
            try:
                result = ask(self._run, groups)
            except Exception:  # never let the probe die
                LOG.exception("ShareGroupCommand round failed")
                result = {}
            last_end = time.monotonic()
            if not self._stop.is_set():
                self._on_result(result, last_end - started)
