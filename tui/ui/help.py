"""The help screen: getting started, every command with its live key (from the registry and the
user's keymap, collisions marked), moving around tables, lists and forms, what the columns mean
(the anomaly codes from :data:`tui.vocab.ANOMALY_TITLES`), and where the explorer keeps its files
(the keymap, the settings, the log)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import paths
from tui.logsetup import APP_LOGGER
from tui.ui.registry import COMMANDS, SCOPE_TITLES, display_key, effective_key, key_conflicts, key_for
from tui.ui.settings import settings_file
from tui.vocab import ANOMALY_TITLES

SCOPE_ORDER = ("app", "cluster", "produce", "consumers", "verdict", "timeline", "scenarios", "browse",
               "tune")

MOVING = (
    ("↑ ↓  pgup pgdn  home end", "move the cursor in a table or list; the mouse wheel scrolls"),
    ("tab  shift+tab", "move between tables, lists and buttons (the focused one has the keys)"),
    ("enter", "select the row: on Cluster a topic filters the partitions; on Verdict a count "
              "shows only that kind of anomaly (enter again: every kind)"),
    ("/", "filter the focused table's rows by name or regular expression (escape clears)"),
    ("click", "tabs, rows and buttons are clickable"),
    ("forms", "enter: next field · ctrl+s: OK · escape: cancel · ←/→ or space: change a choice "
              "(a letter jumps to it)"),
    ("ctrl+p", "the command palette: every command below and every theme, by name"),
)

GLOSSARY: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Produce", (
        ("sent", "produce() calls librdkafka accepted"),
        ("acked", "delivery reports without error (acks=0: sent with no answer expected)"),
        ("fail def", "failed definite: the broker refused the record, it is certainly not written"),
        ("fail indef", "failed indefinite: timed out or purged in flight, it may be written; the "
                       "verdict finds out"),
        ("pending", "sent, no delivery report yet (queued or in flight)"),
        ("unknown", "sent and never reported: the producer ended before its report came"),
        ("acks/s", "delivery reports per second over the last ~2 s"),
        ("p50 … max", "send-to-ack latency percentiles in milliseconds"),
        ("batch", "records per batch (librdkafka statistics, averaged)"),
    )),
    ("Consumers", (
        ("inc", "incarnation: 0 for the member's first client, +1 after each restart"),
        ("gen", "this incarnation's count of non-empty assignments: the explorer's own counter, "
                "not the group generation (librdkafka does not give that to Python)"),
        ("assigned", "partitions the member holds now (∅: none)"),
        ("redelivered", "deliveries of offsets the group had been given before"),
        ("commits ok/failed", "offset commits the coordinator accepted / refused"),
        ("lag", "high watermark minus the group's committed offset"),
    )),
    ("Cluster", (
        ("ISR", "in-sync replicas: ▼ shrank, ▲ grew; ◆ marks a leader that moved"),
        ("log start / high wm", "first offset kept / offset after the last replicated record"),
    )),
)


def log_path() -> Path | None:
    """Where this process writes the app's log (the handler the command line attached), else None."""
    for handler in logging.getLogger(APP_LOGGER).handlers:
        filename = getattr(handler, "baseFilename", None)
        if isinstance(filename, str):
            return Path(filename)
    return None


def getting_started(keymap: Mapping[str, str], is_lab: bool) -> Text:
    def k(command_id: str) -> str:
        return key_for(command_id, keymap)

    steps = [
        f"Cluster ({k('screen.cluster')}): brokers{', lab nodes' if is_lab else ''}, topics and "
        f"partitions; {k('topic.create')} creates a topic.",
        f"Produce ({k('screen.produce')}): {k('producer.new')} starts a producer (acks, keys, count; "
        "a missing topic is created for you); watch acked, failures and latency.",
        f"Consumers ({k('screen.consumers')}): {k('member.add')} adds group members with a commit "
        f"strategy; {k('member.crash')} crashes one for real, {k('member.restart')} restarts it.",
        f"Verdict ({k('screen.verdict')}): {k('verdict.compute')} judges every record (lost, "
        f"redelivered, skipped...); enter on a count filters, {k('verdict.explain')} tells one "
        "record's story.",
        f"Scenarios ({k('screen.scenarios')}): guided experiments step by step with narration; "
        f"{k('app.narration')} shows the narration beside the live screens.",
    ]
    text = Text()
    for number, step in enumerate(steps, 1):
        text.append(f"{number}. ", style="bold")
        text.append(step + "\n")
    return text


def help_table(keymap: Mapping[str, str], is_lab: bool = True) -> Table:
    """Every registry command by where it works, with the live key and its stable id; a key lost
    to a collision is marked with the command that took it."""
    conflicts = key_conflicts(keymap)
    lost = {c.loser: c for c in conflicts if c.loser is not None}
    taken = {c.winner for c in conflicts}
    table = Table(box=None, padding=(0, 1), expand=True, show_header=True, header_style="bold")
    table.add_column("key", no_wrap=True)
    table.add_column("command  (id for keymap.yaml)", no_wrap=True)
    table.add_column("what it does", ratio=1)
    for scope in SCOPE_ORDER:
        commands = [c for c in COMMANDS if c.scope == scope]
        if not commands:
            continue
        table.add_row(Text(SCOPE_TITLES.get(scope, scope), style="bold underline"), "", "")
        for command in commands:
            note = "" if is_lab or not command.lab_only else " (lab only)"
            key = Text(display_key(effective_key(command, keymap)), style="bold")
            what = Text(command.help + note)
            if command.id in lost:
                conflict = lost[command.id]
                key = Text(f"⚠ {key.plain}", style="bold red")
                what.append(f"\n⚠ no key here: {conflict.winner} took {display_key(conflict.key)}",
                            style="red")
            elif command.id in taken:
                key = Text(f"⚠ {key.plain}", style="bold yellow")
            name = Text(command.title)
            name.append(f"\n{command.id}", style="dim")
            table.add_row(key, name, what)
    return table


def glossary() -> Group:
    parts: list[RenderableType] = []
    for screen, entries in GLOSSARY:
        table = Table(box=None, padding=(0, 1), expand=True, show_header=False)
        table.add_column(no_wrap=True, style="bold")
        table.add_column(ratio=1)
        table.add_row(Text(screen, style="bold underline"), "")
        for word, meaning in entries:
            table.add_row(word, meaning)
        parts.append(table)
    table = Table(box=None, padding=(0, 1), expand=True, show_header=False)
    table.add_column(no_wrap=True, style="bold")
    table.add_column(ratio=1)
    table.add_row(Text("Verdict", style="bold underline"), "")
    table.add_row("violation", "a finding the settings should have prevented (a bug to explain)")
    table.add_row("expected", "what the chosen settings allow (acks=0 losses, auto-commit skips)")
    table.add_row("liveness", "not there yet: never consumed, stuck (the run may just be short)")
    for kind, title in ANOMALY_TITLES.items():
        table.add_row(str(kind), title)
    parts.append(table)
    return Group(*parts)


def files_text(keymap_path: str, log: Path | None, settings: Path | None = None) -> Text:
    text = Text()
    text.append("keymap   ", style="bold")
    text.append(f"{keymap_path}  (remap by command id, e.g. node.kill: ctrl+k)\n")
    text.append("settings ", style="bold")
    text.append(f"{settings or settings_file()}  (theme and the last form values)\n")
    text.append("log      ", style="bold")
    text.append(f"{log}\n" if log is not None else
                f"not written by this process (the command line writes {paths.log_file()})\n")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close", id="help.close")]
    CSS_PATH = Path(__file__).with_name("help.tcss")

    def __init__(self, keymap: Mapping[str, str], keymap_path: str, is_lab: bool, *,
                 log: Path | None = None, settings: Path | None = None) -> None:
        super().__init__()
        self.keymap = dict(keymap)
        self.keymap_path = keymap_path
        self.is_lab = is_lab
        self.log_file = log if log is not None else log_path()
        self.settings_path = settings

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            with VerticalScroll(id="help-body"):
                yield Static(Text("Getting started", style="bold"), classes="help-heading")
                yield Static(getting_started(self.keymap, self.is_lab), id="help-start")
                conflicts = key_conflicts(self.keymap)
                if conflicts:
                    yield Static(Text("\n".join(f"⚠ {c.sentence}" for c in conflicts)),
                                 id="help-conflicts")
                yield Static(Text("Commands", style="bold"), classes="help-heading")
                yield Static(help_table(self.keymap, self.is_lab), id="help-commands")
                yield Static(Text("Moving around", style="bold"), classes="help-heading")
                yield Static(moving_table(), id="help-moving")
                yield Static(Text("What the columns mean", style="bold"), classes="help-heading")
                yield Static(glossary(), id="help-glossary")
                yield Static(Text("Files", style="bold"), classes="help-heading")
                yield Static(files_text(self.keymap_path, self.log_file, self.settings_path), id="help-files")
            yield Static("escape closes · ↑↓ pgup pgdn scroll", id="help-foot", markup=False)

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "kafka-explorer — help"
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)


def moving_table() -> Table:
    table = Table(box=None, padding=(0, 1), expand=True, show_header=False)
    table.add_column(no_wrap=True, style="bold")
    table.add_column(ratio=1)
    for keys, meaning in MOVING:
        table.add_row(keys, meaning)
    return table
