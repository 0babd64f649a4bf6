"""LabCluster: start, inspect, break and stop a local Apache Kafka KRaft cluster of real JVMs.

State directory layout (one cluster per directory)::

    cluster.json                 LabSpec: node count, profile, security, cluster id, ports, Kafka version
    owner.json                   the program that owns the lab (absent: started by `lab up`)
    supervisor.log               what the owner's supervisor did
    log4j2.properties            broker logging (console -> nodeN/stdout.log)
    log4j2-tools.properties      logging for short tool JVMs
    nodeN/server.properties      generated config
    nodeN/data/                  log dirs (formatted once)
    nodeN/stdout.log             everything the JVM prints
    nodeN/pid                    present while the lab believes the node runs; kept after a kill
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui import paths
from tui.lab import cpu_share, process
from tui.lab.errors import LabError
from tui.lab.jars import classpath, ensure_jars, requested_version, runtime_version
from tui.lab.java import java_executable
from tui.lab.nodeconfig import LOG4J2_BROKER, LOG4J2_TOOLS, jvm_flags, node_properties, tool_flags
from tui.lab.ownership import RELEASED_EXIT, Ownership, Supervision, clear_record, ownership, read_record
from tui.lab.security import format_scram_args, secure_listener_properties
from tui.lab.spec import NODE_COUNTS, PROFILES, SECURITY_MODES, SPEC_FILE, LabSpec, NodePorts, load_spec
from tui.lab.versions import check_same_version
from tui.vocab import LabOwnerState

Progress = Callable[[str], None]
STARTED_MESSAGE = "Kafka Server started"
FATAL_MESSAGE = "Exiting Kafka due to fatal exception"
LOG = logging.getLogger("kafka_explorer.lab")


@dataclass(frozen=True)
class NodeStatus:
    """What ``lab status`` reports for one node."""

    node_id: int
    pid: int | None
    state: str
    """running, paused, stopped (cleanly, or never started) or dead (killed or crashed)."""
    broker_port: int
    controller_port: int
    active_controller: bool | None
    """True for the KRaft quorum leader, learned from the node logs; None when unknown."""
    leader_partitions: int | None
    """How many partitions this node leads (None when the cluster cannot be asked)."""


@dataclass(frozen=True)
class PartitionState:
    """Leadership of one partition as the cluster metadata reports it (-1: no leader)."""

    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


def kafka_uuid() -> str:
    """A cluster id in Kafka's own form: 22 chars of base64url, never starting with '-'."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class LabCluster:
    """One local lab cluster living in ``state_dir``. Every operation is safe to repeat."""

    def __init__(self, state_dir: Path | None = None, progress: Progress | None = None) -> None:
        self.dir = (state_dir or paths.lab_dir()).resolve()
        self._say: Progress = progress or (lambda _msg: None)
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    # ---- description -------------------------------------------------------------------------

    @property
    def spec_file(self) -> Path:
        return self.dir / SPEC_FILE

    def exists(self) -> bool:
        return self.spec_file.exists()

    @property
    def spec(self) -> LabSpec:
        return load_spec(self.dir)

    @property
    def bootstrap(self) -> str:
        return self.spec.bootstrap()

    def node_dir(self, node_id: int) -> Path:
        return self.dir / f"node{node_id}"

    def properties_file(self, node_id: int) -> Path:
        return self.node_dir(node_id) / "server.properties"

    def log_file(self, node_id: int) -> Path:
        return self.node_dir(node_id) / "stdout.log"

    def _pid_file(self, node_id: int) -> Path:
        return self.node_dir(node_id) / "pid"

    def _check_node(self, node_id: int) -> None:
        ids = self.spec.node_ids()
        if node_id not in ids:
            raise LabError(f"Node {node_id} does not exist; this lab has nodes {ids[0]}..{ids[-1]}.")

    def pid(self, node_id: int) -> int | None:
        """The PID of node ``node_id`` when it is a live JVM this lab started, else None."""
        child = self._children.get(node_id)
        if child is not None and child.poll() is None and process.alive(child.pid):
            # launched by us: right after fork /proc still shows our own command line until exec.
            # (A killed JVM shows 'Z' while its threads are torn down, before waitpid can reap it.)
            return child.pid
        pid = process.read_pid(self._pid_file(node_id))
        if pid is None:
            return None
        process.reap(pid)
        if process.alive(pid) and process.is_our_node(pid, self.properties_file(node_id)):
            return pid
        return None

    def node_state(self, node_id: int) -> str:
        pid = self.pid(node_id)
        if pid is not None:
            return "paused" if process.proc_state(pid) == "T" else "running"
        return "dead" if self._pid_file(node_id).exists() else "stopped"

    def any_running(self) -> bool:
        """True when a node of this lab runs (or is paused); False when there is no readable lab."""
        try:
            return self.exists() and any(self.pid(n) is not None for n in self.spec.node_ids())
        except LabError:
            return False

    def ownership(self) -> Ownership:
        """Who keeps this lab running: nobody (`lab up`), a live owner, or an owner that died."""
        return ownership(self.dir, self.any_running())

    def libs(self) -> Path:
        """The jar folder of this lab's Kafka version (fetched on first use)."""
        return ensure_jars(self._say, self.spec.kafka_version)

    def check_version(self, kafka_version: str | None) -> None:
        """Refuse (VersionMismatch) when this existing lab runs another Kafka than the one asked for,
        and an unknown version in one sentence. An unreadable lab passes: starting it explains that."""
        requested = requested_version(kafka_version)
        if requested is None or not self.exists():
            return
        try:
            recorded = self.spec.kafka_version
        except LabError:
            return
        check_same_version(self.dir, recorded, requested)

    # ---- start -------------------------------------------------------------------------------

    def up(self, nodes: int = 3, profile: str = "default", security: str = "plaintext",
           timeout: float = 120.0, kafka_version: str | None = None) -> LabSpec:
        """Start the cluster (or reuse the healthy one already running) and wait until it is ready.

        ``kafka_version`` (None: the existing lab's, else the default) must match the version that
        formatted an existing lab's storage. Ownership is not touched here: a lab started by a program
        for its own use goes through :meth:`owned` (or :func:`tui.lab.session.lab_session`).
        """
        if nodes not in NODE_COUNTS:
            raise LabError(f"--nodes must be one of {', '.join(map(str, NODE_COUNTS))}, not {nodes}.")
        if profile not in PROFILES:
            raise LabError(f"Unknown lab profile {profile!r}; choose one of: {', '.join(PROFILES)}.")
        if security not in SECURITY_MODES:
            raise LabError(f"Unknown security mode {security!r}; choose one of: "
                           f"{', '.join(SECURITY_MODES)}.")
        requested = requested_version(kafka_version)
        java = java_executable()
        spec = self._prepare(nodes, profile, security, requested)
        libs = ensure_jars(self._say, spec.kafka_version)
        to_start = [n for n in spec.node_ids() if self.pid(n) is None]
        if not to_start:
            self._say(f"Reusing the running {spec.nodes}-node lab cluster in {self.dir}.")
            self.wait_ready(timeout=timeout)
            return spec
        for node_id in to_start:
            for port in (spec.ports[node_id].broker, spec.ports[node_id].controller):
                if not port_free(port):
                    raise LabError(f"Port {port} for node {node_id} is taken by another process; "
                                   "stop it or run `kafka-explorer lab reset` to pick new ports.")
        self._format(java, libs, spec)
        offsets: dict[int, int] = {}
        try:
            for node_id in to_start:
                offsets[node_id] = self._launch(java, libs, node_id)
                self._say(f"node {node_id}: starting (pid {self.pid(node_id)}, "
                          f"broker port {spec.ports[node_id].broker}{self._weight_note(node_id, spec.nodes)})")
            self.wait_ready(timeout=timeout, log_offsets=offsets)
        except BaseException:
            for node_id in offsets:
                self._terminate(node_id, timeout=5.0, hard=True)
            raise
        return spec

    def _prepare(self, nodes: int, profile: str, security: str, kafka_version: str | None) -> LabSpec:
        """Load the existing spec, or write a new one with fresh free ports and a cluster id."""
        if self.exists():
            spec = self.spec
            if spec.nodes != nodes or spec.profile != profile or spec.security != security:
                running = any(self.pid(n) is not None for n in spec.node_ids())
                if running:
                    raise LabError(
                        f"A {spec.nodes}-node lab ({spec.profile}, {spec.security}) is running in "
                        f"{self.dir}; stop it with `kafka-explorer lab down` first, or use another "
                        "--state-dir.")
                self._say(f"Replacing the stopped {spec.nodes}-node lab in {self.dir}.")
                self._wipe()
            else:
                if kafka_version is not None:
                    check_same_version(self.dir, spec.kafka_version, kafka_version)
                self._clear_stale_pids(spec)
                return spec
        paths.ensure(self.dir)
        ports = {n: NodePorts(broker=free_port(), controller=free_port(),
                              secure=free_port() if security != "plaintext" else None)
                 for n in range(1, nodes + 1)}
        spec = LabSpec(nodes=nodes, profile=profile, security=security, cluster_id=kafka_uuid(),
                       ports=ports, kafka_version=runtime_version(kafka_version))
        (self.dir / "log4j2.properties").write_text(LOG4J2_BROKER)
        (self.dir / "log4j2-tools.properties").write_text(LOG4J2_TOOLS)
        for node_id in spec.node_ids():
            paths.ensure(self.node_dir(node_id) / "data")
            self.properties_file(node_id).write_text(
                node_properties(spec, node_id, self.dir, self._security_properties(spec, node_id)))
        spec.save(self.spec_file)
        return spec

    def _security_properties(self, spec: LabSpec, node_id: int) -> dict[str, str]:
        """Extra listener properties for secure labs (see tui.lab.security)."""
        if spec.security == "plaintext":
            return {}
        return secure_listener_properties(spec, node_id, self.dir)

    def _clear_stale_pids(self, spec: LabSpec) -> None:
        for node_id in spec.node_ids():
            pid_file = self._pid_file(node_id)
            pid = process.read_pid(pid_file)
            if pid is not None and not (process.alive(pid)
                                        and process.is_our_node(pid, self.properties_file(node_id))):
                # left by a crashed run; the PID may belong to someone else now: never signal it
                pid_file.unlink(missing_ok=True)

    def _format(self, java: str, libs: Path, spec: LabSpec) -> None:
        pending = [n for n in spec.node_ids()
                   if not (self.node_dir(n) / "data" / "meta.properties").exists()]
        if not pending:
            return
        self._say(f"Formatting {len(pending)} node(s) with cluster id {spec.cluster_id}")
        procs = []
        for node_id in pending:
            cmd = [java, *tool_flags(self.dir), "-cp", classpath(libs), "kafka.tools.StorageTool",
                   "format", "-t", spec.cluster_id, "-c", str(self.properties_file(node_id)),
                   "--ignore-formatted", *self._format_extra(spec)]
            procs.append((node_id, subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)))
        for node_id, proc in procs:
            out, _ = proc.communicate(timeout=120)
            if proc.returncode != 0:
                text = out.decode(errors="replace").strip().splitlines()[-5:]
                raise LabError(f"Formatting node {node_id} failed: {' / '.join(text)}")

    def _format_extra(self, spec: LabSpec) -> list[str]:
        if spec.security != "sasl-scram":
            return []
        return format_scram_args(self.dir)

    def _launch(self, java: str, libs: Path, node_id: int) -> int:
        """Start one node JVM detached from our terminal; return the log offset before its start."""
        log_path = self.log_file(node_id)
        offset = log_path.stat().st_size if log_path.exists() else 0
        cmd = [java, *jvm_flags(self.dir), "-cp", classpath(libs), "kafka.Kafka",
               str(self.properties_file(node_id))]
        with log_path.open("ab") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    cwd=str(self.node_dir(node_id)))
        self._children[node_id] = proc
        self._pid_file(node_id).write_text(str(proc.pid))
        cpu_share.weigh_as_one(proc.pid, self.spec.nodes)  # the nodes together weigh one program
        return offset

    def _weight_note(self, node_id: int, nodes: int) -> str:
        """What the kernel now says of the node's CPU weight (read back, not assumed)."""
        pid = self.pid(node_id)
        nice = cpu_share.share_nice(nodes)
        if pid is None or nice == 0 or cpu_share.autogroup_nice(pid) != nice:
            return ""
        return f", CPU weight 1/{nodes} of a program's"

    def wait_ready(self, timeout: float = 120.0, log_offsets: dict[int, int] | None = None) -> None:
        """Wait until each started node logged it started and the cluster metadata lists every node."""
        spec = self.spec
        offsets = log_offsets or {}
        deadline = time.monotonic() + timeout
        waiting = set(offsets)
        started = time.monotonic()
        while waiting:
            for node_id in sorted(waiting):
                text = self._read_log(node_id, offsets[node_id])
                if STARTED_MESSAGE in text:
                    waiting.discard(node_id)
                    self._say(f"node {node_id}: started ({time.monotonic() - started:.1f} s)")
                elif self.pid(node_id) is None:
                    tail = self.log_tail(node_id, 12)
                    raise LabError(f"Node {node_id} exited during start; last log lines:\n{tail}")
            if waiting and time.monotonic() > deadline:
                raise LabError(f"Node(s) {sorted(waiting)} did not start within {timeout:.0f} s; "
                               f"see {self.log_file(min(waiting))}.")
            if waiting:
                time.sleep(0.2)
        expected = {n for n in spec.node_ids() if self.node_state(n) == "running"}
        while True:
            seen = self._metadata_nodes(timeout=5.0)
            if seen is not None and expected <= seen:
                break
            if time.monotonic() > deadline:
                raise LabError(f"The cluster metadata lists nodes {sorted(seen or [])}, expected "
                               f"{sorted(expected)}, after {timeout:.0f} s.")
            time.sleep(0.3)
        self._say(f"Lab cluster ready: bootstrap servers {spec.bootstrap()}")

    def _read_log(self, node_id: int, offset: int) -> str:
        try:
            with self.log_file(node_id).open("rb") as handle:
                handle.seek(offset)
                return handle.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, node_id: int, lines: int = 40) -> str:
        try:
            data = self.log_file(node_id).read_bytes()[-256_000:]
        except OSError:
            return "(no log yet)"
        return "\n".join(data.decode(errors="replace").splitlines()[-lines:])

    # ---- talking to the cluster --------------------------------------------------------------

    def _admin_conf(self) -> dict[str, Any]:
        """Settings of the one-shot admin calls: the PLAINTEXT listener, short socket timeouts."""
        return {"bootstrap.servers": self.bootstrap, "socket.timeout.ms": 5000,
                "reconnect.backoff.max.ms": 1000}

    def _metadata_nodes(self, timeout: float) -> set[int] | None:
        """Node ids in the cluster metadata (describe_cluster), or None when nobody answers."""
        from tui.kafka import admin

        try:
            result = admin.describe_cluster(self._admin_conf(), timeout=timeout, logger=LOG)
        except admin.AdminCallError:  # not yet
            return None
        return {node.id for node in result.nodes}

    def leader_counts(self, timeout: float = 3.0) -> dict[int, int] | None:
        """Partitions led per node, all topics included; None when the cluster does not answer."""
        from tui.kafka import admin

        try:
            metadata = admin.list_topics(self._admin_conf(), timeout=timeout, logger=LOG)
        except admin.AdminCallError:
            return None
        counts: dict[int, int] = {}
        for topic in metadata.topics.values():
            for partition in topic.partitions.values():
                if partition.leader >= 0:
                    counts[partition.leader] = counts.get(partition.leader, 0) + 1
        return counts

    def partitions(self, topic: str, timeout: float = 5.0) -> list[PartitionState]:
        """Leader, replicas and ISR of each partition of ``topic`` (from the cluster metadata)."""
        from tui.kafka import admin

        try:
            metadata = admin.list_topics(self._admin_conf(), topic=topic, timeout=timeout, logger=LOG)
        except admin.AdminCallError as exc:
            raise LabError(f"The cluster did not answer a metadata request for {topic!r}: "
                           f"{exc.detail}") from exc
        meta = metadata.topics.get(topic)
        if meta is None or meta.error is not None:
            raise LabError(f"Topic {topic!r} is unknown to the cluster.")
        return [PartitionState(topic, p.id, p.leader, tuple(p.replicas), tuple(p.isrs))
                for p in sorted(meta.partitions.values(), key=lambda x: x.id)]

    def active_controller(self) -> int | None:
        """The KRaft quorum leader: the newest election any live node persisted in its
        ``quorum-state`` file (each voter rewrites it on every election, so it stays small and
        current however long the node's log has grown)."""
        best: tuple[int, int] | None = None  # (epoch, leader id)
        for node_id in self.spec.node_ids():
            if self.node_state(node_id) != "running":
                continue
            state = self._quorum_state(node_id)
            if state is not None and (best is None or state > best):
                best = state
        if best is None:
            return None
        leader = best[1]
        return leader if self.node_state(leader) == "running" else None

    def _quorum_state(self, node_id: int) -> tuple[int, int] | None:
        """(leader epoch, leader id) from a node's ``quorum-state``, None while it knows no leader."""
        path = self.dir / f"node{node_id}" / "data" / "__cluster_metadata-0" / "quorum-state"
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            epoch, leader = int(state["leaderEpoch"]), int(state["leaderId"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # not written yet, or caught mid-rewrite: the next read sees it
        return (epoch, leader) if leader >= 0 else None

    def _log_size(self, node_id: int) -> int:
        try:
            return self.log_file(node_id).stat().st_size
        except OSError:
            return 0

    def status(self) -> list[NodeStatus]:
        spec = self.spec
        states = {n: self.node_state(n) for n in spec.node_ids()}
        any_running = any(s == "running" for s in states.values())
        counts = self.leader_counts() if any_running else None
        controller = self.active_controller() if any_running else None
        return [
            NodeStatus(
                node_id=n, pid=self.pid(n), state=states[n], broker_port=spec.ports[n].broker,
                controller_port=spec.ports[n].controller,
                active_controller=(controller == n) if controller is not None else None,
                leader_partitions=(counts.get(n, 0) if counts is not None and states[n] == "running"
                                   else None),
            )
            for n in spec.node_ids()
        ]

    # ---- faults ------------------------------------------------------------------------------

    def _require_pid(self, node_id: int, action: str) -> int:
        self._check_node(node_id)
        pid = self.pid(node_id)
        if pid is None:
            raise LabError(f"Cannot {action} node {node_id}: it is {self.node_state(node_id)}.")
        return pid

    def kill(self, node_id: int) -> None:
        """SIGKILL: no controlled shutdown. The PID file stays, so status says 'dead'."""
        pid = self._require_pid(node_id, "kill")
        process.signal_pid(pid, signal.SIGKILL)
        process.wait_gone(pid, 10.0)

    def pause(self, node_id: int) -> None:
        """SIGSTOP: the JVM freezes; the controller fences it after broker.session.timeout.ms."""
        pid = self._require_pid(node_id, "pause")
        process.signal_pid(pid, signal.SIGSTOP)
        # delivery is asynchronous: return only once the kernel reports the JVM stopped
        process.wait_state(pid, lambda st: st == "T", 5.0)

    def resume(self, node_id: int) -> None:
        pid = self._require_pid(node_id, "resume")
        process.signal_pid(pid, signal.SIGCONT)
        process.wait_state(pid, lambda st: st != "T", 5.0)

    def stop(self, node_id: int, timeout: float = 20.0) -> None:
        """SIGTERM (controlled shutdown), then SIGKILL if it has not exited within ``timeout``."""
        self._require_pid(node_id, "stop")
        self._terminate(node_id, timeout=timeout, hard=False)

    def _terminate(self, node_id: int, timeout: float, hard: bool) -> None:
        pid = self.pid(node_id)
        if pid is not None:
            if hard:
                process.signal_pid(pid, signal.SIGKILL)
            else:
                process.signal_pid(pid, signal.SIGTERM)
                process.signal_pid(pid, signal.SIGCONT)  # a paused JVM must run to handle SIGTERM
            if not process.wait_gone(pid, timeout):
                process.kill_group(pid)
                process.wait_gone(pid, 10.0)
        self._pid_file(node_id).unlink(missing_ok=True)
        self._children.pop(node_id, None)

    def restart(self, node_id: int, timeout: float = 120.0) -> None:
        """Stop the node if it runs (or clear a killed one), start it again and wait for it."""
        self._check_node(node_id)
        if self.pid(node_id) is not None:
            self._terminate(node_id, timeout=20.0, hard=False)
        self._pid_file(node_id).unlink(missing_ok=True)
        self.start_node(node_id, timeout=timeout)

    def start_node(self, node_id: int, timeout: float = 120.0) -> None:
        """Start one stopped or dead node of an existing cluster and wait for it."""
        self._check_node(node_id)
        if self.pid(node_id) is not None:
            return
        spec = self.spec
        for port in (spec.ports[node_id].broker, spec.ports[node_id].controller):
            if not process_port_wait(port, 10.0):
                raise LabError(f"Port {port} of node {node_id} is still taken; cannot start it.")
        offset = self._launch(java_executable(), self.libs(), node_id)
        self._say(f"node {node_id}: starting (pid {self.pid(node_id)})")
        self.wait_ready(timeout=timeout, log_offsets={node_id: offset})

    def down(self, timeout: float = 20.0) -> list[int]:
        """Stop every node: SIGTERM all at once, then SIGKILL the process group of what is left.

        Nodes are found by PID file and by command line (/proc), so a JVM whose launcher died before
        writing its PID file is stopped too. Returns the stopped node ids.
        """
        if not self.exists():
            return []
        spec = self.spec
        live = self._live_pids(spec)
        for pid in live.values():
            process.signal_pid(pid, signal.SIGTERM)
            process.signal_pid(pid, signal.SIGCONT)
        deadline = time.monotonic() + timeout
        for node_id, pid in live.items():
            if not process.wait_gone(pid, max(0.0, deadline - time.monotonic())):
                self._say(f"node {node_id}: no clean exit within {timeout:.0f} s, killing it")
                process.kill_group(pid)
                process.wait_gone(pid, 10.0)
        # one more look: a node launched while we were stopping the others
        for node_id, pid in self._live_pids(spec).items():
            self._say(f"node {node_id}: started while stopping, killing it")
            process.kill_group(pid)
            process.wait_gone(pid, 10.0)
            live[node_id] = pid
        for node_id in spec.node_ids():
            self._pid_file(node_id).unlink(missing_ok=True)
        self._children.clear()
        if ownership(self.dir, any_running=False).state == LabOwnerState.NONE:
            clear_record(self.dir)  # a dead owner's record has nothing left to say
        return sorted(live)

    def _live_pids(self, spec: LabSpec) -> dict[int, int]:
        found = process.find_nodes({n: self.properties_file(n) for n in spec.node_ids()})
        for node_id in spec.node_ids():
            pid = self.pid(node_id)
            if pid is not None:
                found[node_id] = pid
        return found

    def reset(self) -> None:
        """Stop everything and delete the lab's data, configs and logs."""
        self.down(timeout=10.0)
        self._wipe()

    def _wipe(self) -> None:
        if self.dir.exists():
            # never delete a directory that does not look like a lab state dir
            if not (self.spec_file.exists() or any(self.dir.glob("node*/server.properties"))):
                raise LabError(f"{self.dir} does not look like a lab state directory; not deleting it.")
            shutil.rmtree(self.dir)

    # ---- ownership ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def owned(self, command: str | None = None) -> Iterator[Supervision]:
        """This process owns the lab for the block: it stops when the block ends or the process dies.

        A supervisor process is started first (see :mod:`tui.lab.ownership`), so nodes started inside
        the block are covered from their first second. The lab is stopped through the supervisor;
        should the supervisor fail, this process stops it itself.
        """
        supervision = Supervision.start(self.dir, command)
        try:
            yield supervision
        finally:
            self._end_ownership(supervision)

    def _end_ownership(self, supervision: Supervision) -> None:
        code = supervision.close()
        if code == RELEASED_EXIT:  # taken over (`lab up`, or adopted): not ours to stop
            return
        if code != 0 and self.any_running():
            self._say("the lab supervisor did not stop the lab; stopping it here")
            self.down(timeout=10.0)
        clear_record(self.dir, supervision.pid)

    def disown(self) -> Ownership:
        """Make the lab a `lab up` lab: it runs until `lab down`. Returns who owned it before."""
        before = self.ownership()
        if read_record(self.dir) is not None:
            clear_record(self.dir)
        return before

    @contextlib.contextmanager
    def running(self, nodes: int = 1, profile: str = "default", security: str = "plaintext",
                timeout: float = 120.0, kafka_version: str | None = None) -> Iterator[LabSpec]:
        """Own a cluster for the duration of a ``with`` block: it is torn down on exit, on error and
        when this process dies (by any signal)."""
        with self.owned():
            yield self.up(nodes=nodes, profile=profile, security=security, timeout=timeout,
                          kafka_version=kafka_version)


@contextlib.contextmanager
def temporary_lab(nodes: int = 1, prefix: str = "kx-lab-", timeout: float = 180.0,
                  kafka_version: str | None = None) -> Iterator[LabCluster]:
    """A lab cluster in a fresh temporary state dir, torn down and deleted on exit (benchmarks);
    owned like :meth:`LabCluster.running`, so it also dies with this process."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        lab = LabCluster(Path(tmp))
        with lab.running(nodes=nodes, timeout=timeout, kafka_version=kafka_version):
            yield lab


def process_port_wait(port: int, timeout: float) -> bool:
    """Wait for a port to become bindable (a killed JVM's sockets close a moment after it exits)."""
    deadline = time.monotonic() + timeout
    while not port_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
