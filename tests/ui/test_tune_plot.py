"""A plot that plotext cannot lay out costs the picture, never the app (the soak found one: an
IndexError inside plotext's legend code, raised from render, ended the app)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual_plotext import PlotextPlot

from tui.ui.tune.plot import TOO_SMALL, SafePlot


def _break(plot: PlotextPlot) -> None:
    plot.plt.plot([1, 2], [1, 2], label="a")
    plot.plt.plot([], [], label="empty")  # a labelled series without points: plotext's IndexError


def test_plotext_itself_raises_on_this_figure() -> None:
    plot = PlotextPlot()
    _break(plot)
    with pytest.raises(IndexError):
        plot.plt.build()


async def test_the_safe_plot_renders_a_sentence_and_the_app_lives() -> None:
    class OnePlot(App[None]):
        def compose(self) -> ComposeResult:
            yield SafePlot(id="p")

    app = OnePlot()
    async with app.run_test(size=(80, 24)) as pilot:
        plot = app.query_one(SafePlot)
        _break(plot)
        plot.refresh()
        await pilot.pause()
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert app.is_running
        assert TOO_SMALL in str(plot.render())
