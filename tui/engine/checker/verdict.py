"""The checker's output: anomalies with their records and causes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    anomalies: tuple[object, ...] = ()
