"""Frozen views of the producer lab for snapshots."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProducersView:
    runners: tuple[object, ...] = ()
