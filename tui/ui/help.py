"""The help screen, generated from the command registry (with the user's keymap applied)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.ui.registry import COMMANDS, SCREENS, display_key, effective_key

SCOPE_TITLES = {"app": "Everywhere", **dict(SCREENS)}


def help_table(keymap: dict[str, str], is_lab: bool = True) -> Table:
    table = Table(box=None, padding=(0, 2), expand=True, show_header=True, header_style="bold")
    table.add_column("where")
    table.add_column("key")
    table.add_column("command")
    table.add_column("what it does")
    table.add_column("id (keymap.yaml)", style="dim")
    for command in COMMANDS:
        note = "" if is_lab or not command.lab_only else " (lab only)"
        table.add_row(SCOPE_TITLES.get(command.scope, command.scope),
                      Text(display_key(effective_key(command, keymap)), style="bold"),
                      command.title, command.help + note, command.id)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close", id="help.close")]
    CSS_PATH = Path(__file__).with_name("help.tcss")

    def __init__(self, keymap: dict[str, str], keymap_path: str, is_lab: bool) -> None:
        super().__init__()
        self.keymap = keymap
        self.keymap_path = keymap_path
        self.is_lab = is_lab

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Label("kafka-explorer — commands", id="help-title")
            with VerticalScroll():
                yield Static(help_table(self.keymap, self.is_lab))
            yield Static(f"Every command is also in the palette (ctrl+p). Remap keys in "
                         f"{self.keymap_path}, e.g. `node.kill: ctrl+k`. Tabs and buttons are "
                         "clickable. escape closes.", id="help-foot", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
