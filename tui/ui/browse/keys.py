"""The Browse screen's commands, and the message other screens post to open it at a record.

The command registry (:mod:`tui.ui.registry`) lists these (``scope="browse"``) for the palette, the
help screen and ``keymap.yaml``; the pane builds its bindings from the same rows, with the same ids,
so a remapped key works either way.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.binding import Binding, BindingType
from textual.message import Message

SCOPE = "browse"

BROWSE_KEYS: tuple[tuple[str, str, str, str, str], ...] = (
    # (id, key, title, help, action)
    ("browse.open", "o", "Open topic",
     "Read a topic (some partitions, from the beginning, the end, an offset, a time or the last N), "
     "without joining a group or committing.", "open"),
    ("browse.seek", "s", "Seek",
     "Read the same partitions again from beginning, end, an offset, @time or -N.", "seek"),
    ("browse.filter", "g", "Filter records",
     "Keep only records whose value or key matches a regular expression, with a key or a header "
     "(the engine filters; the table shows what matched).", "filter"),
    ("browse.follow", "f", "Follow", "Live tail: keep reading new records (or stop at the end).",
     "follow"),
    ("browse.pause", "space", "Pause reading", "Stop or resume fetching; what was read stays.",
     "pause"),
    ("browse.close", "x", "Close reader", "Close the reader and its consumer.", "close"),
)


def browse_bindings() -> list[BindingType]:
    return [Binding(key, action, title, id=command_id, tooltip=help_text)
            for command_id, key, title, help_text, action in BROWSE_KEYS]


def key_of(command_id: str, keymap: Mapping[str, str] | None = None) -> str:
    """The key shown for a browse command, with the user's keymap applied."""
    default = next(key for cid, key, *_ in BROWSE_KEYS if cid == command_id)
    key = (keymap or {}).get(command_id, default)
    return {"space": "space", "slash": "/"}.get(key, key)


class BrowseWanted(Message):
    """Open the Browse screen at a record (a verdict finding, a timeline event, a topic row):
    ``offset`` None reads the partition(s) from the beginning."""

    def __init__(self, topic: str, partition: int | None = None, offset: int | None = None) -> None:
        super().__init__()
        self.topic = topic
        self.partition = partition
        self.offset = offset
