"""The adaptive token bucket and the circuit breaker, on a fake clock (no sleeping)."""

import threading

import pytest

from stock_assets.lib.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from stock_assets.lib.ratelimit import AdaptiveTokenBucket, Cancelled


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_bucket_paces_at_its_rate():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=10, burst=1, clock=clock)
    assert bucket.try_acquire() == 0.0
    assert bucket.try_acquire() == pytest.approx(0.1)
    clock.now += 0.1
    assert bucket.try_acquire() == 0.0


def test_bucket_backs_off_on_429_once_per_cooldown_and_recovers_when_quiet():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=40, min_rate=1, quiet=30, recover_step=0.25, cooldown=1.0, clock=clock)
    assert bucket.throttled() is True
    assert bucket.state().rate == 20
    assert bucket.throttled() is False  # the same burst of 429s counts once
    clock.now += 1.5
    assert bucket.throttled() is True
    assert bucket.state().rate == 10
    for _ in range(10):
        clock.now += 1.5
        bucket.throttled()
    assert bucket.state().rate == 1  # never below the floor
    clock.now += 29
    assert bucket.state().rate == 1  # not quiet long enough yet
    clock.now += 2
    assert bucket.state().rate == pytest.approx(11)  # one quiet period: + 25 % of the ceiling
    clock.now += 300
    assert bucket.state().rate == 40  # fully recovered, never above the ceiling
    assert bucket.state().throttles == 12
    assert "rate 40.0/40.0" in bucket.state().describe()


def test_bucket_wait_stops_when_the_run_stops():
    bucket = AdaptiveTokenBucket(rate=0.01, burst=1)
    bucket.acquire()
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        bucket.acquire(stop=stop)


def test_breaker_opens_after_n_failures_then_lets_one_probe_and_closes():
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cooldown=10, clock=clock)
    assert not breaker.failure() and not breaker.failure()
    assert breaker.failure() is True
    assert breaker.state == OPEN and not breaker.allow()
    assert breaker.retry_in() == 10
    clock.now += 10
    assert breaker.state == HALF_OPEN
    assert breaker.allow() is True  # the probe
    assert breaker.allow() is False  # only one at a time
    breaker.success()
    assert breaker.state == CLOSED and breaker.allow()
    assert (breaker.opened, breaker.closed_again) == (1, 1)


def test_a_failed_probe_opens_the_breaker_again():
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown=5, clock=clock)
    breaker.failure()
    breaker.failure()
    clock.now += 5
    assert breaker.allow()
    assert breaker.failure() is True
    assert breaker.state == OPEN and breaker.opened == 2


def test_a_success_resets_the_count():
    breaker = CircuitBreaker(threshold=2, cooldown=5)
    breaker.failure()
    breaker.success()
    breaker.failure()
    assert breaker.state == CLOSED


def test_a_stale_success_does_not_close_an_open_breaker():
    # A call sent before the breaker opened answers after it: that says nothing about now.
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=clock)
    breaker.failure()
    breaker.failure()
    breaker.success()  # in flight since before the breaker opened
    assert breaker.state == OPEN and not breaker.allow()
    assert breaker.closed_again == 0
    clock.now += 10
    assert breaker.state == HALF_OPEN
    breaker.success()  # still not the probe: no probe has been let out
    assert breaker.state == HALF_OPEN
    assert breaker.allow() is True  # the probe
    breaker.success()
    assert breaker.state == CLOSED and breaker.closed_again == 1
