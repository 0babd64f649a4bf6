"""The lab's one exception type: its message is a sentence meant for the user."""

from tui.errors import UserError


class LabError(UserError):
    """A lab operation failed; ``str(err)`` says what happened and what to do about it."""
