"""The explorer on a recording: :class:`ReplayApp` (the real ExplorerApp plus a control bar).

:class:`ReplayBar` is one line above the footer: play/pause, the position on a time slider (click
anywhere on it to jump there), the speed, and the keys. The keys are app bindings, so they work on
every screen (the Scenarios screen too): ``P`` play/pause, ``[``/``]`` 10 s back/forward, ``<``/``>``
slower/faster, ``{``/``}`` to the start/end. None of them is an explorer key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget

from tui.recording.replay import ReplayEngine
from tui.ui.app import ExplorerApp
from tui.ui.widgets.key_footer import KeyFooter

STEP_S = 10.0
_PLAY, _PAUSE = "▶", "⏸"
_KEYS = "P play/pause · [ ] ±10 s · < > speed · { } start/end"


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


class ReplayBar(Widget):
    """Play/pause, time slider and speed of a replay (reads the engine's clock four times a second)."""



    def __init__(self, engine: ReplayEngine, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.engine = engine
        self._slider: tuple[int, int] = (0, 0)
        """Columns of the slider in the last render (start, width), for clicks."""

    def on_mount(self) -> None:
        self.set_interval(0.25, self.refresh)

    def render(self) -> Text:
        clock = self.engine.clock
        recording = self.engine.recording
        width = self.size.width or 120
        position = clock.position() - clock.start
        total = clock.end - clock.start
        head = f" {_PAUSE if clock.playing else _PLAY} {clock_text(position)} "
        speed = f"{clock.speed:g}".rstrip(".")
        note = " ⚠ recording stopped early" if (recording.stopped or recording.truncated) else ""
        tail = f" {clock_text(total)} ×{speed}{note}  {_KEYS}"
        if width - len(head) - len(tail) < 10:
            tail = f" {clock_text(total)} ×{speed}{note}"
        slider_width = max(4, width - len(head) - len(tail) - 1)
        self._slider = (len(head), slider_width)
        filled = min(slider_width - 1, int(clock.fraction() * (slider_width - 1)))
        text = Text(head, style="bold")
        text.append("━" * filled, style="bold")
        text.append("●", style="bold reverse")
        text.append("─" * (slider_width - filled - 1), style="dim")
        text.append(tail)
        return text

    def on_click(self, event: events.Click) -> None:
        start, width = self._slider
        if start <= event.x < start + width:
            self.engine.clock.seek_fraction((event.x - start) / max(1, width - 1))
        elif event.x < start:
            self.engine.clock.toggle()
        self.moved()

    def moved(self) -> None:
        """The clock changed: redraw now, and have the explorer pull the frame at once."""
        self.refresh()
        pump = getattr(self.app, "pump", None)
        if pump is not None:
            pump.poke()


class ReplayApp(ExplorerApp):
    CSS_PATH = [*ExplorerApp.CSS_PATH, Path(__file__).with_name("replay.tcss")]
    """The explorer, read-only, on a :class:`ReplayEngine`; its Scenarios screen replays the
    recorded scenario run."""

    BINDINGS = [
        Binding("P", "replay_toggle", "Play/pause", show=False),
        Binding("left_square_bracket", f"replay_step({-STEP_S})", "Back 10 s", show=False),
        Binding("right_square_bracket", f"replay_step({STEP_S})", "Forward 10 s", show=False),
        Binding("less_than_sign", "replay_speed(False)", "Slower", show=False),
        Binding("greater_than_sign", "replay_speed(True)", "Faster", show=False),
        Binding("left_curly_bracket", "replay_edge(0)", "To the start", show=False),
        Binding("right_curly_bracket", "replay_edge(1)", "To the end", show=False),
    ]

    def __init__(self, engine: ReplayEngine, **kwargs: Any) -> None:
        super().__init__(engine, start_run=engine.start_run, **kwargs)
        self.replay = engine

    def compose(self) -> Any:
        # the bar goes in the flow above the footer (two widgets docked at the bottom would overlap)
        for widget in super().compose():
            if isinstance(widget, KeyFooter):
                yield ReplayBar(self.replay, id="replay-bar")
            yield widget

    def _moved(self) -> None:
        self.query_one(ReplayBar).moved()

    def action_replay_toggle(self) -> None:
        self.replay.clock.toggle()
        self._moved()

    def action_replay_step(self, seconds: float) -> None:
        self.replay.clock.step(seconds)
        self._moved()

    def action_replay_speed(self, up: bool) -> None:
        speed = self.replay.clock.faster(up)
        self.notify(f"Replay speed ×{speed:g}", timeout=2)
        self._moved()

    def action_replay_edge(self, fraction: float) -> None:
        self.replay.clock.seek_fraction(fraction)
        self._moved()
