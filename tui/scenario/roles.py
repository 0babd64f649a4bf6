"""Resolving a node reference (number, ``leader-of``, ``follower-of``, saved name) to a node id.

Pure: the caller passes the partition's current state. Followers are chosen deterministically
(in-sync followers first, lowest id first) so the same scenario breaks the same kind of node each run.
"""

from __future__ import annotations

from collections.abc import Mapping

from tui.engine import PartitionMeta
from tui.scenario.model import NodeRef


def resolve_node(ref: NodeRef, state: PartitionMeta | None, saved: Mapping[str, int]) -> int:
    """The node id ``ref`` means now; ``ValueError`` (one sentence) when it cannot be known."""
    if ref.number is not None:
        return ref.number
    if ref.ref is not None:
        if ref.ref not in saved:
            raise ValueError(f"No earlier step saved a node as {ref.ref!r}.")
        return saved[ref.ref]
    where = f"{ref.topic}/{ref.partition}"
    if state is None:
        raise ValueError(f"Cannot learn who leads {where}: the cluster did not answer.")
    if ref.role == "leader-of":
        if state.leader < 0:
            raise ValueError(f"Partition {where} has no leader right now.")
        return state.leader
    followers = [n for n in state.replicas if n != state.leader]
    if not followers:
        raise ValueError(f"Partition {where} has no follower (replicas {list(state.replicas)}).")
    in_sync = sorted(n for n in followers if n in state.isr)
    return in_sync[0] if in_sync else sorted(followers)[0]
