"""The one base class of errors meant for the user: a sentence to print and the exit code to end with.

Every layer raises its own subclass (``ConfigError``, ``ConnectError``, ``LabError``, ``YamlError``,
``ScenarioError`` ...) and ``tui.cli`` turns any that escapes a command into ``kafka-explorer:
<sentence>`` on stderr and the exit code. ``str(err)`` is the sentence, so code that catches a
subclass and prints ``str(exc)`` keeps working.
"""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """Something the user can fix, told in one sentence; never shown with a traceback."""

    exit_code: int = 1
    """What the command exits with when this error ends it (a subclass may set its own)."""

    def __init__(self, sentence: str, exit_code: int | None = None) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.sentence

    def __reduce__(self) -> tuple[Any, ...]:  # keeps the exit code across processes
        return (type(self), (self.sentence, self.exit_code))
