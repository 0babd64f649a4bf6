"""Frozen views of the watched cluster for snapshots."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClusterView:
    brokers: tuple[object, ...] = ()
