"""The Scenarios screen: pick a workshop scenario, then advance it step by step while you talk.

Left: every scenario file with its goal (those that need more lab nodes than this lab has are
marked). Right: the selected scenario's steps and the narration panel — what the current step does,
what to look at and why it happens, and the run's real names (``member m1 (m1-eb8f61)``). Keys come
from the registry (scope ``scenarios``): ``enter`` starts the highlighted scenario, ``n``/``space``
runs the next step, ``a`` runs the rest, ``x`` stops the run (and heals the cluster), ``L`` says how
to get a lab of the size a scenario needs, ``escape`` (or ``1``-``5``) goes back to the live screens
while the run stays where it is — its narration docked beside them (``f3`` hides it).

The screen never touches Kafka or the engine: the app passes ``start_run(scenario, on_progress)``,
which returns a run handle (a :class:`tui.scenario.runner.ScenarioRun` in the app). Each step runs on
a short-lived plain thread that only ``post_message``\\ s back (textual-style.md P2/P4). The lab's
size is read from the app's snapshot (``snapshot.lab``), never asked of the cluster.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeAlias, runtime_checkable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui import paths
from tui.engine import Snapshot
from tui.scenario.load import ScenarioError, discover
from tui.scenario.model import Scenario
from tui.ui.messages import PaletteCommandChosen
from tui.ui.registry import BY_ID, SCREENS, bindings_for, live_key
from tui.ui.widgets.ask import AskPanel
from tui.ui.widgets.key_footer import KeyFooter
from tui.ui.widgets.lane import RecordLane
from tui.ui.widgets.narration import (
    NarrationDock,
    NarrationPanel,
    RunHandle,
    detail_text,
    narration_text,
    outcome_text,
    too_big,
)

if TYPE_CHECKING:  # annotations only: the results module pulls in the scenario driver's clients
    from tui.scenario.results import Progress

__all__ = ["SCENARIOS_CSS", "LabSizeWanted", "NarrationDock", "NarrationPanel", "RunHandle",
           "ScenariosScreen", "StartRun", "detail_text", "lab_size_advice", "narration_text",
           "outcome_text"]

MAX_PROGRESS_LINES = 8
SCENARIOS_CSS = Path(__file__).with_name("scenarios_screen.tcss")
"""The screen's and the narration panels' look (loaded app-wide with the screen, so the dock that
the screen mounts on the live screens is styled too)."""

StartRun: TypeAlias = "Callable[[Scenario, Callable[[Progress], None]], RunHandle]"


@runtime_checkable
class SnapshotSource(Protocol):
    """What the screen reads from the app: its newest snapshot (for the lab's size)."""

    snapshot: Snapshot | None


class ScenarioProgress(Message):
    """A progress line from the run thread."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress


class StepsFinished(Message):
    """The run thread finished one step (or all it was asked to run)."""

    def __init__(self, error: str | None = None) -> None:
        super().__init__()
        self.error = error


class LabSizeWanted(Message):
    """A scenario needs a lab of ``nodes`` nodes and this one is smaller. Resizing a running lab is
    the launcher's business (the engine only acts on the nodes it has): ``command`` is what a person
    runs after quitting."""

    def __init__(self, nodes: int, command: str) -> None:
        super().__init__()
        self.nodes = nodes
        self.command = command


def lab_size_advice(needed: int, have: int | None) -> tuple[str, str]:
    """(explanation, command) for getting a lab of ``needed`` nodes."""
    target = paths.state_dir() / f"lab{needed}"
    command = f"kafka-explorer --nodes {needed} --state-dir {target}"
    size = "of unknown size" if have is None else f"of {have} node{'s' if have != 1 else ''}"
    return (f"This scenario needs a {needed}-node lab; this one is {size}, and a lab keeps the size "
            f"it was created with (this app cannot add nodes to it). Quit (q) and start a "
            f"{needed}-node lab in its own directory:", command)


class ScenariosScreen(Screen[None]):
    """Lists scenarios; runs one step by step with narration. See the module doc for the keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings_for("scenarios"),
        # the live screens' number keys come back to them (the run carries on)
        *(Binding(BY_ID[f"screen.{pane}"].key, f"live('{pane}')", show=False, id=f"screen.{pane}")
          for pane, _title in SCREENS),
    ]
    CSS_PATH = SCENARIOS_CSS
    COMMAND_SCOPE = "scenarios"
    """The registry scope the palette offers over this screen (besides the app-wide commands)."""

    def __init__(self, start_run: StartRun | None = None, directory: Path | None = None,
                 scenarios: Sequence[tuple[Path, Scenario | ScenarioError]] | None = None) -> None:
        super().__init__()
        self._scn_start_run = start_run
        self._scn_entries = list(scenarios) if scenarios is not None else discover(directory)
        self.scenario_run: RunHandle | None = None
        self.running_scenario: Scenario | None = None
        self._step_thread: threading.Thread | None = None
        self._progress_lines: list[str] = []
        self._lab_nodes_shown: int | None = None

    # ---- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="scn-body"):
            lab = self.lab_nodes()
            self._lab_nodes_shown = lab
            yield OptionList(*(Option(self._label(i, lab), id=str(i))
                               for i in range(len(self._scn_entries))), id="scn-list")
            with Vertical(id="scn-right"):
                with VerticalScroll(id="scn-detail"):
                    yield Static(Text("Pick a scenario on the left."), id="scn-detail-text")
                with VerticalScroll(id="scn-narration"):
                    yield Static(Text("Press enter to start the selected scenario.",
                                      style="italic"), id="scn-narration-text")
                yield AskPanel(id="scn-ask")
                yield RecordLane(final=False, id="scn-lane")
                yield Static(Text(""), id="scn-status")
        yield KeyFooter()

    def _label(self, index: int, lab: int | None) -> Text:
        path, item = self._scn_entries[index]
        if not isinstance(item, Scenario):
            return Text(f"{path.name}: invalid", style="red")
        label = Text(item.title, style="bold")
        label.append(f"\n{item.cluster.nodes} node(s)"
                     + (f", {item.cluster.profile}" if item.cluster.profile != "default" else "")
                     + f", ~{item.duration:.0f} s", style="dim")
        if too_big(item, lab):
            label.append(f" · needs a {item.cluster.nodes}-node lab", style="bold yellow")
        return label

    def on_mount(self) -> None:
        self.query_one("#scn-list", OptionList).border_title = "Scenarios"
        self.query_one("#scn-detail", VerticalScroll).border_title = "Goal and steps"
        self.query_one("#scn-narration", VerticalScroll).border_title = "Narration"
        if self._scn_entries:
            self.query_one("#scn-list", OptionList).highlighted = 0
            self._show_detail(0)
        self.set_interval(0.5, self._refresh_lane)

    def on_screen_resume(self) -> None:
        # the lab may have had no snapshot yet when the list was built: mark sizes again
        lab = self.lab_nodes()
        if lab != self._lab_nodes_shown:
            self._lab_nodes_shown = lab
            listing = self.query_one("#scn-list", OptionList)
            for index in range(len(self._scn_entries)):
                listing.replace_option_prompt(str(index), self._label(index, lab))
            highlighted = listing.highlighted
            if highlighted is not None:
                self._show_detail(highlighted)
        self.query_one("#scn-list", OptionList).focus()

    def lab_nodes(self) -> int | None:
        """The lab's node count from the app's snapshot (None: unknown, or not a lab)."""
        app = self.app if self.is_attached else None
        snapshot = app.snapshot if isinstance(app, SnapshotSource) else None
        if snapshot is None or not snapshot.connection.is_lab or not snapshot.lab:
            return None
        return len(snapshot.lab)

    # ---- selection ---------------------------------------------------------------------------

    def _selected(self, option_id: str | None) -> tuple[Path, Scenario | ScenarioError] | None:
        if option_id is None or not option_id.isdigit() or int(option_id) >= len(self._scn_entries):
            return None
        return self._scn_entries[int(option_id)]

    @on(OptionList.OptionHighlighted, "#scn-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        running = self.scenario_run is not None and not self.scenario_run.done
        if not running and event.option.id is not None:
            self._show_detail(int(event.option.id))

    @on(OptionList.OptionSelected, "#scn-list")
    def _selected_option(self, event: OptionList.OptionSelected) -> None:
        entry = self._selected(event.option.id)
        if entry is None:
            return
        path, item = entry
        if isinstance(item, ScenarioError):
            self.notify(str(item), severity="error")
            return
        self.start(item)

    def _show_detail(self, index: int) -> None:
        _path, item = self._scn_entries[index]
        run = self.scenario_run
        # the run's own marks when this is the scenario that ran (or runs)
        with_run = run if run is not None and item is self.running_scenario else None
        self.query_one("#scn-detail-text", Static).update(
            detail_text(item, with_run, self.lab_nodes()))
        if with_run is None and run is not None and run.done:
            self.query_one("#scn-narration-text", Static).update(
                Text("Press enter to start the highlighted scenario.", style="italic"))
        elif with_run is not None:
            self._render_run()

    def _highlighted_scenario(self) -> Scenario | None:
        listing = self.query_one("#scn-list", OptionList)
        index = listing.highlighted
        if index is None:
            return None
        item = self._scn_entries[index][1]
        return item if isinstance(item, Scenario) else None

    # ---- running -----------------------------------------------------------------------------

    def start(self, scenario: Scenario) -> None:
        """Prepare a run of ``scenario`` (nothing happens on the cluster until the first step)."""
        if self.scenario_run is not None and not self.scenario_run.done:
            self.notify(f"A scenario is running; stop it with {live_key(self, 'scenarios.stop')} "
                        "first.", severity="warning")
            return
        lab = self.lab_nodes()
        if too_big(scenario, lab):
            self._advise_lab_size(scenario.cluster.nodes, lab)
            return
        if self._scn_start_run is None:
            self.notify("Scenarios need the engine; start kafka-explorer on the lab cluster.",
                        severity="error")
            return
        self._close_run()
        try:
            self.scenario_run = self._scn_start_run(scenario, self._from_thread)
        except Exception as exc:  # a bad factory must not kill the app
            self.notify(f"Cannot start the scenario: {exc}", severity="error")
            return
        self.running_scenario = scenario
        if hasattr(self.scenario_run, "wait_for_answers"):
            # questions (ask:) pause the run here until the room answered
            self.scenario_run.wait_for_answers = True
        self.query_one(AskPanel).clear()
        self._progress_lines = []
        self._render_run()
        self.notify(f"{scenario.title}: press {live_key(self, 'scenarios.next')} for the first "
                    "step.")

    def _from_thread(self, progress: Progress) -> None:
        self.post_message(ScenarioProgress(progress))

    def _launch(self, all_steps: bool) -> None:
        run = self.scenario_run
        if run is None:
            self.notify("Start a scenario first (enter on the list).", severity="warning")
            return
        if run.done:
            self.notify("This run has ended; pick a scenario to run it again.")
            return
        if self._step_thread is not None and self._step_thread.is_alive():
            self.notify("The current step is still running.", severity="warning")
            return

        def work() -> None:
            error = None
            try:
                run.next_step()
                while all_steps and not run.done:
                    run.next_step()
            except Exception as exc:  # the runner reports step failures itself; this is a last net
                error = str(exc)
            self.post_message(StepsFinished(error))

        self._step_thread = threading.Thread(target=work, name="scenario-step", daemon=True)
        self._step_thread.start()
        self._render_run()

    def action_next_step(self) -> None:
        self._launch(all_steps=False)

    def action_run_rest(self) -> None:
        self._launch(all_steps=True)

    def action_stop(self) -> None:
        if self.scenario_run is None:
            return
        self.scenario_run.cancel()
        self.notify("Stopping the scenario and healing the cluster…")
        self._close_run()
        self.scenario_run = None
        self.running_scenario = None
        self._progress_lines = []
        self.query_one("#scn-status", Static).update(Text(""))
        self.query_one(AskPanel).clear()
        self._update_dock(remove=True)
        self._after_run()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_live(self, pane: str) -> None:
        """Back to the live screens, on ``pane``."""
        self.app.pop_screen()
        self.app.call_later(self.app.run_action, f"show_pane('{pane}')")

    def action_lab_size(self) -> None:
        scenario = self._highlighted_scenario()
        lab = self.lab_nodes()
        needed = scenario.cluster.nodes if scenario is not None else 3
        if scenario is not None and not too_big(scenario, lab):
            self.notify(f"This lab can run {scenario.title!r} (it needs {needed} node"
                        f"{'s' if needed != 1 else ''}).")
            return
        self._advise_lab_size(needed, lab)

    def _advise_lab_size(self, needed: int, have: int | None) -> None:
        explanation, command = lab_size_advice(needed, have)
        # the command first: at 80×24 the narration box shows about six lines
        text = Text(f"{command}\n\n", style="bold yellow")
        text.append(explanation.rstrip(":") + ".\n", style="bold")
        text.append("The lab you have keeps running for the 1-node scenarios.", style="dim")
        self.query_one("#scn-narration-text", Static).update(text)
        self.query_one("#scn-narration", VerticalScroll).scroll_home(animate=False)
        self.notify(f"This scenario needs a {needed}-node lab: the narration says how to get "
                    "one.", severity="warning", timeout=6)
        self.post_message(LabSizeWanted(needed, command))

    def _close_run(self) -> None:
        run, thread = self.scenario_run, self._step_thread
        if run is None:
            return

        def closer() -> None:
            if thread is not None:
                thread.join(30.0)
            run.close()

        threading.Thread(target=closer, name="scenario-close", daemon=True).start()

    def on_unmount(self) -> None:
        if self.scenario_run is not None:
            self.scenario_run.cancel()
            self._close_run()
        self._update_dock(remove=True)

    @on(ScenarioProgress)
    def _progress_arrived(self, message: ScenarioProgress) -> None:
        p = message.progress
        if p.kind in ("waiting", "setup", "verdict", "warning", "step-failed"):
            self._progress_lines.append(p.text)
            self._progress_lines = self._progress_lines[-MAX_PROGRESS_LINES:]
        if p.kind == "step-started":
            self._progress_lines = []
        if p.kind == "ask":
            question = getattr(self.scenario_run, "question", None)
            if question is not None:
                self.query_one(AskPanel).ask(question)
        self._render_run()

    @on(AskPanel.Answered)
    def _answered(self, message: AskPanel.Answered) -> None:
        run = self.scenario_run
        answer = getattr(run, "answer", None)
        if answer is not None:
            answer(message.choice)
        self.notify("Skipped: the step runs now." if message.choice is None else
                    f"The room answered {message.choice + 1}: the step runs now.", timeout=3)
        if self.app.screen is self:
            self.query_one("#scn-list", OptionList).focus()

    def _refresh_lane(self) -> None:
        """The record lane of the running scenario's first topic, from the app's snapshot."""
        run, scenario = self.scenario_run, self.running_scenario
        snapshot = getattr(self.app, "snapshot", None)
        topic = None
        if run is not None and scenario is not None and scenario.topics:
            topic = run.names().get(scenario.topics[0].name)
        lane = self.query_one(RecordLane)
        lane.final = run is not None and run.done  # live while it runs, the verdict's after
        lane.show(snapshot.lane if isinstance(snapshot, Snapshot) else None,
                                        topic)

    @on(StepsFinished)
    def _steps_finished(self, message: StepsFinished) -> None:
        self._step_thread = None  # it posted this as its last act: the step is not busy any more
        if message.error:
            self.notify(message.error, severity="error")
        run = self.scenario_run
        if run is not None and run.done:
            self.notify("Every expectation holds." if run.passed else
                        f"The scenario did not pass{': ' + run.error if run.error else '.'}",
                        severity="information" if run.passed else "warning")
        self._render_run()
        if run is not None and run.done:
            self._after_run()

    def _after_run(self) -> None:
        """The run ended or was stopped: the list keeps the focus (when this screen is shown) and
        the detail pane shows the highlighted scenario."""
        if self.app.screen is self:
            listing = self.query_one("#scn-list", OptionList)
            if self.focused is None:
                listing.focus()
            if listing.highlighted is not None:
                self._show_detail(listing.highlighted)

    async def on_palette_command_chosen(self, message: PaletteCommandChosen) -> None:
        # the palette opened over this screen: its own commands run here, the rest go to the app
        command = BY_ID.get(message.command_id)
        if command is None:
            return
        pane = command.id.removeprefix("screen.")
        if command.scope == "scenarios":
            message.stop()
            await self.run_action(command.action)
        elif pane in dict(SCREENS):
            message.stop()
            self.action_live(pane)

    def _render_run(self) -> None:
        run, scenario = self.scenario_run, self.running_scenario
        if run is None or scenario is None:
            return
        busy = self._step_thread is not None and self._step_thread.is_alive()
        if self._highlighted_scenario() is scenario or not run.done:
            self.query_one("#scn-detail-text", Static).update(
                detail_text(scenario, run, self.lab_nodes()))
            question = getattr(run, "question", None)
            # while the room predicts, the narration (which tells the answer) waits
            self.query_one("#scn-narration-text", Static).update(
                narration_text(run, busy) if question is None else
                Text(f"Step {question.step}: the room predicts first — answer the question below "
                     "(the narration follows the answer).", style="italic"))
        asks = getattr(run, "asks", ())
        if run.done and asks:
            self.query_one(AskPanel).results(asks)
        status = Text()
        for line in self._progress_lines:
            status.append(f"… {line}\n", style="dim")
        if run.done:
            status.append(outcome_text(run))
        self.query_one("#scn-status", Static).update(status)
        self._update_dock()

    # ---- the narration beside the live screens -----------------------------------------------

    def _update_dock(self, remove: bool = False) -> None:
        """Show the run's narration docked on the live screens (mounted there on the first run)."""
        if not self.app.screen_stack:
            return
        live = self.app.screen_stack[0]
        docks = list(live.query(NarrationDock))
        run = self.scenario_run
        if remove or run is None:
            for dock in docks:
                dock.remove()
            return
        if not docks:
            docks = [NarrationDock(id="narration-dock")]
            live.mount(docks[0])
        busy = self._step_thread is not None and self._step_thread.is_alive()
        hint = (f"{live_key(self, 'screen.scenarios')}: the Scenarios screen "
                f"({live_key(self, 'scenarios.next')} next step) · "
                f"{live_key(self, 'app.narration')}: hide")
        docks[0].show_run(run, busy, hint)
