"""Themes are data: YAML files turned into ``textual.theme.Theme`` objects (posting's habit).

Search order (later wins on a name clash): the wheel's ``tui/themes_data``, the source checkout's
``themes/``, then the user's ``config_dir()/themes``. A broken file is skipped and reported, never
fatal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from textual.theme import Theme

from tui import paths

DEFAULT_THEME = "kx-dark"
_COLOR_KEYS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
               "background", "surface", "panel", "boost")
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
    """Validate one theme document; raises ValueError with a sentence naming ``origin``."""
    if not isinstance(data, dict):
        raise ValueError(f"{origin}: a theme file must be a mapping of keys to values.")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{origin}: the theme needs a `name`.")
    if not isinstance(data.get("primary"), str):
        raise ValueError(f"{origin}: the theme needs a `primary` colour.")
    kwargs: dict[str, Any] = {"name": name.strip(), "primary": data["primary"]}
    for key in _COLOR_KEYS[1:]:
        if key in data:
            if not isinstance(data[key], str):
                raise ValueError(f"{origin}: `{key}` must be a colour string like \"#112233\".")
            kwargs[key] = data[key]
    if "dark" in data:
        kwargs["dark"] = bool(data["dark"])
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            kwargs[key] = float(data[key])
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError(f"{origin}: `variables` must be a mapping.")
    kwargs["variables"] = {str(k): str(v) for k, v in variables.items()}
    theme = Theme(**kwargs)
    try:
        theme.to_color_system()  # rejects unparsable colours now, not at render time
    except Exception as exc:
        raise ValueError(f"{origin}: {exc}") from exc
    return theme


def load_themes(dirs: list[Path] | None = None) -> ThemeSet:
    found = ThemeSet()
    for directory in dirs if dirs is not None else theme_dirs():
        if not directory.is_dir():
            continue
        for file in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
            try:
                data = yaml.safe_load(file.read_text(encoding="utf-8"))
                theme = theme_from_mapping(data, file.name)
            except (OSError, yaml.YAMLError, ValueError, TypeError) as exc:
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                found.problems.append(f"Theme file {file} was skipped: {message}")
                continue
            found.themes[theme.name] = theme
    return found
