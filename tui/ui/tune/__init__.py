"""The Tune screen: producer profiles compared side by side, and sweeps of settings with their
Pareto frontier (plots by textual-plotext)."""

from pathlib import Path

from tui.ui.tune.pane import TunePane

TUNE_CSS = Path(__file__).with_name("tune.tcss")
"""The screen's layout (the app adds it to its CSS_PATH)."""

__all__ = ["TUNE_CSS", "TunePane"]
