"""Themes are data: YAML files turned into ``textual.theme.Theme`` objects (posting's habit).

Search order (later wins on a name clash): the wheel's ``tui/themes_data``, the source checkout's
``themes/``, then the user's ``config_dir()/themes``. A broken file is skipped and reported, never
fatal. Files are read by :mod:`tui.yamldoc` (size cap, ``yaml.safe_load`` only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
