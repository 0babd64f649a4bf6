"""Widgets shared by several screens."""

from pathlib import Path

WIDGETS_CSS = [Path(__file__).with_name(name) for name in ("lane.tcss", "ask.tcss", "key_footer.tcss")]
"""The widgets' stylesheets, loaded by the app (a widget's CSS applies wherever it is shown)."""
