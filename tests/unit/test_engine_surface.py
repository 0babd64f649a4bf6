"""The engine's public surface: one list of names, each resolving to a real object."""

from __future__ import annotations

import importlib

import pytest

import tui.engine as engine


def test_every_public_name_is_listed_once_and_resolves() -> None:
    where = engine._WHERE
    assert sorted(engine.__all__) == sorted(where)
    for name in engine.__all__:
        assert getattr(engine, name) is getattr(importlib.import_module(f"tui.engine.{where[name]}"), name)


def test_unknown_names_are_refused() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        engine.NoSuchThing  # noqa: B018
