"""The selected row is readable in every shipped theme: WCAG AA (4.5:1) for its text, focused or
not, and the tables' other text too. The ratios come from the same CSS variables the app uses."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color

from tui.ui.themes import (
    AA_TEXT,
    contrast_ratio,
    contrast_report,
    load_themes,
    resolve_colour,
    theme_from_mapping,
)

REPO = Path(__file__).resolve().parents[2]
THEMES = load_themes([REPO / "themes"]).themes


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    white, black = Color.parse("#FFFFFF"), Color.parse("#000000")
    assert contrast_ratio(white, black) == pytest.approx(21.0)
    assert contrast_ratio(black, white) == pytest.approx(21.0)
    assert contrast_ratio(white, white) == pytest.approx(1.0)
    # WebAIM's checker: #767676 on white is the lightest grey passing AA (4.54:1)
    assert contrast_ratio(Color.parse("#767676"), white) == pytest.approx(4.54, abs=0.01)


def test_translucent_and_auto_colours_resolve_over_their_background() -> None:
    over = Color.parse("#000000")
    assert resolve_colour("#FFFFFF 50%", over).rgb in {(127, 127, 127), (128, 128, 128)}
    assert resolve_colour("auto 100%", Color.parse("#FFFFFF")).rgb == (0, 0, 0)


@pytest.mark.parametrize("name", sorted(THEMES))
def test_every_theme_reaches_aa_on_the_selected_row_and_table_text(name: str) -> None:
    report = dict(contrast_report(THEMES[name]))
    assert report["selected row (table focused)"] >= AA_TEXT
    assert report["selected row (table not focused)"] >= AA_TEXT
    failing = {what: round(ratio, 2) for what, ratio in report.items() if ratio < AA_TEXT}
    assert failing == {}


def test_the_old_cursor_failed_so_the_check_can_fail() -> None:
    """A theme whose cursor keeps the cell's text colour on the primary background (the look
    before issue 19) is below AA: the check above is not vacuous."""
    theme = theme_from_mapping({"name": "old", "primary": "#4EA1FF", "foreground": "#D7DEE7",
                                "background": "#0F1419", "surface": "#151B23",
                                "variables": {"block-cursor-foreground": "#D7DEE7"}}, "old.yaml")
    assert dict(contrast_report(theme))["selected row (table focused)"] < AA_TEXT
