"""The adaptive token bucket and the circuit breaker, on a fake clock (no sleeping)."""

import dataclasses
import math
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
    bucket = AdaptiveTokenBucket(rate=10, burst_s=0.1, clock=clock)
    assert bucket.try_acquire() == 0.0
    assert bucket.try_acquire() == pytest.approx(0.1)
    clock.now += 0.1
    assert bucket.try_acquire() == 0.0


def _admit(bucket, clock, count, seconds):
    """`count` requests answered 200, sent evenly over the next `seconds`."""
    for i in range(count):
        bucket.admitted(clock.now + i * seconds / count)
    clock.now += seconds


def test_a_429_brings_the_rate_to_what_yahoo_admitted_and_counts_once_per_cut():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=100, min_rate=0.5, margin=0.95, clock=clock)
    _admit(bucket, clock, 12, 1.0)  # Yahoo let 12 through in the last second
    assert bucket.throttled(sent_at=clock.now) is True
    assert bucket.state().rate == pytest.approx(0.95 * 12)
    assert bucket.state().limit_estimate == pytest.approx(12)
    # 429s for requests sent before that cut were in flight: nothing new, no second cut
    assert bucket.throttled(sent_at=clock.now - 0.1) is False
    assert bucket.state().rate == pytest.approx(11.4)
    assert (bucket.state().throttles, bucket.state().throttled_requests) == (1, 2)


def test_an_answer_that_comes_back_after_the_429_redoes_the_cut():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=100, margin=0.95, clock=clock)
    bucket.admitted(0.0)
    bucket.throttled(sent_at=0.05)  # the 200 sent at 0.04 is not back yet: 1/s seen
    assert bucket.state().rate == pytest.approx(0.95)
    bucket.admitted(0.04)  # now it is: Yahoo admitted 2 in that second
    assert bucket.state().rate == pytest.approx(1.9)
    assert bucket.state().limit_estimate == pytest.approx(2)
    bucket.admitted(0.3)  # sent after the throttled request: not part of that cut
    assert bucket.state().rate == pytest.approx(1.9)


def test_an_isolated_429_at_the_limit_cuts_gently():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=20, gentle=0.9, clock=clock)
    _admit(bucket, clock, 40, 2.0)  # 20/s got through: the estimate says we are at the limit
    assert bucket.throttled(sent_at=clock.now) is True
    assert bucket.state().rate == pytest.approx(18)  # not halved: -10 %


def test_nothing_admitted_halves_the_rate_never_below_the_floor():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=8, min_rate=1, clock=clock)
    for _ in range(6):
        clock.now += 2
        bucket.throttled(sent_at=clock.now)
    assert bucket.state().rate == 1


def test_retry_after_holds_every_token_until_then():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=50, clock=clock)
    _admit(bucket, clock, 50, 1.0)
    bucket.throttled(sent_at=clock.now, retry_after=3)
    assert bucket.try_acquire() == pytest.approx(3.0)
    clock.now += 2.9
    assert bucket.try_acquire() == pytest.approx(0.1)
    clock.now += 0.1 + 1e-9
    assert bucket.try_acquire() == 0.0  # one token as the pause ends, not a burst piled up during it
    assert bucket.try_acquire() > 0.0
    assert bucket.state().paused_s == pytest.approx(3.0)


def test_the_rate_grows_only_while_callers_wait_and_slowly_near_the_limit_learnt():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=10, max_rate=40, grow=0.25, probe=0.02, hold=1.0, clock=clock)
    clock.now += 5
    assert bucket.state().rate == 10  # nobody waited for a token: no reason to go faster
    for _ in range(40):  # callers wait for tokens for 4 s: far from any limit, fast growth
        clock.now += 0.1
        while bucket.try_acquire() == 0.0:
            pass
    assert bucket.state().rate == pytest.approx(10 * math.exp(0.25 * 4), rel=0.05)
    clock.now += 100
    for _ in range(50):
        clock.now += 0.1
        while bucket.try_acquire() == 0.0:
            pass
    assert bucket.state().rate == 40  # never above the ceiling
    _admit(bucket, clock, 30, 1.0)
    bucket.throttled(sent_at=clock.now)  # learnt: 30/s
    assert bucket.state().rate == pytest.approx(28.5)
    for _ in range(50):  # near the learnt limit: +2 %/s once the hold is over
        clock.now += 0.1
        while bucket.try_acquire() == 0.0:
            pass
    assert bucket.state().rate == pytest.approx(28.5 * math.exp(0.02 * 4), rel=0.02)


def test_bucket_wait_stops_when_the_run_stops():
    bucket = AdaptiveTokenBucket(rate=0.01)
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


def test_the_wait_for_a_token_is_what_is_left_to_refill():
    """A partly refilled bucket waits only for the rest of the token: 0.3 refilled at 10/s
    leaves 0.07 s (not 0.13 s, not a whole 0.1 s)."""
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=10, burst_s=0.1, clock=clock)
    assert bucket.try_acquire() == 0.0
    clock.now += 0.03
    assert bucket.try_acquire() == pytest.approx(0.07)


def test_retry_in_counts_down_from_when_the_breaker_opened():
    clock = Clock()
    clock.now = 100.0  # a monotonic clock is never at zero
    breaker = CircuitBreaker(threshold=1, cooldown=10, clock=clock)
    assert breaker.failure() is True
    clock.now += 4
    assert breaker.retry_in() == pytest.approx(6)


def test_retry_after_throttles_step_down_further_and_widen_the_margin_when_held_below():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=100, margin=0.95, gentle=0.9, probe=0.02, clock=clock)
    _admit(bucket, clock, 200, 1.0)
    bucket.throttled(sent_at=clock.now, retry_after=1)
    assert bucket.state().rate == pytest.approx(81)  # 0.9 x 0.9, not 0.9: a pause per overshoot
    clock.now += 2
    _admit(bucket, clock, 30, 1.0)
    bucket.throttled(sent_at=clock.now, retry_after=1)  # learnt: 30/s
    assert bucket.state().rate == pytest.approx(28.5)
    clock.now += 2
    _admit(bucket, clock, 30, 1.0)
    bucket.throttled(sent_at=clock.now, retry_after=1)  # again, while held at 0.95 x 30
    assert bucket.state().rate == pytest.approx(28.5 * 0.81)
    for _ in range(150):  # 15 s of callers waiting, inside the 20 s plateau
        clock.now += 0.1
        while bucket.try_acquire() == 0.0:
            pass
    assert bucket.state().rate == pytest.approx(0.95 * 0.95 * 30)  # back up to the wider margin only


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


def test_a_partly_refilled_bucket_counts_from_its_last_take_on_a_clock_not_at_zero():
    clock = Clock()
    clock.now = 5000.0  # a monotonic clock counts from boot, not from zero
    bucket = AdaptiveTokenBucket(rate=10, burst_s=0.1, clock=clock)
    assert bucket.try_acquire() == 0.0
    clock.now += 0.03
    assert bucket.try_acquire() == pytest.approx(0.07)


def test_a_throttle_refills_first_so_no_token_accrues_for_the_time_before_it():
    """At 10/s a token was taken at t=0; a 429 at t=5 halves the rate to 5/s and empties the
    bucket: the next token is due one new interval (0.2 s) later, not at once."""
    clock = Clock()
    clock.now = 100.0
    bucket = AdaptiveTokenBucket(rate=10, burst_s=0.1, min_rate=1, clock=clock)
    assert bucket.try_acquire() == 0.0
    clock.now += 5
    assert bucket.throttled(sent_at=clock.now) is True  # nothing admitted: halved
    assert bucket.state().rate == 5
    assert bucket.try_acquire() == pytest.approx(0.2)


def test_the_first_token_after_a_retry_after_pause_is_due_exactly_as_it_ends():
    clock = Clock()
    clock.now = 10.0
    bucket = AdaptiveTokenBucket(rate=4, burst_s=0.25, clock=clock)
    bucket.throttled(sent_at=clock.now, retry_after=2)
    assert bucket.try_acquire() == 2.0
    clock.now = 12.0  # the pause is over
    assert bucket.try_acquire() == 0.0  # a token, taken
    assert bucket.try_acquire() == pytest.approx(1 / bucket.state().rate)  # and only one


def test_a_retry_after_of_one_second_or_less_still_pauses_every_caller():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=50, clock=clock)
    bucket.throttled(sent_at=clock.now, retry_after=1)
    assert bucket.try_acquire() == pytest.approx(1.0)
    assert bucket.state().paused_s == pytest.approx(1.0)
    bucket.throttled(sent_at=clock.now, retry_after=0)  # no header value: no pause added
    assert bucket.state().paused_s == pytest.approx(1.0)


def test_the_rate_grows_again_one_second_after_a_cut_by_default():
    """The default `hold` is 1 s: callers that keep waiting after a cut get a faster rate from
    then on (not after 2 s)."""
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=10, clock=clock)
    clock.now = 10.0
    bucket.throttled(sent_at=clock.now)  # nothing admitted: halved to 5/s
    assert bucket.state().rate == 5
    for _ in range(15):  # callers waiting for 1.5 s
        clock.now += 0.1
        while bucket.try_acquire() == 0.0:
            pass
    assert bucket.state().rate > 5


def test_far_below_a_learnt_limit_the_rate_grows_fast_not_at_the_probing_step():
    """A 429 came back before the answers to the requests sent with it: the cut went to 0.95/s.
    The late answers show Yahoo admitted 51/s, so the cut is redone to 0.9 x the old 10/s and the
    limit learnt is 51/s. At 9/s the rate is far below that limit: it grows at `grow` per
    second, not at the slow `probe` step kept for near the limit."""
    clock = Clock()
    clock.now = 1.0
    bucket = AdaptiveTokenBucket(rate=10, max_rate=200, grow=0.25, probe=0.02, clock=clock)
    bucket.admitted(0.0)
    assert bucket.throttled(sent_at=1.0) is True
    for i in range(50):  # the late answers, sent in the second before the throttled request
        bucket.admitted(0.01 + i * 0.019)
    assert bucket.state().limit_estimate == 51 and bucket.state().rate == pytest.approx(9)
    clock.now += 1.0  # the hold after the cut
    for _ in range(20):  # 2 s of callers waiting
        clock.now += 0.1
        while bucket.try_acquire() == 0.0:
            pass
    assert bucket.state().rate == pytest.approx(9 * math.exp(0.25 * 2), rel=0.05)


def test_a_lower_estimate_soon_after_a_cut_cuts_again_to_it():
    """Within a window of a cut only an estimate that says we are still clearly above the
    limit cuts again, and then straight to margin x that estimate."""
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=100, margin=0.95, clock=clock)
    _admit(bucket, clock, 20, 1.0)  # 20 admitted in [0, 1)
    assert bucket.throttled(sent_at=clock.now) is True
    assert bucket.state().rate == pytest.approx(19)
    clock.now += 0.5  # of the requests sent in the second before this one, only the ten from 0.5 on count
    assert bucket.throttled(sent_at=clock.now) is True
    assert bucket.state().rate == pytest.approx(0.95 * 10)
    assert bucket.state().throttles == 2


def test_an_answer_sent_at_the_same_instant_as_the_throttled_request_redoes_the_cut():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=100, margin=0.95, clock=clock)
    bucket.admitted(0.0)
    bucket.throttled(sent_at=0.5)
    assert bucket.state().rate == pytest.approx(0.95)
    bucket.admitted(0.5)  # sent together with the throttled one: part of what Yahoo admitted
    assert bucket.state().rate == pytest.approx(1.9)


def test_a_429_for_a_request_sent_at_the_instant_of_the_cut_is_counted():
    """`in flight before the last cut` means sent before it: a request sent at the very
    instant of the cut was sent at the new rate, and its 429 is news."""
    clock = Clock()
    clock.now = 10.0
    bucket = AdaptiveTokenBucket(rate=64, min_rate=0.5, clock=clock)
    assert bucket.throttled(sent_at=9.0) is True  # the cut happens at t=10: halved to 32
    clock.now = 12.0
    assert bucket.throttled(sent_at=10.0) is True  # sent at t=10, not before it: halved again
    assert bucket.state().rate == 16


def test_a_state_is_a_snapshot_that_later_throttles_and_its_readers_cannot_change():
    clock = Clock()
    bucket = AdaptiveTokenBucket(rate=8, min_rate=1, clock=clock)
    before = bucket.state()
    bucket.throttled(sent_at=clock.now)
    assert (before.rate, before.throttles) == (8, 0) and bucket.state().rate == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        before.rate = 100.0
