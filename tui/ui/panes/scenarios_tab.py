"""The sixth tab: workshop scenarios run on a screen of their own (with narration beside the steps);
this tab names them in the tab bar and opens that screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.engine import Snapshot
from tui.ui.messages import ScenariosWanted
from tui.ui.panes.base import DataKey, Pane


class ScenariosTab(Pane):
    PUMP_HZ = 1.0

    def __init__(self) -> None:
        super().__init__(id="scenarios")

    @staticmethod
    def data_key(snapshot: Snapshot) -> DataKey:
        return ()

    def compose(self) -> ComposeResult:
        yield Static("", id="scenarios-hint")

    def on_mount(self) -> None:
        self.query_one("#scenarios-hint", Static).update(
            f"Workshop scenarios run on their own screen, step by step with narration: press "
            f"{self.key('screen.scenarios')} to open it; escape there comes back to the live "
            "screens while the run stays where it is.")

    def open(self) -> None:
        self.post_message(ScenariosWanted())
