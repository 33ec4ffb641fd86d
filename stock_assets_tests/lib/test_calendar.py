"""The XNYS calendar: holidays, early closes, and 'has this session closed yet'."""

import datetime as dt

import pytest

from stock_assets.lib import calendar

UTC = dt.UTC


@pytest.mark.parametrize("day, open_", [
    ("2024-06-03", True), ("2024-06-19", False), ("2024-07-04", False), ("2024-06-08", False),
    ("2024-11-29", True), ("1999-12-31", False), ("2024-12-25", False),
])
def test_is_session(day, open_):
    assert calendar.is_session(dt.date.fromisoformat(day)) is open_


def test_sessions_between_skips_weekends_and_holidays():
    days = calendar.sessions_between(dt.date(2024, 6, 14), dt.date(2024, 6, 21))
    assert days == [dt.date(2024, 6, d) for d in (14, 17, 18, 20, 21)]
    assert calendar.sessions_between(dt.date(2024, 6, 21), dt.date(2024, 6, 14)) == []
    assert calendar.sessions_between(dt.date(1990, 1, 1), dt.date(1990, 2, 1)) == []


def test_session_close_knows_early_closes():
    assert calendar.session_close(dt.date(2024, 6, 3)) == dt.datetime(2024, 6, 3, 20, 0, tzinfo=UTC)
    assert calendar.session_close(dt.date(2024, 11, 29)) == dt.datetime(2024, 11, 29, 18, 0, tzinfo=UTC)  # 13:00 ET
    assert calendar.session_close(dt.date(2024, 1, 2)) == dt.datetime(2024, 1, 2, 21, 0, tzinfo=UTC)  # EST


def test_has_closed_around_the_bell():
    day = dt.date(2024, 6, 3)
    assert not calendar.has_closed(day, dt.datetime(2024, 6, 3, 19, 59, tzinfo=UTC))
    assert calendar.has_closed(day, dt.datetime(2024, 6, 3, 20, 0, tzinfo=UTC))
    # A holiday counts as closed from 16:00 New York time.
    assert not calendar.has_closed(dt.date(2024, 6, 19), dt.datetime(2024, 6, 19, 19, 0, tzinfo=UTC))
    assert calendar.has_closed(dt.date(2024, 6, 19), dt.datetime(2024, 6, 19, 20, 0, tzinfo=UTC))


def test_previous_and_latest_closed_session():
    assert calendar.previous_session(dt.date(2024, 6, 20)) == dt.date(2024, 6, 18)  # over Juneteenth
    assert calendar.previous_session(dt.date(2024, 6, 17)) == dt.date(2024, 6, 14)
    monday_noon = dt.datetime(2024, 6, 17, 16, 0, tzinfo=UTC)
    assert calendar.latest_closed_session(monday_noon) == dt.date(2024, 6, 14)
    assert calendar.latest_closed_session(dt.datetime(2024, 6, 17, 21, 0, tzinfo=UTC)) == dt.date(2024, 6, 17)


def test_sessions_behind_and_index():
    assert calendar.sessions_behind(dt.date(2024, 6, 14), dt.date(2024, 6, 21)) == 4  # 17, 18, 20, 21
    assert calendar.sessions_behind(dt.date(2024, 6, 21), dt.date(2024, 6, 21)) == 0
    assert calendar.sessions_behind(dt.date(2024, 6, 17), dt.date(2024, 6, 18)) == 1  # the very next day counts
    first = calendar.all_sessions()[0]
    assert first == calendar.FIRST_SESSION and calendar.session_index(first) == 0
    with pytest.raises(KeyError):
        calendar.session_index(dt.date(2024, 6, 19))


def test_an_unknown_calendar_is_refused_with_the_known_names():
    with pytest.raises(calendar.UnknownCalendar, match="'NOPE' is neither one of XNYS, XLON"):
        calendar.is_session(dt.date(2024, 6, 3), "NOPE")


def test_session_counts_give_the_sessions_between_two_weekdays_by_one_subtraction():
    counts = calendar.session_counts("XNYS")
    at = calendar.weekday_index
    assert counts[at(dt.date(2024, 6, 21))] - counts[at(dt.date(2024, 6, 14))] == 4  # 17, 18, 20, 21 (19: holiday)
    assert counts[at(calendar.FIRST_SESSION)] == 1 and counts[-1] == len(calendar.all_sessions())
    # London traded on US Thanksgiving and not on its own bank holiday
    london = calendar.session_counts("XLON")
    assert london[at(dt.date(2024, 11, 28))] - london[at(dt.date(2024, 11, 27))] == 1
    assert london[at(dt.date(2024, 5, 6))] - london[at(dt.date(2024, 5, 3))] == 0
