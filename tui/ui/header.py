"""The status header: where the app is connected and how healthy the cluster is, in one line."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from tui.engine.snapshot import Snapshot
from tui.ui import model

_last: tuple[object, object, tuple[str, str]] | None = None


def health(snapshot: Snapshot) -> tuple[str, str]:
    """Cached per (cluster view, lab) pair: both are immutable."""
    global _last
    if _last is not None and _last[0] is snapshot.cluster and _last[1] == snapshot.lab:
        return _last[2]
    result = _health(snapshot)
    _last = (snapshot.cluster, snapshot.lab, result)
    return result


def _health(snapshot: Snapshot) -> tuple[str, str]:
    """(level, sentence): level is ok | degraded | down | unknown."""
    cluster = snapshot.cluster
    lab_down = [n.node_id for n in snapshot.lab if n.state != "running"]
    if cluster is None:
        if lab_down:
            return "down", f"lab node {', '.join(map(str, lab_down))} not running"
        return "unknown", "waiting for the first watcher refresh"
    brokers = model.brokers(cluster)
    up = [b for b in brokers if b.state == "up"]
    parts = model.partitions(cluster)
    offline = sum(1 for p in parts if p.offline)
    under = sum(1 for p in parts if len(p.isr) < len(p.replicas))
    text = f"brokers {len(up)}/{len(brokers)} up"
    if lab_down:
        text += f" · lab node {', '.join(map(str, lab_down))} not running"
    text += f" · {len(parts)} partitions"
    if under:
        text += f" · {under} under-replicated"
    if offline:
        text += f" · {offline} offline"
    stale = [s.name for s in model.sections(cluster) if s.state != "ok"]
    if stale:
        text += f" · stale: {', '.join(stale)}"
    if offline or (brokers and not up):
        return "down", text
    if under or len(up) < len(brokers) or lab_down or stale:
        return "degraded", text
    return "ok", text


class StatusHeader(Static):
    DEFAULT_CSS = """
    StatusHeader { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def show(self, snapshot: Snapshot) -> None:
        level, sentence = health(snapshot)
        variables = self.app.theme_variables
        colour = {"ok": variables.get("success"), "degraded": variables.get("warning"),
                  "down": variables.get("error")}.get(level)
        conn = snapshot.connection
        producers = model.producers(snapshot.producers)
        members = model.members(snapshot.consumers)
        text = Text.assemble(
            ("kafka-explorer ", Style(bold=True)),
            f"· {conn.label} ({conn.bootstrap}) · ",
            (f"● {level}", Style(color=colour, bold=True) if colour else Style(bold=True)),
            f" {sentence}",
            f" · producers {sum(1 for p in producers if p.active)} active",
            f" · members {sum(1 for m in members if m.state in ('running', 'paused', 'joining'))}",
            f" · run {conn.run_id}",
        )
        self.update(text)
