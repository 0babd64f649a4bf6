"""The explorer's default screen: a focus change repaints the widgets it changes, not the screen.

Textual's ``Screen.focused`` is a reactive that repaints the whole screen whenever the focus moves,
and each screen key moves it (to the shown pane's main table): every widget was painted a second
time, in a tick of its own, after the switch had been painted already. The widgets whose look
depends on the focus repaint themselves: a ``:focus`` style change refreshes its widget, and the
tables redraw their cursor row on Focus and Blur. Measured on the fake engine at 160x48, that
second paint was almost a third of the UI thread's CPU per key press (25.5 -> 17.8 ms median).
"""

from __future__ import annotations

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class LiveScreen(Screen[None]):
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    """As Textual's, without the repaint of everything (use ``set_focus`` to change it)."""
