"""ExplorerApp: the kafka-explorer TUI. It renders pulled snapshots and submits commands; it never
touches Kafka (the engine does, on its own threads).

Data flow: a :class:`~tui.ui.bridge.SnapshotPump` thread posts ``SnapshotUpdated`` (only when what
the header or the visible pane shows moved, older ones replaced) and ``EventsArrived``; the app keeps
the snapshot in a reactive whose watcher renders the header and the visible pane. The pump pulls at
the rate the visible pane asks for (``Pane.PUMP_HZ``). Panes ask for things with messages
(``CommandRequested``, ``FormWanted``); a command's future comes back as ``CommandFinished`` via a
done-callback, so the UI thread never waits on Kafka.

Layout follows the window: the screen gets breakpoint classes (``-narrow`` below 100 columns,
``-short`` below 32 rows...) that the panes' stylesheets use, and every table fits its columns to
its width. ``/`` on any table opens one filter bar at the bottom for that table.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from pathlib import Path
from typing import Any

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.reactive import var
from textual.widgets import Input, TabbedContent, TabPane

from tui import foreground, paths
from tui.engine import Explain, Snapshot
from tui.logsetup import active_log_file
from tui.ui.bridge import EventsArrived, SnapshotPump, SnapshotUpdated
from tui.ui.browse.keys import BrowseWanted
from tui.ui.browse.pane import BROWSE_CSS, BrowsePane
from tui.ui.fast_table import FastTable
from tui.ui.forms.memory import FormValuesRemembered
from tui.ui.header import StatusHeader, header_key
from tui.ui.help import HelpScreen
from tui.ui.live_screen import LiveScreen
from tui.ui.messages import (
    CommandFinished,
    CommandRequested,
    ExplainWanted,
    FormWanted,
    PaletteCommandChosen,
    Request,
    ScenariosWanted,
    ThemeChosen,
    error_sentence,
)
from tui.ui.palette import ExplorerCommands
from tui.ui.panes.base import Pane
from tui.ui.panes.cluster import ClusterPane
from tui.ui.panes.consumers import ConsumersPane
from tui.ui.panes.produce import ProducePane
from tui.ui.panes.scenarios_tab import ScenariosTab
from tui.ui.panes.timeline import TimelinePane
from tui.ui.panes.verdict import VerdictPane
from tui.ui.port import EnginePort
from tui.ui.registry import BY_ID, COMMANDS, SCREENS, bindings_for
from tui.ui.settings import Settings, keymap_file, load_keymap, load_settings, save_settings
from tui.ui.themes import DEFAULT_THEME, ThemeSet, load_themes
from tui.ui.tune import TUNE_CSS, TunePane
from tui.ui.widgets import WIDGETS_CSS
from tui.ui.widgets.key_footer import KeyFooter

log = logging.getLogger("kafka_explorer.ui")

HERE = Path(__file__).parent
NOTIFY_KINDS_SKIPPED = ("command.failed",)
"""Error events that already reach the user through their command's future."""


class TableFilter(Input):
    """The filter bar of the table that asked for it (``/``): typing filters at once, enter keeps
    the filter, escape clears it; either way the table gets the focus back."""

    BINDINGS = [Binding("escape", "clear", "Clear filter", show=False)]
    target: FastTable | None = None

    def action_clear(self) -> None:
        self.value = ""
        if self.target is not None:
            self.target.set_filter("")
        self.close(keep=False)

    def close(self, keep: bool) -> None:
        self.remove_class("-open")
        if self.target is not None:
            self.target.focus()


class LiveTabs(TabbedContent):
    """The live screens' tabs. Textual shows the pane a widget was focused in (``TabPane.Focused``);
    here a focus landing in a hidden pane gives the focus back to the shown pane instead: it is a
    deferred ``focus()`` from before the last switch, or Textual handing a hidden widget's focus to a
    sibling on its Hide event, and switching to it undid the last screen key ("b" then "1" quickly
    ended on Browse)."""

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        if event.tab_pane.id == self.active:
            return  # Textual's own handler runs next (the pane is shown already)
        event.prevent_default()
        event.stop()
        shown = self.active_pane.query(Pane).first() if self.active_pane is not None else None
        if shown is not None:
            shown.on_explorer_ready()  # each pane focuses its main table


class ExplorerApp(App[int]):
    """The explorer. ``engine`` is anything satisfying :class:`~tui.ui.port.EnginePort`."""

    TITLE = "kafka-explorer"
    COMMANDS = {ExplorerCommands}  # only the explorer's commands and themes (tui/ui/palette.py)
    BINDINGS = bindings_for("app")
    # absolute paths: a subclass elsewhere (bench/bench_ui.py) must find them too
    CSS_PATH = [HERE / "app.tcss", HERE / "fast_table.tcss", HERE / "panes" / "panes.tcss", BROWSE_CSS,
                TUNE_CSS, *WIDGETS_CSS]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (140, "-wide")]
    """Screen classes by width: 80 columns is -narrow, 120 -medium, 160 -wide (panes.tcss)."""
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    """Screen classes by height: 24 rows is -short, 40 and 48 are -tall."""

    snapshot: var[Snapshot | None] = var(None)
    """The newest snapshot shown (an older one is ignored, P11); setting it renders."""

    def __init__(self, engine: EnginePort, *, theme: str | None = None,
                 themes: ThemeSet | None = None, settings: Settings | None = None,
                 settings_path: Path | None = None, keymap_path: Path | None = None,
                 remember: bool = True, pump_hz: float = 8.0, pump: bool = True,
                 start_run: Any = None) -> None:
        super().__init__()
        self.engine = engine
        self.themes = themes if themes is not None else load_themes()
        self.settings = settings if settings is not None else load_settings(settings_path)
        self._settings_path = settings_path
        self._keymap_path = keymap_path or keymap_file()
        self.keymap, self._keymap_problems = load_keymap(set(BY_ID), self._keymap_path)
        self._remember = remember
        self._requested_theme = theme
        self.pump = SnapshotPump(engine, self, hz=pump_hz,
                                 events=engine.subscribe(maxlen=20_000, replay=True)) if pump else None
        self.last_render_ms = 0.0
        self.renders = 0
        self._explorer_ready = False
        self._render_failed = False
        self._start_run = start_run
        """``start_run(scenario, on_progress)`` for the Scenarios screen (built by the launcher)."""
        self._last_tab = "cluster"
        """The live screen shown last (the Scenarios tab returns to it)."""
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            # no sliding tab underline or smooth scrolling: each animation frame repaints the
            # screen, and a live view on a small machine needs those cycles (set
            # TEXTUAL_ANIMATIONS=full to have them back)
            self.animation_level = "none"

    # ---- layout ------------------------------------------------------------------------------

    def get_default_screen(self) -> LiveScreen:
        return LiveScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield StatusHeader("kafka-explorer · connecting…", id="status")
        panes: dict[str, Pane] = {"cluster": ClusterPane(), "produce": ProducePane(),
                                  "consumers": ConsumersPane(), "verdict": VerdictPane(),
                                  "timeline": TimelinePane(), "scenarios": ScenariosTab(),
                                  "browse": BrowsePane(), "tune": TunePane()}
        live = [s for s in SCREENS if s[0] not in ("browse", "tune")]
        with LiveTabs(initial="tab-cluster", id="tabs"):
            # tab order follows the keys: 1-5, 6 Scenarios, 7 Browse, 8 Tune
            for pane_id, title in (*live, ("scenarios", "Scenarios"), ("browse", "Browse"),
                                   ("tune", "Tune")):
                key = next(c.key for c in COMMANDS if c.id == f"screen.{pane_id}")
                with TabPane(f"{self.keymap.get(f'screen.{pane_id}', key)} {title}",
                             id=f"tab-{pane_id}"):
                    yield panes[pane_id]
        yield TableFilter(placeholder="filter rows: a name or a regular expression "
                          "(enter: keep · escape: clear)", id="table-filter")
        yield KeyFooter()

    @property
    def is_lab(self) -> bool:
        return bool(self.snapshot and self.snapshot.connection.is_lab)

    @property
    def theme_names(self) -> list[str]:
        return list(self.themes.themes)

    def pane(self, pane_id: str) -> Pane:
        return self.query_one(f"#{pane_id}", Pane)

    def active_pane(self) -> Pane | None:
        active = self.query_one("#tabs", TabbedContent).active
        if not active:
            return None
        return self.pane(active.removeprefix("tab-"))

    # ---- lifecycle ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        foreground.serve_first()  # this is the UI thread: a key press is served first on a busy machine
        for theme in self.themes.themes.values():
            self.register_theme(theme)
        chosen = (self.themes.resolve(self._requested_theme)
                  or self.themes.resolve(self.settings.theme) or self.themes.resolve(DEFAULT_THEME))
        if chosen:
            self.theme = chosen
        if self._requested_theme and chosen and self._remember:
            self._save_theme(chosen)
        if self.keymap:
            self.set_keymap(self.keymap)
        for problem in [*self.themes.problems, *self.settings.problems, *self._keymap_problems]:
            self.notify(problem, severity="warning", timeout=8)
        if self.pump is not None:
            self._pump_for(self.active_pane())
            self.pump.start()

    def _pump_for(self, pane: Pane | None) -> None:
        """Pull at the rate ``pane`` needs, and post only when what it or the header shows moved."""
        if self.pump is None:
            return
        if pane is None:
            self.pump.set_selector(None)
            return
        data_key = pane.data_key
        self.pump.set_rate(pane.PUMP_HZ)
        # the record lane too: the Scenarios screen shows it over any pane
        self.pump.set_selector(lambda snapshot: (*header_key(snapshot), *data_key(snapshot),
                                                 snapshot.lane))

    def on_unmount(self) -> None:
        if self.pump is not None:
            self.pump.stop()

    # ---- input first -------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            # the engine's background threads of this process wait at their next safe point until
            # the screen after this input is drawn (tui.foreground); two hops: the first refresh
            # may be one that was due already, the input's own comes after it
            foreground.answering()
            self.call_after_refresh(self.call_after_refresh, foreground.answered)
        await super().on_event(event)

    # ---- engine -> UI ------------------------------------------------------------------------

    def on_snapshot_updated(self, message: SnapshotUpdated) -> None:
        self.snapshot = message.snapshot

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        """Show ``snapshot`` now (tests and the pump's message handler set the reactive)."""
        self.snapshot = snapshot

    def validate_snapshot(self, snapshot: Snapshot | None) -> Snapshot | None:
        current = self.snapshot
        if current is not None and (snapshot is None or snapshot.seq < current.seq):
            return current  # stale (P11): unchanged, so nothing renders
        return snapshot

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        """Render ``snapshot`` into the header and the visible pane."""
        if snapshot is None or not self.is_running:
            return  # not running: shutting down, its widgets going one by one
        started = time.perf_counter()
        try:
            header, pane = self.query_one(StatusHeader), self.active_pane()
        except NoMatches:
            return  # shutting down
        try:
            header.show(snapshot)
            if pane is not None:
                pane.show(snapshot)
        except Exception as exc:  # a rendering bug must not end the user's session (or a lab run)
            log.exception("rendering snapshot %s failed", snapshot.seq)
            if not self._render_failed:
                self._render_failed = True
                self.notify(f"Could not render part of the screen ({type(exc).__name__}: {exc}); "
                            f"details are in {active_log_file() or paths.log_file()}.", severity="error",
                            timeout=10)
        self.last_render_ms = (time.perf_counter() - started) * 1000
        self.renders += 1
        if not self._explorer_ready:
            self._explorer_ready = True
            if pane is not None:
                pane.on_explorer_ready()
            # what exists now (modules, widgets, the engine's set-up) lives as long as the app:
            # keep it out of the full collections that otherwise pause a key press for ~0.1 s
            gc.freeze()

    def on_events_arrived(self, message: EventsArrived) -> None:
        try:
            timeline, cluster = self.query_one(TimelinePane), self.query_one(ClusterPane)
        except NoMatches:
            return  # shutting down: the panes are gone, and so is whoever would read the events
        timeline.add_events(message.events, message.dropped)
        cluster.add_events(message.events)
        for event in message.events:
            if event.severity == "error" and event.kind not in NOTIFY_KINDS_SKIPPED:
                self.notify(event.text, title=event.kind, severity="error", timeout=6)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = self.active_pane()
        if isinstance(pane, ScenariosTab):
            # the tab is a door: open the Scenarios screen, and come back to the live screen
            event.tabbed_content.active = f"tab-{self._last_tab}"
            self.action_scenarios()
            return
        if pane is not None:
            self._last_tab = pane.id or "cluster"
            self._pump_for(pane)
        if pane is not None and self.snapshot is not None:
            pane.show(self.snapshot)
            focused = self.focused
            if focused is None or pane not in focused.ancestors:
                pane.on_explorer_ready()  # focus the pane's main table so its keys work

    def on_scenarios_wanted(self, message: ScenariosWanted) -> None:
        self.action_scenarios()

    # ---- the filter bar ----------------------------------------------------------------------

    def on_fast_table_filter_wanted(self, message: FastTable.FilterWanted) -> None:
        bar = self.query_one(TableFilter)
        bar.target = message.table
        bar.value = message.table.filter_text
        bar.add_class("-open")
        bar.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, TableFilter) and event.input.target is not None:
            event.stop()
            table = event.input.target
            table.set_filter(event.value)
            if table.filter_problem:
                self.notify(table.filter_problem, severity="warning", timeout=3)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, TableFilter):
            event.stop()
            event.input.close(keep=True)

    @on(FastTable.Highlighted, "#topics")
    def _topic_highlighted(self, event: FastTable.Highlighted) -> None:
        # a new producer defaults to the topic selected on the Cluster screen
        self.query_one(ProducePane).suggested_topic = event.key

    # ---- UI -> engine ------------------------------------------------------------------------

    def on_command_requested(self, message: CommandRequested) -> None:
        self.submit(message.request)

    def submit(self, request: Request) -> None:
        """Submit without waiting; the outcome arrives as :class:`CommandFinished`."""
        try:
            future = self.engine.submit(request.cmd)
        except Exception as exc:  # a closed engine, for instance: say it, never crash
            self.post_message(CommandFinished(request, None, error_sentence(exc)))
            return

        def finished(done: Any) -> None:  # runs on an engine thread: only post (P4)
            try:
                result = done.result()
            except Exception as exc:
                self.post_message(CommandFinished(request, None, error_sentence(exc)))
                return
            self.post_message(CommandFinished(request, result, None))

        future.add_done_callback(finished)

    def on_command_finished(self, message: CommandFinished) -> None:
        request = message.request
        if message.error is not None:
            self.notify(message.error, title=f"{request.label} failed", severity="error", timeout=8)
        elif request.announce:
            self.notify(f"{request.label}: done", timeout=3)
        if request.done is not None:
            request.done(message.result, message.error)
        if self.pump is not None:
            self.pump.poke()

    def on_form_wanted(self, message: FormWanted) -> None:
        self.push_screen(message.form, message.then)

    def on_explain_wanted(self, message: ExplainWanted) -> None:
        """A record's explained timeline (the record lane's enter), in the explain modal."""
        from tui.ui.panes.explain import ExplainScreen

        msg_id, what = message.msg_id, message.what or "record lane"

        def explained(lines: Any, error: str | None) -> None:
            text = tuple(str(line) for line in lines or ())
            if error is not None:
                return  # already notified
            if not text:
                self.notify("No timeline yet: the verdict records each record's timeline (press v on "
                            "the Verdict screen).", severity="warning", timeout=5)
                return
            self.push_screen(ExplainScreen(msg_id, text, 0, 1, what))

        self.submit(Request(Explain(msg_id), "explain", explained, announce=False))

    # ---- actions -----------------------------------------------------------------------------

    def action_show_pane(self, pane_id: str) -> None:
        self.query_one("#tabs", TabbedContent).active = f"tab-{pane_id}"

    def action_scenarios(self) -> None:
        from tui.ui.scenarios_screen import ScenariosScreen

        # installed once, so a scenario run survives going back to the live screens (escape)
        if not self.is_screen_installed("scenarios"):
            self.install_screen(ScenariosScreen(start_run=self._start_run), name="scenarios")
        if self.screen is not self.get_screen("scenarios"):
            self.push_screen("scenarios")

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.keymap, str(self._keymap_path), self.is_lab,
                                    log=active_log_file(), settings=self._settings_path))

    def on_browse_wanted(self, message: BrowseWanted) -> None:
        """A topic row, a verdict finding or a timeline event asked to read records."""
        self.action_show_pane("browse")
        self.query_one(BrowsePane).open_at(message.topic, message.partition, message.offset)

    def on_form_values_remembered(self, message: FormValuesRemembered) -> None:
        if self._remember:  # producer/member/topic forms' last values go to settings.yaml
            problem = save_settings(self.settings, self._settings_path)
            if problem:
                self.notify(problem, severity="warning")

    def action_next_theme(self) -> None:
        names = self.theme_names
        if not names:
            return
        index = names.index(self.theme) if self.theme in names else -1
        self.choose_theme(names[(index + 1) % len(names)])

    def choose_theme(self, name: str) -> None:
        """Switch theme; CSS restyles widgets and each pane redraws its cells (``Pane``)."""
        self.theme = name
        if self._remember:
            self._save_theme(name)
        self.notify(f"Theme {name}", timeout=2)

    def on_theme_chosen(self, message: ThemeChosen) -> None:
        self.choose_theme(message.name)

    def _save_theme(self, name: str) -> None:
        self.settings.theme = name
        problem = save_settings(self.settings, self._settings_path)
        if problem:
            self.notify(problem, severity="warning")

    async def on_palette_command_chosen(self, message: PaletteCommandChosen) -> None:
        await self.run_registry_command(message.command_id)

    async def run_registry_command(self, command_id: str) -> None:
        """Run a registry command from the palette: switch to its pane first if it has one."""
        command = BY_ID[command_id]
        if command.scope == "app":
            await self.run_action(command.action)
            return
        self.action_show_pane(command.scope)
        pane = self.pane(command.scope)
        if self.snapshot is not None:
            pane.show(self.snapshot)  # so the action sees the pane's rows (selection) right away
        await self.run_action(command.action, default_namespace=pane)
