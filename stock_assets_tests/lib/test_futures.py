"""Front-month roll windows of continuous futures."""

import datetime as dt

import pytest

from stock_assets.lib import futures

D = dt.date


@pytest.mark.parametrize("symbol, day, rolling", [
    ("ES=F", D(2024, 6, 12), True), ("ES=F", D(2024, 6, 13), True),  # roll Thursday (8 days before expiry)
    ("ES=F", D(2024, 6, 21), True), ("ES=F", D(2024, 6, 24), True),  # expiry Friday, and the weekday after
    ("ES=F", D(2024, 6, 11), False), ("ES=F", D(2024, 6, 25), False), ("ES=F", D(2024, 5, 15), False),
    ("MNQ=F", D(2024, 12, 12), True), ("YM=F", D(2024, 9, 12), True),
    ("GC=F", D(2024, 5, 28), True), ("GC=F", D(2024, 6, 2), True), ("GC=F", D(2024, 5, 10), False),
    ("GC=F", D(2024, 7, 1), False),  # July is not a GC contract month
    ("CL=F", D(2024, 7, 29), True), ("AAPL", D(2024, 6, 13), False), ("ES", D(2024, 6, 13), False),
])
def test_in_roll_window(symbol, day, rolling):
    assert futures.in_roll_window(symbol, day) is rolling


# CME's contract months per root (cmegroup.com product calendars): what the roll windows follow.
CME_MONTHS = {
    "GC": (2, 4, 6, 8, 10, 12), "MGC": (2, 4, 6, 8, 10, 12), "SI": (3, 5, 7, 9, 12), "HG": (3, 5, 7, 9, 12),
    "ZN": (3, 6, 9, 12), "ZB": (3, 6, 9, 12), "ZF": (3, 6, 9, 12), "ZT": (3, 6, 9, 12), "CL": tuple(range(1, 13)),
}


@pytest.mark.parametrize("root", sorted(CME_MONTHS))
def test_each_root_rolls_into_its_own_contract_months_only(root):
    """The 2nd of a month is inside the roll window exactly when that month is a contract month."""
    rolling = [m for m in range(1, 13) if futures.in_roll_window(f"{root}=F", D(2025, m, 2))]
    assert tuple(rolling) == CME_MONTHS[root]


def test_the_roll_window_of_a_contract_month_is_its_last_seven_days_before_and_first_three():
    """GC June 2024: from 05-25 (seven calendar days before June) to 06-03 (its first three days)."""
    assert [futures.in_roll_window("GC=F", d) for d in (D(2024, 5, 24), D(2024, 5, 25), D(2024, 6, 3), D(2024, 6, 4))] \
        == [False, True, True, False]
    assert futures.in_roll_window("CL=F", D(2024, 12, 27))  # January 2025's window opens in the old year


def test_the_equity_index_expiry_is_the_third_friday_even_when_the_month_starts_on_a_friday():
    """March 2024 starts on a Friday: expiry 03-15, roll Thursday 03-07, window 03-06..03-18."""
    days = (D(2024, 3, 5), D(2024, 3, 6), D(2024, 3, 18), D(2024, 3, 19))
    assert [futures.in_roll_window("ES=F", d) for d in days] == [False, True, True, False]
