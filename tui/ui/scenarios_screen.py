"""The Scenarios screen: pick a workshop scenario, then advance it step by step while you talk.

Left: every scenario file with its goal. Right: the selected scenario's steps and the narration
panel — what the current step does, what to look at and why it happens. Keys: ``enter`` starts the
selected scenario, ``n``/``space`` runs the next step, ``a`` runs the rest, ``x`` stops the run (and
heals the cluster), ``escape`` goes back to the live screens while the run stays where it is.

The screen never touches Kafka or the engine: the app passes ``start_run(scenario, on_progress)``,
which returns a run handle (a :class:`tui.scenario.runner.ScenarioRun` in the app). Each step runs on
a short-lived plain thread that only ``post_message``\\ s back (textual-style.md P2/P4).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeAlias

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui.scenario.describe import describe
from tui.scenario.load import ScenarioError, discover
from tui.scenario.model import Scenario, Step

if TYPE_CHECKING:  # annotations only: the results module pulls in the scenario driver's clients
    from tui.scenario.results import ExpectationResult, Progress, StepResult

MAX_PROGRESS_LINES = 8
SCENARIOS_CSS = Path(__file__).with_name("scenarios_screen.tcss")
"""The screen's and the narration panel's look (an app docking the panel lists it in CSS_PATH)."""


class RunHandle(Protocol):
    """What the screen needs from a scenario run (``ScenarioRun`` satisfies it)."""

    steps: tuple[Step, ...]
    results: list[StepResult]
    expectation_results: tuple[ExpectationResult, ...]
    error: str | None

    @property
    def done(self) -> bool: ...

    @property
    def passed(self) -> bool: ...

    @property
    def next(self) -> Step | None: ...

    def next_step(self) -> StepResult | None: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


StartRun: TypeAlias = "Callable[[Scenario, Callable[[Progress], None]], RunHandle]"


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


class ScenariosScreen(Screen[None]):
    """Lists scenarios; runs one step by step with narration. See the module doc for the keys."""

    BINDINGS = [
        Binding("n,space", "next_step", "Next step", id="scenarios.next"),
        Binding("a", "run_rest", "Run the rest", id="scenarios.rest"),
        Binding("x", "stop", "Stop run", id="scenarios.stop"),
        Binding("escape", "back", "Back", id="scenarios.back"),
    ]
    CSS_PATH = SCENARIOS_CSS

    def __init__(self, start_run: StartRun | None = None, directory: Path | None = None,
                 scenarios: Sequence[tuple[Path, Scenario | ScenarioError]] | None = None) -> None:
        super().__init__()
        self._scn_start_run = start_run
        self._scn_entries = list(scenarios) if scenarios is not None else discover(directory)
        self.scenario_run: RunHandle | None = None
        self.running_scenario: Scenario | None = None
        self._step_thread: threading.Thread | None = None
        self._progress_lines: list[str] = []

    # ---- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="scn-body"):
            options = []
            for index, (path, item) in enumerate(self._scn_entries):
                if isinstance(item, Scenario):
                    label = Text(item.title, style="bold")
                    label.append(f"\n{item.cluster.nodes} node(s)"
                                 + (f", {item.cluster.profile}" if item.cluster.profile != "default"
                                    else "") + f", ~{item.duration:.0f} s", style="dim")
                    options.append(Option(label, id=str(index)))
                else:
                    options.append(Option(Text(f"{path.name}: invalid", style="red"), id=str(index)))
            yield OptionList(*options, id="scn-list")
            with Vertical(id="scn-right"):
                with VerticalScroll(id="scn-detail"):
                    yield Static(Text("Pick a scenario on the left."), id="scn-detail-text")
                with VerticalScroll(id="scn-narration"):
                    yield Static(Text("Press enter to start the selected scenario.",
                                      style="italic"), id="scn-narration-text")
                yield Static(Text(""), id="scn-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#scn-list", OptionList).border_title = "Scenarios"
        self.query_one("#scn-detail", VerticalScroll).border_title = "Goal and steps"
        self.query_one("#scn-narration", VerticalScroll).border_title = "Narration"
        if self._scn_entries:
            self.query_one("#scn-list", OptionList).highlighted = 0
            self._show_detail(0)

    # ---- selection ---------------------------------------------------------------------------

    def _selected(self, option_id: str | None) -> tuple[Path, Scenario | ScenarioError] | None:
        if option_id is None or not option_id.isdigit() or int(option_id) >= len(self._scn_entries):
            return None
        return self._scn_entries[int(option_id)]

    @on(OptionList.OptionHighlighted, "#scn-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.scenario_run is None and event.option.id is not None:
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
        self.query_one("#scn-detail-text", Static).update(detail_text(item))

    # ---- running -----------------------------------------------------------------------------

    def start(self, scenario: Scenario) -> None:
        """Prepare a run of ``scenario`` (nothing happens on the cluster until the first step)."""
        if self.scenario_run is not None and not self.scenario_run.done:
            self.notify("A scenario is running; stop it with x first.", severity="warning")
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
        self._progress_lines = []
        self._render_run()
        self.notify(f"{scenario.title}: press n for the first step.")

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

    def action_back(self) -> None:
        self.app.pop_screen()

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

    @on(ScenarioProgress)
    def _progress_arrived(self, message: ScenarioProgress) -> None:
        p = message.progress
        if p.kind in ("waiting", "setup", "verdict", "warning", "step-failed"):
            self._progress_lines.append(p.text)
            self._progress_lines = self._progress_lines[-MAX_PROGRESS_LINES:]
        if p.kind == "step-started":
            self._progress_lines = []
        self._render_run()

    @on(StepsFinished)
    def _steps_finished(self, message: StepsFinished) -> None:
        if message.error:
            self.notify(message.error, severity="error")
        run = self.scenario_run
        if run is not None and run.done:
            self.notify("Every expectation holds." if run.passed else
                        f"The scenario did not pass{': ' + run.error if run.error else '.'}",
                        severity="information" if run.passed else "warning")
        self._render_run()

    def _render_run(self) -> None:
        run, scenario = self.scenario_run, self.running_scenario
        if run is None or scenario is None:
            return
        busy = self._step_thread is not None and self._step_thread.is_alive()
        self.query_one("#scn-detail-text", Static).update(detail_text(scenario, run))
        self.query_one("#scn-narration-text", Static).update(narration_text(run, busy))
        status = Text()
        for line in self._progress_lines:
            status.append(f"… {line}\n", style="dim")
        if run.done:
            status.append(outcome_text(run))
        self.query_one("#scn-status", Static).update(status)


class NarrationPanel(Static):
    """A compact narration view of a run, for the app to dock beside its live panes while a
    scenario runs (call :meth:`show` whenever the run moved, e.g. on ``ScenarioProgress``).
    Styled by :data:`SCENARIOS_CSS`."""

    def show(self, run: RunHandle | None, busy: bool = False) -> None:
        if run is None:
            self.update(Text("No scenario is running.", style="italic"))
            return
        text = narration_text(run, busy)
        if run.done:
            text.append("\n")
            text.append(outcome_text(run))
        self.update(text)


# ---- rendering (pure: unit-tested) ----------------------------------------------------------------


def detail_text(item: Scenario | ScenarioError, run: RunHandle | None = None) -> Text:
    """The goal, cluster needs and step list; with a run, each step marked done/failed/next."""
    if isinstance(item, ScenarioError):
        return Text(str(item), style="red")
    text = Text(item.title + "\n", style="bold")
    text.append(item.goal + "\n\n")
    text.append(f"Cluster: {item.cluster.nodes} node(s), profile {item.cluster.profile}. "
                f"About {item.duration:.0f} s.\n", style="dim")
    if item.topics:
        text.append("Topics: " + ", ".join(
            f"{t.name} ({t.partitions}p, RF {t.replication_factor})" for t in item.topics) + "\n",
            style="dim")
    text.append("\n")
    steps = run.steps if run is not None else item.steps
    results = {r.number: r for r in run.results} if run is not None else {}
    upcoming = run.next if run is not None else None
    for step in steps:
        res = results.get(step.number)
        if res is not None:
            mark, style = ("✓ ", "green") if res.ok else ("✗ ", "red")
        elif upcoming is not None and step.number == upcoming.number:
            mark, style = ("▶ ", "bold")
        else:
            mark, style = ("  ", "")
        title = step.title or describe(step)
        text.append(f"{mark}{step.number:>2}. {step.kind}: {title}\n", style=style)
        if res is not None and res.detail:
            text.append(f"       {res.detail}\n", style="dim" if res.ok else "red")
    if item.expectations:
        text.append("\nExpected: " + ", ".join(f"{e.subject} {e.comparison.text()}"
                                                 for e in item.expectations) + "\n", style="dim")
    return text


def narration_text(run: RunHandle, busy: bool = False) -> Text:
    """The narration of the step running now (or just finished), and what comes next."""
    text = Text()
    current = run.results[-1] if run.results else None
    upcoming = run.next
    if busy and upcoming is not None:
        text.append(f"Running step {upcoming.number}: {upcoming.title or upcoming.kind}\n\n",
                    style="bold")
        text.append((upcoming.narrate or "") + "\n")
        return text
    if current is not None:
        step = next((s for s in run.steps if s.number == current.number), None)
        text.append(f"Step {current.number} — {current.title}\n", style="bold")
        text.append(f"{'✓' if current.ok else '✗'} {current.detail}\n\n",
                    style="green" if current.ok else "red")
        if step is not None and step.narrate:
            text.append(step.narrate + "\n\n")
    if upcoming is not None:
        text.append(f"Next (n): step {upcoming.number} — {upcoming.title or upcoming.kind}\n",
                    style="italic")
    elif run.done:
        text.append("The run has ended.\n", style="italic")
    return text


def outcome_text(run: RunHandle) -> Text:
    text = Text()
    for e in run.expectation_results:
        actual = "n/a" if e.actual is None else (
            str(int(e.actual)) if float(e.actual).is_integer() else f"{e.actual:.3g}")
        text.append(f"{'ok  ' if e.ok else 'FAIL'} {e.subject} {e.expected} (actual {actual})\n",
                    style="green" if e.ok else "red")
    if run.error:
        text.append(f"Failed: {run.error}\n", style="red")
    text.append("PASSED" if run.passed else "NOT PASSED", style="bold green" if run.passed else "bold red")
    return text
