"""The Tune screen's plot widget: textual-plotext's, made safe to render at any size.

plotext raises from inside its own layout code for some sizes and contents (an IndexError placing a
legend when the plot area is only a few rows tall, seen on a resize): a render error must cost the
picture, not the app.
"""

from __future__ import annotations

import logging

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

LOG = logging.getLogger("kafka_explorer.ui")
TOO_SMALL = "(the plot does not fit here: a larger window shows it)"


class SafePlot(PlotextPlot):
    def render(self) -> RenderResult:
        try:
            return super().render()
        except Exception as exc:  # plotext's layout fails on some sizes; the rest of the screen lives
            LOG.debug("plot %s not drawn at %s: %r", self.id, self.size, exc)
            return Text(TOO_SMALL, style="dim")
