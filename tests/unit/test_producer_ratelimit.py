"""Token bucket arithmetic with a fake clock."""

from __future__ import annotations

from tui.engine.producer.ratelimit import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_long_run_rate_is_exact() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1000.0, clock=clock)
    sent = 0
    while clock.now < 10.0:
        wait = bucket.take()
        if wait == 0.0:
            sent += 1
        else:
            clock.now += wait
    assert abs(sent - 10_000) <= 60  # one 50 ms burst at most


def test_burst_after_a_stall_is_capped() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100.0, clock=clock)
    clock.now = 60.0  # a minute without sending must not allow 6000 records at once
    burst = 0
    while bucket.take() == 0.0:
        burst += 1
    assert burst == 5
