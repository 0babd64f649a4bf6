"""The record lane reads in every shipped theme: each fate's colour stands out from the surface
(WCAG 1.4.11, 3:1 for graphical objects; 4.5:1 in the high-contrast theme), and fates never depend
on colour alone (each has its own glyph)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color

from tui.engine import FATE_GLYPHS
from tui.ui.themes import contrast_ratio, load_themes, resolve_colour, theme_from_mapping, theme_variables
from tui.ui.widgets.lane import FATE_COLOURS, fate_colour
from tui.vocab import RecordFate

REPO = Path(__file__).resolve().parents[2]
THEMES = load_themes([REPO / "themes"]).themes
NON_TEXT = 3.0
HIGH_CONTRAST = 4.5


def _ratios(variables: dict[str, str]) -> dict[RecordFate, float]:
    surface = resolve_colour(variables["surface"], resolve_colour(variables["background"]))
    return {fate: contrast_ratio(Color.parse(fate_colour(variables, fate)), surface)
            for fate in RecordFate}


@pytest.mark.parametrize("name", sorted(THEMES))
def test_every_fate_stands_out_from_the_surface(name: str) -> None:
    ratios = _ratios(theme_variables(THEMES[name]))
    floor = HIGH_CONTRAST if "high-contrast" in name else NON_TEXT
    failing = {fate.value: round(r, 2) for fate, r in ratios.items() if r < floor}
    assert failing == {}


def test_the_shipped_themes_include_the_high_contrast_one() -> None:
    assert "kx-high-contrast" in THEMES


def test_a_pale_theme_fails_so_the_check_can_fail() -> None:
    pale = theme_from_mapping({"name": "pale", "primary": "#EEEEEE", "success": "#F0F0F0",
                               "background": "#FFFFFF", "surface": "#FFFFFF"}, "pale.yaml")
    assert _ratios(theme_variables(pale))[RecordFate.PROCESSED] < NON_TEXT


def test_fates_have_a_colour_and_a_glyph_each() -> None:
    assert set(FATE_COLOURS) == set(RecordFate) == set(FATE_GLYPHS)
    assert len(set(FATE_GLYPHS.values())) == len(RecordFate)
