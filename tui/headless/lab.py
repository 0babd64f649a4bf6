"""``kafka-explorer lab ...``: start, inspect, break and stop the local lab cluster."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tui.connect import add_state_dir_argument
from tui.headless.output import emit_json, fail, say

ACTIONS = ("up", "status", "down", "kill", "stop", "pause", "resume", "restart", "logs", "reset")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="lab_action", metavar="ACTION", required=True)
    up = sub.add_parser("up", help="start the lab cluster (or reuse the running one)")
    up.add_argument("--nodes", type=int, choices=(1, 3), default=3, help="cluster size (default 3)")
    up.add_argument("--profile", choices=("default", "slow-replication"), default="default",
                    help="slow-replication: followers fetch every ~5 s (deterministic acks=1 loss)")
    up.add_argument("--security", choices=("plaintext", "sasl-scram", "ssl"), default="plaintext",
                    help="add a SASL/SCRAM or TLS listener beside PLAINTEXT")
    up.add_argument("--timeout", type=float, default=120.0, help="readiness timeout in seconds")
    status = sub.add_parser("status", help="per-node state, ports, controller, leaderships")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    sub.add_parser("down", help="stop every node (SIGTERM, then SIGKILL after 20 s)")
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
        spec = cluster.up(nodes=args.nodes, profile=args.profile, security=args.security,
                          timeout=args.timeout)
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
        stopped = cluster.down()
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


def _status(cluster: object, as_json: bool) -> int:
    from tui.lab import LabCluster

    assert isinstance(cluster, LabCluster)
    spec = cluster.spec
    nodes = cluster.status()
    if as_json:
        emit_json({
            "state_dir": str(cluster.dir), "nodes": spec.nodes, "profile": spec.profile,
            "security": spec.security, "bootstrap": spec.bootstrap(),
            "cluster_id": spec.cluster_id,
            "node_status": [
                {"id": n.node_id, "pid": n.pid, "state": n.state, "broker_port": n.broker_port,
                 "controller_port": n.controller_port, "active_controller": n.active_controller,
                 "leader_partitions": n.leader_partitions} for n in nodes],
        })
        return 0
    say(f"lab {cluster.dir}  ({spec.nodes} nodes, profile {spec.profile}, {spec.security})")
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
