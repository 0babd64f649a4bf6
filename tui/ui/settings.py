"""User settings the explorer remembers (``settings.yaml``) and the keymap (``keymap.yaml``).

Both live in ``config_dir()`` and are read by :mod:`tui.yamldoc`. Reading never fails: a broken
file yields defaults plus a problem sentence (with the line) the app shows as a notification.
Writing creates the directory lazily. The keymap's problems include keys that collide
(:func:`tui.ui.registry.key_conflicts`), so a remapped key never silently takes another command's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tui import paths, yamldoc
from tui.ui.registry import key_conflicts
from tui.yamldoc import Document, YamlError, get_opt_str, get_text_map, kind

MAX_FILE_BYTES = 64_000
REMEMBERED_FORMS = ("producer", "member", "topic")
"""Forms whose last values are kept in settings.yaml (others only for the session)."""


@dataclass
class Settings:
    theme: str | None = None
    """Name of the last theme chosen (``--theme`` or the palette)."""
    forms: dict[str, dict[str, str]] = field(default_factory=dict)
    """Last values submitted per form id (``producer``, ``member``, ``topic``), field -> text."""
    problems: list[str] = field(default_factory=list)


def settings_file() -> Path:
    return paths.config_dir() / "settings.yaml"


def keymap_file() -> Path:
    return paths.config_dir() / "keymap.yaml"


def _read_document(path: Path, what: str = "settings file") -> tuple[Document, dict[str, Any], str | None]:
    """The document, its top-level mapping and a problem sentence (defaults: an empty mapping)."""
    empty = Document(source=str(path), data=None)
    if not path.exists():
        return empty, {}, None
    try:
        doc = yamldoc.read(path, what=what, max_bytes=MAX_FILE_BYTES)
    except YamlError as exc:
        return empty, {}, f"{exc.sentence.rstrip('.')}; using defaults."
    if doc.data is None:
        return doc, {}, None
    if not isinstance(doc.data, dict):
        return doc, {}, f"{path} must be a mapping, not {kind(doc.data)}; using defaults."
    return doc, {str(k): v for k, v in doc.data.items()}, None


def load_settings(path: Path | None = None) -> Settings:
    doc, data, problem = _read_document(path or settings_file())
    settings = Settings(problems=[problem] if problem else [])
    try:
        settings.theme = get_opt_str(doc.at("theme"), data, "theme")
    except YamlError as exc:  # a bad value is ignored, not fatal
        settings.problems.append(f"{exc.sentence.rstrip('.')}; ignored.")
    raw_forms = data.get("forms")
    if raw_forms is not None and not isinstance(raw_forms, dict):
        settings.problems.append(f"{doc.where('forms')}: 'forms' must be a mapping; ignored.")
        raw_forms = None
    for form_id, values in (raw_forms or {}).items():
        if str(form_id) not in REMEMBERED_FORMS:
            continue
        try:
            settings.forms[str(form_id)] = get_text_map(doc.at("forms", form_id), values,
                                                        f"forms.{form_id}")
        except YamlError as exc:
            settings.problems.append(f"{exc.sentence.rstrip('.')}; ignored.")
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> str | None:
    """Write the settings; returns a problem sentence instead of raising."""
    target = path or settings_file()
    _doc, data, _ = _read_document(target)  # keep keys other versions wrote
    if settings.theme:
        data["theme"] = settings.theme
    forms = {k: dict(v) for k, v in settings.forms.items() if k in REMEMBERED_FORMS and v}
    if forms:
        data["forms"] = forms
    try:
        paths.ensure(target.parent)
        target.write_text(yaml.safe_dump(data, sort_keys=True), encoding="utf-8")
    except OSError as exc:
        return f"Could not save settings to {target}: {exc.strerror or exc}."
    return None


def load_keymap(known_ids: set[str], path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """``{binding id: keys}`` from keymap.yaml (e.g. ``node.kill: ctrl+k``), plus problems: unknown
    ids, empty keys and every key collision the remapping creates (one sentence each)."""
    doc, data, problem = _read_document(path or keymap_file(), "keymap file")
    problems = [problem] if problem else []
    keymap: dict[str, str] = {}
    for key, value in data.items():
        if key not in known_ids:
            problems.append(f"{doc.where(key)}: unknown command id {key!r} ignored.")
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{doc.where(key)}: {key} needs a key name such as \"ctrl+k\".")
            continue
        keymap[key] = value.strip()
    target = path or keymap_file()
    problems.extend(f"{target.name}: {conflict.sentence}" for conflict in key_conflicts(keymap))
    return keymap, problems
