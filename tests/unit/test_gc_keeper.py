"""Cyclic garbage is collected by the keeper thread, with the automatic collector off."""

from __future__ import annotations

import gc
import weakref

from tests.helpers import wait_until
from tui.kafka import gc_keeper


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_keeper_collects_cycles_on_its_own_thread() -> None:
    gc_keeper.install()
    assert gc_keeper.installed()
    assert not gc.isenabled()
    node = _Node()
    gone = weakref.ref(node)
    del node
    wait_until(lambda: gone() is None, 10, message="the cycle to be collected by the keeper")
    gc_keeper.install()  # idempotent
    assert gc_keeper.installed()
