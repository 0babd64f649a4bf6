"""Namespaces: the prefix one explorer's topics, groups and transactional ids live under.

``serve`` gives each browser its own (typed on the first page as ``&name=...``, else ``p1``, ``p2``
...), hands it to the explorer as ``--namespace NAME`` and ``$KX_NAMESPACE``, and the engine
prefixes the names. A name is short and made of characters every Kafka name accepts.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re

from tui.errors import UserError

NAMESPACE_ENV = "KX_NAMESPACE"
"""The environment variable a served explorer (and whatever it starts) finds its namespace in."""
MAX_LENGTH = 24
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class NamespaceError(UserError):
    """A namespace name that cannot prefix Kafka names; the sentence says what is allowed."""


def check_namespace(name: str) -> str:
    """``name`` when it is a valid namespace; raises :class:`NamespaceError` otherwise."""
    if len(name) > MAX_LENGTH or not _NAME.fullmatch(name):
        raise NamespaceError(
            f"A namespace is 1 to {MAX_LENGTH} letters, digits, '-' or '_', starting with a letter or "
            f"digit; got {name[:MAX_LENGTH + 8]!r}.")
    return name


def namespace_argument(text: str) -> str:
    """``type=`` for ``--namespace``: argparse prints the sentence and exits 2."""
    try:
        return check_namespace(text)
    except NamespaceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def namespace_from(option: str | None) -> str | None:
    """The explorer's namespace: ``--namespace``, else ``$KX_NAMESPACE`` (checked), else None."""
    if option:
        return check_namespace(option)
    from_env = os.environ.get(NAMESPACE_ENV, "").strip()
    return check_namespace(from_env) if from_env else None


class NamespaceCounter:
    """Names for browsers that did not type one: ``p1``, ``p2`` ... in arrival order."""

    def __init__(self, prefix: str = "p") -> None:
        self._prefix = prefix
        self._numbers = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}{next(self._numbers)}"
