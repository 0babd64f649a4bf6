"""The status header: where the app is connected and how healthy the cluster is, in one line.

It says what is known, not what was last seen: when the cluster's metadata did not come back, the
brokers are not "1/1 up" but "no answer for 12 s" (what the watcher last saw is only a memory).
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui.engine import Snapshot
from tui.ui.fmt import ago
from tui.ui.widgets.put import put

LEVEL_COLOURS = {"ok": "$success", "degraded": "$warning", "down": "$error",
                 "unreachable": "$error"}
"""Health level -> theme variable (Textual resolves it when it renders, so a theme switch
restyles the header by itself)."""

RUN_ID_HELP = ("run id: the prefix of every msg_id this session (msg_id = run/producer/"
               "incarnation/seq), in each record's kx-id header and value")


def health(snapshot: Snapshot) -> tuple[str, str]:
    """(level, sentence): level is ok | degraded | down | unreachable | unknown."""
    cluster = snapshot.cluster
    lab_down = snapshot.lab_down
    if cluster is None:
        if lab_down:
            return "down", f"lab node {', '.join(map(str, lab_down))} not running"
        return "unknown", "waiting for the cluster's first answer"
    brokers = cluster.brokers
    lab_note = f" · lab node {', '.join(map(str, lab_down))} not running" if lab_down else ""
    starting = [n.node_id for n in snapshot.lab if snapshot.node_state(n.node_id) == "starting"]
    if starting:
        lab_note += f" · node {', '.join(map(str, starting))} starting…"
    age = cluster.section_age("brokers", snapshot.ts)
    if not cluster.brokers_answering:
        since = f"no answer for {ago(age)}" if age is not None else "no answer yet"
        return "unreachable", f"brokers: {since}{lab_note}"
    up = sum(1 for b in brokers if b.is_up)
    offline = cluster.offline_count
    under = cluster.under_replicated_count
    text = f"brokers {up}/{len(brokers)} up{lab_note} · {cluster.partition_count:,} partitions"
    if under:
        text += f" · {under:,} under-replicated"
    if offline:
        text += f" · {offline:,} offline"
    unknown = cluster.unknown_count
    if unknown:
        text += f" · {unknown:,} availability unknown"
    stale = [s.name for s in cluster.stale_sections]
    if stale:
        text += f" · stale: {', '.join(stale)}"
    if offline or (brokers and not up):
        return "down", text
    if under or up < len(brokers) or lab_down or stale or starting or unknown:
        return "degraded", text
    return "ok", text


def header_key(snapshot: Snapshot) -> tuple[object, ...]:
    """What the header shows (the pump posts a snapshot only when this or the pane's data moved)."""
    return (snapshot.cluster, snapshot.lab, snapshot.connection,
            len(snapshot.producers.active), len(snapshot.consumers.active))


class StatusHeader(Static):
    """One line; what does not fit the window is left out, least important first (the bootstrap
    address, the app's name, the run id...), never the health."""

    _snapshot: Snapshot | None = None

    def on_mount(self) -> None:
        self.tooltip = RUN_ID_HELP

    def on_resize(self) -> None:
        if self._snapshot is not None:
            self.show(self._snapshot)

    def show(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        level, sentence = health(snapshot)
        conn = snapshot.connection
        colour = LEVEL_COLOURS.get(level)
        # (priority, piece) in display order; lower priorities stay when the line is too long
        pieces: list[tuple[int, Content]] = [
            (5, Content.styled("kafka-explorer · ", "bold")),
            (3, Content(f"{conn.label} · ")),
            *([(1, Content.styled(f"namespace {conn.namespace} · ", "bold"))] if conn.namespace else []),
            (6, Content(f"({conn.bootstrap}) · ")),
            (0, Content.assemble((f"● {level}", f"bold {colour}" if colour else "bold"),
                                 f" {sentence}")),
            (1, Content(f" · producers {len(snapshot.producers.active)} active"
                        f" · members {len(snapshot.consumers.active)}")),
            (2, Content(f" · run id {conn.run_id}")),
        ]
        room = self.content_region.width or 1_000
        kept: set[int] = set()
        used = 0
        for index, (_, piece) in sorted(enumerate(pieces), key=lambda item: item[1][0]):
            if not kept or used + piece.cell_length <= room:
                kept.add(index)
                used += piece.cell_length
        content = Content.assemble(*(piece for i, (_, piece) in enumerate(pieces) if i in kept))
        put(self, content)
