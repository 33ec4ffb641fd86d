"""The one retry helper: schedule, jitter bounds, which errors, and giving up."""

import dataclasses
import random

import pytest

from stock_assets.lib.retry import DEFAULT_SCHEDULE, RetryPolicy, retry


def test_succeeds_after_retryable_errors_with_the_schedule():
    calls, sleeps, told = [], [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError("slow")
        return "ok"

    policy = RetryPolicy(schedule=(1.0, 2.0, 4.0), jitter=0.0)
    out = retry(flaky, policy, lambda e: isinstance(e, TimeoutError), sleep=sleeps.append,
                on_retry=lambda a, e, d: told.append((a, type(e).__name__, d)))
    assert out == "ok" and len(calls) == 3
    assert sleeps == [1.0, 2.0]
    assert told == [(1, "TimeoutError", 1.0), (2, "TimeoutError", 2.0)]


def test_non_retryable_error_is_raised_at_once():
    sleeps = []
    with pytest.raises(ValueError, match="bad"):
        retry(lambda: (_ for _ in ()).throw(ValueError("bad")), RetryPolicy(), lambda e: False, sleep=sleeps.append)
    assert sleeps == []


def test_gives_up_after_the_schedule_with_the_last_error():
    attempts = []

    def always():
        attempts.append(1)
        raise ConnectionError(f"try {len(attempts)}")

    policy = RetryPolicy(schedule=(0.1, 0.1), jitter=0.0)
    with pytest.raises(ConnectionError, match="try 3"):
        retry(always, policy, lambda e: True, sleep=lambda s: None)
    assert len(attempts) == policy.max_attempts == 3


def test_delay_jitter_stays_within_bounds():
    policy = RetryPolicy()
    rng = random.Random(1)
    for attempt in range(1, 8):
        base = DEFAULT_SCHEDULE[min(attempt - 1, len(DEFAULT_SCHEDULE) - 1)]
        delay = policy.delay(attempt, rng)
        assert base * 0.8 <= delay <= base * 1.2
    assert RetryPolicy(schedule=(0.0,)).delay(1) == 0.0


def test_a_policy_shared_by_many_calls_cannot_be_changed_by_one_of_them():
    """A policy is a default argument (lib/http.DEFAULT_POLICY): one caller editing it in place
    would change every later call's waits."""
    shared = RetryPolicy(schedule=(2.0, 5.0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        shared.schedule = (0.0,)
    assert shared.max_attempts == 3 and hash(shared) == hash(RetryPolicy(schedule=(2.0, 5.0)))
