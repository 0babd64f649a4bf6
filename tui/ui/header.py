"""The status header: where the app is connected and how healthy the cluster is, in one line."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui.engine import Snapshot

LEVEL_COLOURS = {"ok": "$success", "degraded": "$warning", "down": "$error"}
"""Health level -> theme variable (Textual resolves it when it renders, so a theme switch
restyles the header by itself)."""


def health(snapshot: Snapshot) -> tuple[str, str]:
    """(level, sentence): level is ok | degraded | down | unknown."""
    cluster = snapshot.cluster
    lab_down = snapshot.lab_down
    if cluster is None:
        if lab_down:
            return "down", f"lab node {', '.join(map(str, lab_down))} not running"
        return "unknown", "waiting for the first watcher refresh"
    brokers = cluster.brokers
    up = sum(1 for b in brokers if b.is_up)
    offline = cluster.offline_count
    under = cluster.under_replicated_count
    text = f"brokers {up}/{len(brokers)} up"
    if lab_down:
        text += f" · lab node {', '.join(map(str, lab_down))} not running"
    text += f" · {cluster.partition_count} partitions"
    if under:
        text += f" · {under} under-replicated"
    if offline:
        text += f" · {offline} offline"
    stale = [s.name for s in cluster.stale_sections]
    if stale:
        text += f" · stale: {', '.join(stale)}"
    if offline or (brokers and not up):
        return "down", text
    if under or up < len(brokers) or lab_down or stale:
        return "degraded", text
    return "ok", text


class StatusHeader(Static):
    def show(self, snapshot: Snapshot) -> None:
        level, sentence = health(snapshot)
        conn = snapshot.connection
        colour = LEVEL_COLOURS.get(level)
        self.update(Content.assemble(
            ("kafka-explorer ", "bold"),
            f"· {conn.label} ({conn.bootstrap}) · ",
            (f"namespace {conn.namespace} · ", "bold") if conn.namespace else "",
            (f"● {level}", f"bold {colour}" if colour else "bold"),
            f" {sentence}",
            f" · producers {len(snapshot.producers.active)} active",
            f" · members {len(snapshot.consumers.active)}",
            f" · run {conn.run_id}",
        ))
