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
