"""Predict, then observe: the question a scenario run waits on, and the predictions after the run.

:class:`AskPanel` shows the pending question with its numbered choices; while it has the focus,
``1``-``5`` record the room's answer and ``s`` (or ``0``) skips, and it posts
:class:`AskPanel.Answered` (the Scenarios screen hands the answer to the run). After the verdict it
shows each prediction next to what happened, with the explanation. The rendering functions are pure
(unit-tested); every string from a scenario file is plain ``Text``, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Static

if TYPE_CHECKING:  # annotations only: the results module pulls in the scenario driver's clients
    from tui.scenario.results import AskResult, PendingQuestion


def question_text(question: PendingQuestion) -> Text:
    """The question, its choices numbered with the keys that pick them, and how to skip."""
    ask = question.ask
    text = Text()
    text.append(f"Before step {question.step}, the room predicts:\n", style="bold")
    text.append(ask.question + "\n", style="bold")
    for number, choice in enumerate(ask.choices, 1):
        text.append(f"  {number}  ", style="bold reverse")
        text.append(f" {choice}\n")
    text.append(f"Press 1-{len(ask.choices)} for the room's answer, s to skip; the step runs then.",
                style="dim")
    return text


def results_text(asks: Sequence[AskResult]) -> Text:
    """Each prediction next to what happened, with the right answer and why."""
    text = Text()
    for a in asks:
        text.append(f"Step {a.step}: {a.question}\n", style="bold")
        mark, style = ("", "")
        if a.correct is True:
            mark, style = ("  ✓ right", "green")
        elif a.correct is False:
            mark, style = ("  ✗ not right", "red")
        text.append(f"  the room: {a.answer_text()}")
        text.append(mark + "\n", style=style)
        if a.right is not None:
            text.append(f"  right:    {a.right_text()}\n")
        if a.why:
            text.append(f"  why:      {a.why}\n", style="italic")
        if a.observed:
            checked = "" if a.verified is None else (" (verified)" if a.verified else " (not confirmed)")
            text.append(f"  happened: {a.observed}{checked}\n",
                        style="" if a.verified is not False else "red")
    return text


class AskPanel(Static, can_focus=True):
    """The pending question (keys answer it) or, after the run, the predictions and outcomes."""


    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"choose({n - 1})", f"Answer {n}", show=False) for n in range(1, 6)),
        Binding("s,0", "skip", "Skip the question", show=False),
    ]

    class Answered(Message):
        """The room's answer to the shown question (``choice`` from 0; None: skipped)."""

        def __init__(self, step: int, choice: int | None) -> None:
            super().__init__()
            self.step = step
            self.choice = choice

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__("", id=id)
        self.question: PendingQuestion | None = None

    def ask(self, question: PendingQuestion) -> None:
        """Show ``question`` and take the focus, so its keys answer it."""
        self.question = question
        self.border_title = "Predict"
        self.update(question_text(question))
        self.add_class("-shown")
        self.focus()

    def results(self, asks: Sequence[AskResult]) -> None:
        """Show the predictions and what happened (hidden when nothing was asked)."""
        self.question = None
        self.border_title = "Predictions and what happened"
        self.update(results_text(asks))
        self.set_class(bool(asks), "-shown")

    def clear(self) -> None:
        self.question = None
        self.update("")
        self.remove_class("-shown")

    def action_choose(self, choice: int) -> None:
        question = self.question
        if question is None:
            return
        if choice >= len(question.ask.choices):
            self.app.notify(f"This question has {len(question.ask.choices)} choices.",
                            severity="warning", timeout=3)
            return
        self._answer(question, choice)

    def action_skip(self) -> None:
        if self.question is not None:
            self._answer(self.question, None)

    def _answer(self, question: PendingQuestion, choice: int | None) -> None:
        self.question = None
        self.remove_class("-shown")
        self.post_message(self.Answered(question.step, choice))
