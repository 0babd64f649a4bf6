"""The one place a rendered cell gets a theme colour.

Widgets whose whole look follows a state use CSS classes (``-ok``, ``-violations``) or ``$variables``
in their content, and Textual restyles them when the theme changes. Table cells and Rich tables are
different: their colour depends on the data (a failed count, an ISR that shrank) and Rich cannot read
CSS variables, so they take the colour from the current theme here, at render time, and their pane
renders again when the app publishes ``theme_changed_signal`` (see :class:`tui.ui.panes.base.Pane`).
"""

from __future__ import annotations

from rich.style import Style
from textual.dom import DOMNode


def tone(node: DOMNode, name: str) -> Style:
    """A Rich style in the current theme's ``name`` colour (primary, accent, success, warning,
    error...; an unknown name: no colour)."""
    value = node.app.theme_variables.get(name)
    return Style(color=value) if value else Style()
