"""Putting new content into a Static or Label only when it changed.

``Static.update`` always asks for a layout pass, and a layout pass reflows and repaints the whole
screen. Panes re-show their titles and hints on every snapshot (several a second while records
flow), mostly with the same text: each of those cost a full-screen layout, and a key press that
came meanwhile waited for it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.content import Content
from textual.visual import VisualType, visualize
from textual.widgets import Static


def _same(old: VisualType, new: VisualType) -> bool:
    """Whether ``new`` renders exactly as ``old`` (styles included: Content's and Text's own
    equality compare the characters only). Anything else (a Rich table) counts as changed."""
    if type(old) is not type(new):
        return False
    if isinstance(old, str):
        return old == new
    if isinstance(old, Content) and isinstance(new, Content):
        return old.plain == new.plain and list(old.spans) == list(new.spans)
    if isinstance(old, Text) and isinstance(new, Text):
        return (old.plain, old.spans, old.style, old.justify, old.overflow, old.no_wrap, old.end) \
            == (new.plain, new.spans, new.style, new.justify, new.overflow, new.no_wrap, new.end)
    return False


def _same_height(widget: Static, content: VisualType) -> bool:
    """Whether ``content`` wraps to as many lines as what ``widget`` shows, in a box whose width does
    not depend on its content: then its box stays as it is."""
    width = widget.content_region.width
    rule = widget.styles.width
    if not width or (rule is not None and rule.is_auto):
        return False  # not laid out yet, or as wide as its text
    markup = getattr(widget, "_render_markup", True)
    styles: Any = widget.styles  # what Textual's own layout passes (typed there as a rules map)
    try:
        return widget.visual.get_height(styles, width) == \
            visualize(widget, content, markup=markup).get_height(styles, width)
    except Exception:  # whatever cannot be measured here is laid out
        return False


def put(widget: Static, content: VisualType, *, sized_by_css: bool = False) -> None:
    """Put ``content`` into ``widget`` unless it shows exactly that already; ask for a layout pass
    only when its box can change.

    ``sized_by_css``: the widget's box does not depend on its content (its height and width are
    fixed or fractions in the stylesheet). Otherwise the box stays when the widget is not as wide as
    its text and the new content wraps to as many lines as the old.
    """
    if _same(widget.content, content):
        return
    widget.update(content, layout=not (sized_by_css or _same_height(widget, content)))
