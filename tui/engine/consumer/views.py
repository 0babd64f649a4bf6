"""Frozen views of the consumer lab for snapshots."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsumersView:
    members: tuple[object, ...] = ()
