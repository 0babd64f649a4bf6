"""What a scenario run reports: progress while it runs, a result per step and per expectation, and
the outcome at the end. Plain frozen values with no engine imports, so the UI can use them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tui.scenario.driver import RunMetrics, VerdictFacts
from tui.scenario.model import Scenario


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
