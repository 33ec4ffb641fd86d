"""Market hours and the nightly session, at chosen instants (pure, no Dagster)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from stock_assets.lib import market_hours

NY = ZoneInfo("America/New_York")


def at(y, m, d, hh, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=NY)


@pytest.mark.parametrize("now, is_open, words", [
    (at(2024, 6, 10, 11, 0), True, "open until 16:00"),
    (at(2024, 6, 10, 9, 29), False, "before the open"),
    (at(2024, 6, 10, 9, 30), True, "open"),
    (at(2024, 6, 10, 16, 0), False, "after the close"),
    (at(2024, 6, 8, 12, 0), False, "a weekend"),
    (at(2024, 7, 4, 12, 0), False, "XNYS holiday"),
    (at(2024, 11, 29, 12, 59), True, "open until 13:00"),
    (at(2024, 11, 29, 13, 0), False, "(early close)"),
])
def test_market_state(now, is_open, words):
    state = market_hours.market_state(now)
    assert state.is_open is is_open
    assert words in state.reason


def test_market_state_accepts_utc_and_refuses_naive():
    assert market_hours.market_state(dt.datetime(2024, 6, 10, 15, 0, tzinfo=dt.UTC)).is_open  # 11:00 ET
    with pytest.raises(ValueError, match="timezone-aware"):
        market_hours.market_state(dt.datetime(2024, 6, 10, 15, 0))


@pytest.mark.parametrize("now, session, words", [
    (at(2024, 6, 10, 16, 30), dt.date(2024, 6, 10), "closed: fetch it"),
    (at(2024, 11, 29, 16, 30), dt.date(2024, 11, 29), "early close"),
    (at(2024, 11, 28, 16, 30), None, "XNYS holiday"),
    (at(2024, 6, 8, 16, 30), None, "a weekend"),
    (at(2024, 6, 10, 12, 0), None, "has not closed yet"),
])
def test_nightly_session(now, session, words):
    state = market_hours.nightly_session(now)
    assert state.is_open is (session is not None)
    if session:
        assert state.session == session
    assert words in state.reason


def test_early_close_days():
    assert market_hours.is_early_close(dt.date(2024, 11, 29))
    assert market_hours.is_early_close(dt.date(2024, 7, 3))
    assert not market_hours.is_early_close(dt.date(2024, 6, 10))
    assert not market_hours.is_early_close(dt.date(2024, 7, 4))  # holiday: no session at all


def test_snapshot_bucket_is_one_key_per_slot():
    a = market_hours.snapshot_bucket(dt.datetime(2024, 6, 10, 14, 30, tzinfo=dt.UTC), 10)
    b = market_hours.snapshot_bucket(dt.datetime(2024, 6, 10, 14, 39, 59, tzinfo=dt.UTC), 10)
    c = market_hours.snapshot_bucket(dt.datetime(2024, 6, 10, 14, 40, tzinfo=dt.UTC), 10)
    assert a == b == "2024-06-10T14:30Z"
    assert c == "2024-06-10T14:40Z"


def test_snapshot_bucket_names_the_hour_and_minute_of_the_slot():
    at_utc = lambda hh, mm: dt.datetime(2024, 6, 10, hh, mm, tzinfo=dt.UTC)  # noqa: E731
    assert market_hours.snapshot_bucket(at_utc(1, 5), 10) == "2024-06-10T01:00Z"
    assert market_hours.snapshot_bucket(at_utc(2, 59), 60) == "2024-06-10T02:00Z"
    assert market_hours.snapshot_bucket(at_utc(23, 59), 15) == "2024-06-10T23:45Z"


def test_the_nightly_run_time_is_half_past_four_new_york_after_every_close():
    # docs/operations.md: nightly_prices_schedule, Mon-Fri 16:30 New York time
    assert market_hours.NIGHTLY_RUN_AT == dt.time(16, 30)
    for day in (dt.date(2024, 6, 10), dt.date(2024, 11, 29), dt.date(2024, 12, 24)):  # regular, early closes
        state = market_hours.nightly_session(dt.datetime.combine(day, market_hours.NIGHTLY_RUN_AT, tzinfo=NY))
        assert state.is_open and state.session == day
