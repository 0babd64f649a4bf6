"""User settings the explorer remembers (``settings.yaml``) and the keymap (``keymap.yaml``).

Both live in ``config_dir()``. Reading never fails: a broken file yields defaults plus a problem
sentence the app shows as a notification. Writing creates the directory lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tui import paths


@dataclass
class Settings:
    theme: str | None = None
    """Name of the last theme chosen (``--theme`` or the palette)."""
    problems: list[str] = field(default_factory=list)


def settings_file() -> Path:
    return paths.config_dir() / "settings.yaml"


def keymap_file() -> Path:
    return paths.config_dir() / "keymap.yaml"


def _read_mapping(path: Path) -> tuple[dict[str, Any], str | None]:
    if not path.exists():
        return {}, None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return {}, f"{path} could not be read ({first}); using defaults."
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, f"{path} must be a mapping; using defaults."
    return data, None


def load_settings(path: Path | None = None) -> Settings:
    data, problem = _read_mapping(path or settings_file())
    settings = Settings(problems=[problem] if problem else [])
    theme = data.get("theme")
    if isinstance(theme, str):
        settings.theme = theme
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> str | None:
    """Write the settings; returns a problem sentence instead of raising."""
    target = path or settings_file()
    data, _ = _read_mapping(target)  # keep keys other versions wrote
    if settings.theme:
        data["theme"] = settings.theme
    try:
        paths.ensure(target.parent)
        target.write_text(yaml.safe_dump(data, sort_keys=True), encoding="utf-8")
    except OSError as exc:
        return f"Could not save settings to {target}: {exc.strerror or exc}."
    return None


def load_keymap(known_ids: set[str], path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """``{binding id: keys}`` from keymap.yaml (e.g. ``node.kill: ctrl+k``), plus problems."""
    file = path or keymap_file()
    data, problem = _read_mapping(file)
    problems = [problem] if problem else []
    keymap: dict[str, str] = {}
    for key, value in data.items():
        if str(key) not in known_ids:
            problems.append(f"{file}: unknown command id {str(key)!r} ignored.")
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{file}: {key} needs a key name such as \"ctrl+k\".")
            continue
        keymap[str(key)] = value.strip()
    return keymap, problems
