"""What a scenario run reports: progress while it runs, a result per step and per expectation, and
the outcome at the end. Plain frozen values with no engine imports, so the UI can use them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tui.scenario.driver import RunMetrics, VerdictFacts
from tui.scenario.model import Ask, Scenario

if TYPE_CHECKING:
    from tui.engine import LaneView


@dataclass(frozen=True)
class Progress:
    """What the runner is doing now: ``step-started``, ``waiting``, ``step-done``, ``step-failed``,
    ``verdict``, ``expectation`` or ``finished``."""

    kind: str
    step: int | None
    text: str


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class StepResult:
    number: int
    kind: str
    title: str
    narrate: str
    ok: bool
    detail: str
    """What happened, in one sentence (e.g. 'killed node 2, the leader of orders/0')."""
    seconds: float


@dataclass(frozen=True)
class ExpectationResult:
    subject: str
    expected: str
    """e.g. '> 0'."""
    actual: float | None
    """None when it could not be measured (no verdict)."""
    ok: bool


@dataclass(frozen=True)
class RunOutcome:
    """Everything a report needs once the run has ended."""

    scenario: Scenario
    run_suffix: str
    names: dict[str, str]
    """Logical name -> real name for topics, groups, producers and members."""
    steps: tuple[StepResult, ...]
    verdict: VerdictFacts | None
    metrics: RunMetrics | None
    expectations: tuple[ExpectationResult, ...]
    passed: bool
    error: str | None
    started: float
    finished: float
    asks: tuple[AskResult, ...] = ()
    """Each question put to the room, its answer and (after the verdict) what happened."""
    lanes: tuple[LaneView, ...] = ()
    """The final record lane of each of the run's topics (when the driver can draw them)."""


@dataclass(frozen=True)
class PendingQuestion:
    """The question a run waits on (the Scenarios screen shows it and records the room's answer)."""

    step: int
    ask: Ask


@dataclass(frozen=True)
class AskResult:
    """One question put to the room: the answer recorded, and what the run showed."""

    step: int
    question: str
    choices: tuple[str, ...]
    right: int | None
    """Index (from 0) of the right choice; None when the file names none."""
    why: str
    answer: int | None
    """Index (from 0) of the room's answer; None: skipped, or not asked."""
    asked: bool
    """False when nobody could answer (a headless run without ``--ask``): printed only."""
    check: tuple[str, ...] = ()
    observed: str = ""
    """What happened, after the verdict (the checked expectations, else the verdict's counts)."""
    verified: bool | None = None
    """The checked expectations held (the right answer is what happened); None: nothing checked."""

    @property
    def correct(self) -> bool | None:
        """The room's answer is the right one (None: no answer, or no right one)."""
        if self.answer is None or self.right is None:
            return None
        return self.answer == self.right

    def answer_text(self) -> str:
        if self.answer is None:
            return "skipped" if self.asked else "not asked"
        return f"{self.answer + 1}. {self.choices[self.answer]}"

    def right_text(self) -> str:
        return "" if self.right is None else f"{self.right + 1}. {self.choices[self.right]}"

    def observe(self, expectations: tuple[ExpectationResult, ...],
                verdict: VerdictFacts | None) -> AskResult:
        """This result with what the run showed: the checked expectations' numbers, else the
        verdict's findings."""
        if verdict is None:
            return replace(self, observed="the run ended without a verdict", verified=None)
        if self.check:
            found = {e.subject: e for e in expectations}
            parts, ok = [], True
            for subject in self.check:
                e = found.get(subject)
                if e is None or e.actual is None:
                    parts.append(f"{subject}: not measured")
                    ok = False
                    continue
                actual = int(e.actual) if float(e.actual).is_integer() else round(e.actual, 3)
                parts.append(f"{subject} = {actual} (expected {e.expected}: "
                             f"{'holds' if e.ok else 'does not hold'})")
                ok = ok and e.ok
            return replace(self, observed="; ".join(parts), verified=ok)
        counts = ", ".join(f"{k} {v}" for k, v in verdict.counts.items() if v)
        return replace(self, observed=f"verdict: {counts or 'no anomalies'}", verified=None)
