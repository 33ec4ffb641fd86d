"""The request layer at a limit it is not told (issue 16, ADR 0017), against the fake Yahoo.

A throttled request goes straight back into the paced queue instead of waiting out the
retry schedule; `Retry-After` holds the next request back; a low limit with server errors
costs little more than the limit itself. (The breaker still opens on a real outage:
`test_yahoo_faults.py`, the 5xx outage and the 429 storm.)
"""

import datetime as dt
import time

import pytest

from stock_assets.defs.prices.yahoo.session import retry_after_seconds
from stock_assets.lib import calendar
from stock_assets_tests.prices.conftest import FAKE_TODAY, make_source

SESSIONS = calendar.sessions_between(dt.date(2024, 6, 10), dt.date(2024, 6, 12))


def _all_stored(result, symbols):
    assert not result.failures, result.failures
    assert set(result.bars["symbol"].unique()) == set(symbols)


def test_a_throttled_symbol_is_requeued_and_fetched_without_the_retry_schedule(fake_yahoo, yf_cache_dir):
    symbols = [f"R{i:02d}" for i in range(12)]
    fake_yahoo.script.faults["R03"] = ["429", "429"]
    source = make_source(fake_yahoo, yf_cache_dir, retry_schedule_s=[30.0, 60.0])
    started = time.monotonic()
    result = source.fetch_range(symbols, SESSIONS)
    seconds = time.monotonic() - started
    _all_stored(result, symbols)
    assert fake_yahoo.requests["R03"] == 3  # two 429s, then the answer: requeued, not retried later
    assert result.stats["requeued"] == 2 and result.stats["retries"] == 0
    assert seconds < 15, f"{seconds:.1f}s: the throttled symbol waited for the retry schedule (30 s)"


def test_retry_after_holds_back_the_next_request(fake_yahoo, yf_cache_dir):
    symbols = [f"A{i}" for i in range(4)]
    fake_yahoo.script.faults["A1"] = ["429-retry-after"]
    fake_yahoo.script.retry_after_s = "2"
    source = make_source(fake_yahoo, yf_cache_dir, batch_size=1, max_workers=1, threads_per_batch=1)
    result = source.fetch_range(symbols, SESSIONS)
    _all_stored(result, symbols)
    arrivals = sorted(fake_yahoo.arrivals)
    throttled = [i for i, (_, status) in enumerate(arrivals) if status == 429]
    assert len(throttled) == 1
    at = arrivals[throttled[0]][0]
    after = arrivals[throttled[0] + 1][0]
    assert after - at >= 2.0, f"next request {after - at:.2f}s after a 429 that said Retry-After: 2"
    assert result.stats["paused_s"] == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize("header, seconds", [("3", 3.0), ("0", 0.0), ("soon", None), (None, None),
                                             ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0)])
def test_retry_after_header_forms(header, seconds):
    now = dt.datetime(2015, 10, 21, 7, 28, 0, tzinfo=dt.UTC)
    assert retry_after_seconds(header, now=now) == seconds


def test_a_low_unknown_limit_with_server_errors_costs_little_more_than_the_limit(fake_yahoo, yf_cache_dir):
    """39 symbols x 10 sessions at 3 requests/s, 5 % of answers 500: one request per symbol,
    so the limit alone needs 13 s. Before ADR 0017 this took 74 s (102 requests, 56 of
    them 429: halving, slow regrowth, the 10 s / 30 s schedule for a few symbols)."""
    fake_yahoo.script.rate_limit = 3.0
    fake_yahoo.script.error_share = 0.05
    fake_yahoo.script.seed = 16
    sessions = calendar.sessions_between(FAKE_TODAY - dt.timedelta(days=20), FAKE_TODAY)[-10:]
    symbols = [f"L{i:02d}" for i in range(39)]
    # the shipped defaults (start rate, requeues, the real 10/30/120/600 s schedule), only
    # pointed at the fake; the fake's limit is not in the config
    source = make_source(fake_yahoo, yf_cache_dir, retry_schedule_s=[10.0, 30.0, 120.0, 600.0],
                         retry_jitter=0.2, timeout_s=10.0, breaker_threshold=25, breaker_cooldown_s=60.0,
                         requests_per_second=100.0, batch_size=0, max_workers=4, threads_per_batch=8)
    started = time.monotonic()
    result = source.fetch_range(symbols, sessions)
    seconds = time.monotonic() - started
    _all_stored(result, symbols)
    assert len(sessions) == 10 and result.bars.height == 39 * 10
    optimum = 39 / 3.0
    assert seconds <= 1.5 * optimum, (f"{seconds:.1f}s for an optimum of {optimum:.0f}s "
                                      f"({result.stats['requests']} requests, "
                                      f"{result.stats['throttled_requests']} answered 429)")
    assert fake_yahoo.statuses[500] >= 1  # the errors did happen and were absorbed


def test_an_isolated_server_error_is_retried_at_once_not_after_the_schedule(fake_yahoo, yf_cache_dir):
    """The long schedule is for outages (the breaker opened); two 500s for one symbol are not one."""
    symbols = [f"E{i:02d}" for i in range(8)]
    fake_yahoo.script.faults["E05"] = ["500", "500"]  # the first try and yfinance's own second try
    source = make_source(fake_yahoo, yf_cache_dir, retry_schedule_s=[30.0, 60.0])
    lines = []
    started = time.monotonic()
    result = source.fetch_range(symbols, SESSIONS, log=lines.append)
    _all_stored(result, symbols)
    assert result.stats["retries"] == 1 and fake_yahoo.requests["E05"] == 3
    assert any("per-symbol retry at once" in line for line in lines), lines
    assert time.monotonic() - started < 15
