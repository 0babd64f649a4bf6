"""``kafka-explorer lab ...``: start, inspect, break and stop the local lab cluster."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from tui.connect import add_state_dir_argument
from tui.headless.output import emit_json, fail, say
from tui.vocab import DEFAULT_KAFKA_VERSION, KafkaVersion, LabOwnerState, names

ACTIONS = ("up", "status", "down", "kill", "stop", "pause", "resume", "restart", "logs", "reset")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="lab_action", metavar="ACTION", required=True)
    up = sub.add_parser("up", help="start the lab cluster (or reuse the running one)")
    up.add_argument("--nodes", type=int, choices=(1, 3), default=3, help="cluster size (default 3)")
    up.add_argument("--profile", choices=("default", "slow-replication"), default="default",
                    help="slow-replication: followers fetch every ~5 s (deterministic acks=1 loss)")
    up.add_argument("--security", choices=("plaintext", "sasl-scram", "ssl"), default="plaintext",
                    help="add a SASL/SCRAM or TLS listener beside PLAINTEXT")
    up.add_argument("--kafka-version", choices=names(KafkaVersion), default=None, metavar="VERSION",
                    help=f"Apache Kafka release ({', '.join(names(KafkaVersion))}; default: the "
                         f"existing lab's, else {DEFAULT_KAFKA_VERSION}); one state dir runs one "
                         "version")
    up.add_argument("--timeout", type=float, default=120.0, help="readiness timeout in seconds")
    status = sub.add_parser("status", help="per-node state, ports, controller, leaderships")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    sub.add_parser("down", help="stop every node (SIGTERM, then SIGKILL after 20 s), orphans included")
    sub.add_parser("reset", help="stop everything and delete the lab's data")
    for name, text in (("kill", "SIGKILL a node (crash, no controlled shutdown)"),
                       ("stop", "SIGTERM a node (controlled shutdown), SIGKILL after 20 s"),
                       ("pause", "SIGSTOP a node (frozen; fenced after 9 s)"),
                       ("resume", "SIGCONT a paused node"),
                       ("restart", "stop (if running) and start a node, wait until it is ready")):
        p = sub.add_parser(name, help=text)
        p.add_argument("node", type=int, metavar="N")
    logs = sub.add_parser("logs", help="print a node's log")
    logs.add_argument("node", type=int, metavar="N")
    logs.add_argument("--lines", "-n", type=int, default=40)
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new lines")
    for action_parser in sub.choices.values():
        add_state_dir_argument(action_parser)


def run(args: argparse.Namespace) -> int:
    from tui.lab import LabCluster, LabError

    state_dir: Path | None = args.state_dir
    cluster = LabCluster(state_dir, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        return _dispatch(cluster, args)
    except LabError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted")


def _dispatch(cluster: object, args: argparse.Namespace) -> int:
    from tui.lab import LabCluster

    assert isinstance(cluster, LabCluster)
    action = args.lab_action
    if action == "up":
        _take_over(cluster)
        spec = cluster.up(nodes=args.nodes, profile=args.profile, security=args.security,
                          timeout=args.timeout, kafka_version=args.kafka_version)
        say(spec.bootstrap())
        secure = spec.secure_bootstrap()
        if secure:
            from tui.lab.security import connection_snippet

            print(f"secure listener ({spec.security}): {secure}\n{connection_snippet(cluster.dir)}",
                  file=sys.stderr)
        return 0
    if action == "status":
        return _status(cluster, args.json)
    if action == "down":
        holder = cluster.ownership() if cluster.exists() else None
        stopped = cluster.down()
        if stopped and holder is not None and holder.state == LabOwnerState.ORPHANED:
            say(f"stopped the {holder.describe()} lab: nodes {stopped}")
        else:
            say(f"stopped nodes {stopped}" if stopped else "no lab node was running")
        return 0
    if action == "reset":
        cluster.reset()
        say(f"lab reset: {cluster.dir} removed")
        return 0
    if action == "logs":
        return _logs(cluster, args.node, args.lines, args.follow)
    getattr(cluster, action)(args.node)
    say(f"node {args.node}: {cluster.node_state(args.node)}")
    return 0


def _take_over(cluster: object) -> None:
    """`lab up` on a lab some program owns (or owned, and died): it runs until `lab down` from now."""
    from tui.lab import LabCluster
    from tui.lab.session import wait_while_stopping

    assert isinstance(cluster, LabCluster)
    if not cluster.exists():
        return
    wait_while_stopping(cluster, lambda line: print(line, file=sys.stderr, flush=True))
    before = cluster.disown()
    rec = before.record
    if rec is None:
        return
    if before.state == LabOwnerState.OWNED:
        note = f"The lab belonged to pid {rec.pid} ({rec.command})"
    elif before.state == LabOwnerState.ORPHANED:
        note = f"Adopted the lab left running by pid {rec.pid} ({rec.command}), which is gone"
    else:
        return
    print(f"{note}; it now runs until `lab down`.", file=sys.stderr, flush=True)


def _owner_json(holder: Any) -> dict[str, Any]:
    rec = holder.record
    data: dict[str, Any] = {"state": str(holder.state)}
    if rec is not None and holder.state != LabOwnerState.NONE:
        data.update(pid=rec.pid, command=rec.command, supervisor_pid=rec.supervisor_pid,
                    since=rec.since)
    return data


def _status(cluster: object, as_json: bool) -> int:
    from tui.lab import LabCluster
    from tui.lab.session import OrphanedLab

    assert isinstance(cluster, LabCluster)
    spec = cluster.spec
    nodes = cluster.status()
    holder = cluster.ownership()
    if as_json:
        emit_json({
            "state_dir": str(cluster.dir), "nodes": spec.nodes, "profile": spec.profile,
            "security": spec.security, "bootstrap": spec.bootstrap(),
            "cluster_id": spec.cluster_id, "kafka_version": spec.kafka_version,
            "owner": _owner_json(holder),
            "node_status": [
                {"id": n.node_id, "pid": n.pid, "state": n.state, "broker_port": n.broker_port,
                 "controller_port": n.controller_port, "active_controller": n.active_controller,
                 "leader_partitions": n.leader_partitions} for n in nodes],
        })
        return 0
    say(f"lab {cluster.dir}  ({spec.nodes} node{'s' if spec.nodes > 1 else ''}, Kafka "
        f"{spec.kafka_version}, profile {spec.profile}, {spec.security})")
    if holder.state == LabOwnerState.ORPHANED:
        say(f"owner: {holder.describe()}. {OrphanedLab(str(cluster.dir), holder)}")
    elif any(n.state in ("running", "paused") for n in nodes):
        say(f"owner: {holder.describe()}")
    say(f"bootstrap {spec.bootstrap()}")
    say(f"{'node':>4}  {'state':<8} {'pid':>7}  {'broker':>6}  {'ctrl':>6}  {'controller':<10} leads")
    for n in nodes:
        ctrl = {True: "active", False: "voter", None: "-"}[n.active_controller]
        leads = "-" if n.leader_partitions is None else str(n.leader_partitions)
        say(f"{n.node_id:>4}  {n.state:<8} {n.pid or '-':>7}  {n.broker_port:>6}  "
            f"{n.controller_port:>6}  {ctrl:<10} {leads}")
    return 0


def _logs(cluster: object, node: int, lines: int, follow: bool) -> int:
    from tui.lab import LabCluster

    assert isinstance(cluster, LabCluster)
    cluster._check_node(node)
    say(cluster.log_tail(node, lines))
    if not follow:
        return 0
    path = cluster.log_file(node)
    with path.open("rb") as handle:
        handle.seek(0, 2)
        while True:
            chunk = handle.read()
            if chunk:
                sys.stdout.write(chunk.decode(errors="replace"))
                sys.stdout.flush()
            else:
                time.sleep(0.2)


__all__ = ["ACTIONS", "add_arguments", "run", "json"]
