"""Background work steps aside while the screen answers a key, for a bounded time."""

from __future__ import annotations

import threading
import time

import pytest

from tui import foreground


@pytest.fixture(autouse=True)
def _idle_screen() -> None:
    foreground.answered()


def _in_thread(fn: object) -> float:
    out: list[float] = []
    thread = threading.Thread(target=lambda: out.append(fn()))  # type: ignore[operator]
    thread.start()
    thread.join(5)
    return out[0]


def test_nothing_waits_without_a_key_press() -> None:
    assert _in_thread(foreground.step_aside) == 0.0


def test_a_waiting_thread_goes_on_when_the_screen_is_drawn() -> None:
    foreground.answering(seconds=5.0)
    started = threading.Event()
    waited: list[float] = []

    def background() -> None:
        started.set()
        waited.append(foreground.step_aside())

    thread = threading.Thread(target=background)
    thread.start()
    started.wait(5)
    foreground.answered()
    thread.join(5)
    assert not thread.is_alive()
    assert waited[0] < 4.0  # released by answered(), long before the bound


def test_a_wait_is_bounded_and_not_repeated_at_once() -> None:
    foreground.answering(seconds=0.05)

    def twice() -> tuple[float, float]:
        first = foreground.step_aside()
        foreground.answering(seconds=5.0)  # another key at once: this thread just waited
        return first, foreground.step_aside()

    out: list[tuple[float, float]] = []
    thread = threading.Thread(target=lambda: out.append(twice()))
    t0 = time.monotonic()
    thread.start()
    thread.join(5)
    first, second = out[0]
    assert 0.0 < first < 1.0
    assert second == 0.0  # within the cool-down: it runs on
    assert time.monotonic() - t0 < 2.0
