"""What the Tune screen compares, as pure functions of the producer views (unit-tested).

Two or more producer profiles are compared on the settings that move latency and throughput; the one
setting that differs is what the screen highlights (several differing settings are listed, since then
no single one explains the difference).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui.engine import SWEEP_PREFIX, RunnerView

MAX_COMPARED = 6
"""Profiles drawn at once (beyond that the plots stop being readable)."""

SETTINGS: tuple[tuple[str, str], ...] = (
    # (label, RunnerView attribute)
    ("acks", "acks"),
    ("idempotence", "idempotent"),
    ("max.in.flight", "max_in_flight"),
    ("linger.ms", "linger_ms"),
    ("batch.size", "batch_size"),
    ("compression", "compression"),
    ("value content", "value_content"),
    ("value size", "value_size"),
    ("keys", "key_mode"),
    ("rate", "target_rate"),
    ("topic", "topic"),
)


@dataclass(frozen=True)
class Difference:
    label: str
    values: tuple[tuple[str, str], ...]
    """(producer, its value) for every compared producer."""

    def text(self) -> str:
        return f"{self.label}: " + " · ".join(f"{name} {value}" for name, value in self.values)


def runner_key(r: RunnerView) -> str:
    return f"{r.name}#{r.incarnation}"


def setting(r: RunnerView, attribute: str) -> str:
    value = getattr(r, attribute)
    if attribute == "target_rate":
        return "open" if value is None else f"{value:g}/s"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def differences(runners: Sequence[RunnerView]) -> tuple[Difference, ...]:
    """The settings whose values differ among ``runners`` (none for fewer than two)."""
    if len(runners) < 2:
        return ()
    out: list[Difference] = []
    for label, attribute in SETTINGS:
        values = tuple((r.name, setting(r, attribute)) for r in runners)
        if len({v for _, v in values}) > 1:
            out.append(Difference(label, values))
    return tuple(out)


def compared(runners: Sequence[RunnerView], selected: set[str]) -> tuple[RunnerView, ...]:
    """The profiles the screen compares: those selected, else the latest of each name that sent
    records, leaving out a sweep's own producers (the sweep plot shows those); at most
    :data:`MAX_COMPARED`, newest last."""
    if selected:
        return tuple(r for r in runners if runner_key(r) in selected)[-MAX_COMPARED:]
    latest: dict[str, RunnerView] = {}
    for r in runners:
        if r.sent and not r.name.startswith(SWEEP_PREFIX):
            latest[r.name] = r
    return tuple(latest.values())[-MAX_COMPARED:]


def cdf_points(r: RunnerView) -> tuple[list[float], list[float]]:
    """(latency in ms, % of records at or below it) of a producer's send -> ack distribution."""
    xs = [max(v * 1000.0, 0.001) for v, _q in r.latency.cdf]
    ys = [q * 100.0 for _v, q in r.latency.cdf]
    return xs, ys
