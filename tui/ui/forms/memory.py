"""The last values submitted in each form, for the rest of the session (and in settings.yaml).

Values live in the app's :class:`~tui.ui.settings.Settings` (``settings.forms``), so they last as
long as the app and are written with the other settings; an app without settings (a test host)
keeps them in a per-app table. After storing, the form posts :class:`FormValuesRemembered`: the app
saves its settings when it remembers things (``remember=True``), so the producer, member and topic
forms start from the last values next time too.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from textual.message import Message

from tui.ui.settings import Settings

_WITHOUT_SETTINGS: weakref.WeakKeyDictionary[object, dict[str, dict[str, str]]] = \
    weakref.WeakKeyDictionary()


class FormValuesRemembered(Message):
    """A form stored its submitted values in the app's settings (save them if you persist)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id


@runtime_checkable
class SettingsHolder(Protocol):
    settings: Settings


def _table(app: object) -> dict[str, dict[str, str]]:
    if isinstance(app, SettingsHolder) and isinstance(app.settings, Settings):
        return app.settings.forms
    return _WITHOUT_SETTINGS.setdefault(app, {})


def recall(app: object, form_id: str) -> dict[str, str]:
    """The values last submitted in form ``form_id`` (field name -> text), or nothing."""
    return dict(_table(app).get(form_id, {}))


def store(app: object, form_id: str, values: Mapping[str, str]) -> None:
    _table(app)[form_id] = dict(values)
