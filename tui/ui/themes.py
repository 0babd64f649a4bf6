"""Themes are data: YAML files turned into ``textual.theme.Theme`` objects (posting's habit).

Search order (later wins on a name clash): the wheel's ``tui/themes_data``, the source checkout's
``themes/``, then the user's ``config_dir()/themes``. A broken file is skipped and reported, never
fatal. Files are read by :mod:`tui.yamldoc` (size cap, ``yaml.safe_load`` only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.color import Color
from textual.theme import Theme

from tui import paths, yamldoc
from tui.yamldoc import Where, YamlError, get_bool, get_float, get_str, kind, mapping

DEFAULT_THEME = "kx-dark"
_COLOR_KEYS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
               "background", "surface", "panel", "boost")
MAX_THEME_BYTES = 64_000


class ThemeError(YamlError, ValueError):
    """A theme file that cannot be used; the sentence names the file."""


_ALIASES = {"dark": "kx-dark", "light": "kx-light", "high-contrast": "kx-high-contrast",
            "hc": "kx-high-contrast"}


@dataclass
class ThemeSet:
    themes: dict[str, Theme] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """One sentence per file that could not be loaded."""

    def resolve(self, name: str | None) -> str | None:
        """A theme name as typed (``dark``, ``kx-dark``) -> the registered name, or None."""
        if not name:
            return None
        if name in self.themes:
            return name
        alias = _ALIASES.get(name)
        if alias in self.themes:
            return alias
        prefixed = f"kx-{name}"
        return prefixed if prefixed in self.themes else None


def theme_dirs() -> list[Path]:
    here = Path(__file__).resolve().parent
    return [here.parent / "themes_data", here.parent.parent / "themes", paths.config_dir() / "themes"]


def theme_from_mapping(data: Any, origin: str) -> Theme:
    """Validate one theme document; raises :class:`ThemeError` (a ValueError) naming ``origin``."""
    w = Where(origin, ThemeError)
    if not isinstance(data, dict):
        w.fail("a theme file must be a mapping of keys to values.")
    fields = mapping(w, data, "theme")
    if fields.get("name") is None:
        w.fail("the theme needs a `name`.")
    if not isinstance(fields.get("primary"), str):
        w.fail("the theme needs a `primary` colour.")
    kwargs: dict[str, Any] = {"name": get_str(w, fields, "name"), "primary": fields["primary"]}
    for key in _COLOR_KEYS[1:]:
        if key in fields:
            if not isinstance(fields[key], str):
                w.fail(f"`{key}` must be a colour string like \"#112233\", not {kind(fields[key])}.")
            kwargs[key] = fields[key]
    if "dark" in fields:
        kwargs["dark"] = get_bool(w, fields, "dark", True)
    for key in ("luminosity_spread", "text_alpha"):
        if key in fields:
            kwargs[key] = get_float(w, fields, key, low=0.0, high=1.0)
    variables = mapping(w, fields.get("variables"), "variables")
    kwargs["variables"] = {k: str(v) for k, v in variables.items()}
    theme = Theme(**kwargs)
    try:
        theme.to_color_system()  # rejects unparsable colours now, not at render time
    except Exception as exc:
        w.fail(str(exc))
    return theme


def load_themes(dirs: list[Path] | None = None) -> ThemeSet:
    found = ThemeSet()
    for directory in dirs if dirs is not None else theme_dirs():
        if not directory.is_dir():
            continue
        for file in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
            try:
                doc = yamldoc.read(file, what="theme file", name=file.name, max_bytes=MAX_THEME_BYTES,
                                   error=ThemeError)
                theme = theme_from_mapping(doc.data, file.name)
            except (ValueError, TypeError) as exc:  # ThemeError, or Theme() refusing a value
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                found.problems.append(f"Theme file {file} was skipped: {message}")
                continue
            found.themes[theme.name] = theme
    return found


# ---- contrast (WCAG 2.x) -------------------------------------------------------------------------

AA_TEXT = 4.5
"""WCAG AA minimum contrast for normal text."""

CURSOR_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("selected row (table focused)", "block-cursor-foreground", "block-cursor-background"),
    ("selected row (table not focused)", "block-cursor-blurred-foreground",
     "block-cursor-blurred-background"),
)
"""(what, foreground variable, background variable) of the selected row in a FastTable (its
stylesheet uses these variables, and the row's own cell colours give way to them)."""

TEXT_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("table text", "foreground", "surface"),
    ("table text, zebra row", "foreground", "surface-lighten-1"),
    ("error cell", "error", "surface"),
    ("warning cell", "warning", "surface"),
    ("success cell", "success", "surface"),
)
"""Other text the tables show, for the report (cell colours come from these theme colours)."""


def theme_variables(theme: Theme) -> dict[str, str]:
    """The CSS variables ``theme`` gives an app (as :meth:`textual.app.App.get_css_variables`)."""
    return {**theme.to_color_system().generate(), **theme.variables}


def resolve_colour(value: str, over: Color | None = None) -> Color:
    """A CSS colour value (``#RRGGBB``, a name, ``auto 87%``, ``#RRGGBB 30%``) as the opaque colour
    seen over ``over`` (``auto`` is Textual's contrasting text colour for ``over``)."""
    parts = value.split()
    alpha = 1.0
    if len(parts) == 2 and parts[1].endswith("%"):
        alpha = float(parts[1][:-1]) / 100.0
    base = over or Color(0, 0, 0)
    if parts[0] == "auto":
        colour = base.get_contrast_text(alpha)
    else:
        colour = Color.parse(parts[0])
        colour = colour.with_alpha(colour.a * alpha)
    return base + colour if colour.a < 1.0 else colour


def relative_luminance(colour: Color) -> float:
    """WCAG relative luminance of an sRGB colour (0 black .. 1 white)."""

    def channel(value: int) -> float:
        c = value / 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = colour.rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(first: Color, second: Color) -> float:
    """WCAG contrast ratio (1 .. 21) of two opaque colours."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def pair_contrast(variables: dict[str, str], fg_name: str, bg_name: str) -> float:
    """Contrast of variable ``fg_name`` over ``bg_name`` (the background over the theme's
    surface when it is translucent)."""
    surface = resolve_colour(variables.get("surface", "#000000"),
                             resolve_colour(variables.get("background", "#000000")))
    background = resolve_colour(variables[bg_name], surface)
    return contrast_ratio(resolve_colour(variables[fg_name], background), background)


def contrast_report(theme: Theme) -> list[tuple[str, float]]:
    """(what, ratio) for the selected row and the tables' text in ``theme``."""
    variables = theme_variables(theme)
    return [(what, pair_contrast(variables, fg, bg)) for what, fg, bg in CURSOR_PAIRS + TEXT_PAIRS]
