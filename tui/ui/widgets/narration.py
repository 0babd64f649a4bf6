"""What a scenario run says to the room: step list, narration, outcome and the run's real names.

The rendering functions are pure (unit-tested); :class:`NarrationPanel` shows a run's narration in
a box, and :class:`NarrationDock` is that box docked beside the live screens while a run is going
(the Scenarios screen mounts it there; ``f3`` — the registry's ``app.narration`` — hides and shows
it with the ``-hidden`` class). Both are styled by ``scenarios_screen.tcss``, which the app loads
with the Scenarios screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from rich.text import Text
from textual.widgets import Static

from tui.scenario.describe import describe
from tui.scenario.load import ScenarioError
from tui.scenario.model import Produce, Scenario, StartMembers, Step

if TYPE_CHECKING:  # annotations only: the results module pulls in the scenario driver's clients
    from tui.scenario.results import ExpectationResult, StepResult


class RunHandle(Protocol):
    """What the screens need from a scenario run (``ScenarioRun`` satisfies it)."""

    scenario: Scenario
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

    def names(self) -> dict[str, str]: ...

    def next_step(self) -> StepResult | None: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


# ---- rendering (pure: unit-tested) ----------------------------------------------------------------


def detail_text(item: Scenario | ScenarioError, run: RunHandle | None = None,
                lab_nodes: int | None = None) -> Text:
    """The goal, cluster needs and step list; with a run, each step marked done/failed/next.
    ``lab_nodes``: the lab's size, to say when the scenario needs a bigger one."""
    if isinstance(item, ScenarioError):
        return Text(str(item), style="red")
    text = Text(item.title + "\n", style="bold")
    text.append(item.goal + "\n\n")
    text.append(f"Cluster: {item.cluster.nodes} node(s), profile {item.cluster.profile}. "
                f"About {item.duration:.0f} s.\n", style="dim")
    if too_big(item, lab_nodes):
        text.append(f"This lab has {lab_nodes} node{'s' if lab_nodes != 1 else ''}: this scenario "
                    f"needs {item.cluster.nodes}. Press L for how to get such a lab.\n",
                    style="bold yellow")
    if item.topics:
        text.append("Topics: " + ", ".join(
            f"{t.name} ({t.partitions}p, RF {t.replication_factor})" for t in item.topics) + "\n",
            style="dim")
    if run is not None:
        legend = names_legend(item, run.names())
        if legend:
            text.append("Names in this run: " + legend + "\n", style="dim")
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


def too_big(scenario: Scenario, lab_nodes: int | None) -> bool:
    """The scenario needs more nodes than the lab has (unknown size: no)."""
    return lab_nodes is not None and scenario.cluster.nodes > lab_nodes


def names_legend(scenario: Scenario, names: dict[str, str]) -> str:
    """``topic work (work-eb8f61) · member m1 (m1-eb8f61)``: the scenario's logical names with the
    real ones the live screens show (each run gets its own suffix)."""
    kinds: list[tuple[str, str]] = [("topic", t.name) for t in scenario.topics]
    for step in scenario.steps:
        action = step.action
        if isinstance(action, Produce):
            kinds.append(("producer", action.name))
        elif isinstance(action, StartMembers):
            kinds.append(("group", action.group))
            kinds.extend(("member", m) for m in action.member_names())
    parts: list[str] = []
    seen: set[tuple[str, str]] = set()
    for kind, logical in kinds:
        real = names.get(logical)
        if real is None or (kind, logical) in seen:
            continue
        seen.add((kind, logical))
        parts.append(f"{kind} {logical} ({real})")
    return " · ".join(parts)


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


# ---- widgets --------------------------------------------------------------------------------------


class NarrationPanel(Static):
    """A compact narration view of a run (call :meth:`show` whenever the run moved)."""

    def show(self, run: RunHandle | None, busy: bool = False) -> None:
        if run is None:
            self.update(Text("No scenario is running.", style="italic"))
            return
        text = narration_text(run, busy)
        if run.done:
            text.append("\n")
            text.append(outcome_text(run))
        self.update(text)


class NarrationDock(NarrationPanel):
    """The narration beside the live screens while a scenario runs, with the run's real names and
    the keys that matter there."""

    def show_run(self, run: RunHandle, busy: bool, hint: str) -> None:
        self.border_title = run.scenario.title
        text = narration_text(run, busy)
        if run.done:
            text.append("\n")
            text.append(outcome_text(run))
            text.append("\n")
        legend = names_legend(run.scenario, run.names())
        if legend:
            text.append(f"\n{legend}\n", style="dim")
        text.append(f"\n{hint}", style="dim italic")
        self.update(text)
