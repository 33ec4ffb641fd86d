"""The nightly window and the staleness rule, at chosen dates (no Dagster)."""

import datetime as dt

import pytest

from stock_assets.lib import self_heal


@pytest.mark.parametrize("session, lookback, first", [
    (dt.date(2024, 6, 14), 0, dt.date(2024, 6, 14)),
    (dt.date(2024, 6, 14), 4, dt.date(2024, 6, 10)),
    (dt.date(2024, 6, 10), 5, dt.date(2024, 6, 3)),   # over a weekend
    (dt.date(2024, 12, 2), 5, dt.date(2024, 11, 22)),  # over Thanksgiving (11-28 is no session)
    (dt.date(2000, 1, 4), 5, dt.date(2000, 1, 3)),    # never before the first partition
])
def test_window_start_counts_sessions_back(session, lookback, first):
    assert self_heal.window_start(session, lookback) == first


def test_a_negative_lookback_is_refused():
    with pytest.raises(ValueError, match=">= 0"):
        self_heal.window_start(dt.date(2024, 6, 14), -1)


@pytest.mark.parametrize("refreshed, stale", [
    (dt.datetime(2024, 6, 10, 6, 0), False),   # 35 days: still fine
    (dt.datetime(2024, 6, 9, 23, 0), True),    # 36 days: a monthly scrape was missed
    (dt.datetime(2024, 8, 1), False),          # refreshed after the session (a replayed night)
    (None, False),                             # no universe: the price asset says so itself
])
def test_stale_universe_after_35_days(refreshed, stale):
    reason = self_heal.stale_universe(refreshed, dt.date(2024, 7, 15))
    assert (reason is not None) == stale
    if stale:
        assert "36 days old" in reason and "universe_job" in reason and "allow_stale_universe" in reason
