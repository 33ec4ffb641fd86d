"""Ticks -> 1-minute bars: OHLC, volume from day_volume, duplicates, out-of-order, late ticks, a new day."""

import datetime as dt

import pytest

from stock_assets.lib.stream.bars import DUPLICATE, LATE, MinuteBars, merge_frames, to_frame
from stock_assets.lib.stream.messages import Tick

T0 = dt.datetime(2024, 6, 3, 14, 30, tzinfo=dt.UTC)


def tick(symbol, seconds, price, volume=None):
    return Tick(symbol, T0 + dt.timedelta(seconds=seconds), price, volume)


def test_a_minute_becomes_one_bar_per_symbol_when_it_has_closed():
    bars = MinuteBars(grace_seconds=5)
    for t in [tick("AAPL", 1, 10.0, 1000), tick("AAPL", 20, 12.0, 1500), tick("AAPL", 40, 9.0, 1600),
              tick("AAPL", 59, 11.0, 2000), tick("MSFT", 3, 400.0, 50)]:
        bars.add(t)
    assert bars.close(T0 + dt.timedelta(seconds=64)) == []  # minute ended, grace not yet
    closed = bars.close(T0 + dt.timedelta(seconds=65))
    aapl, msft = closed
    assert (aapl.symbol, aapl.open, aapl.high, aapl.low, aapl.close, aapl.ticks) == ("AAPL", 10.0, 12.0, 9.0, 11.0, 4)
    assert aapl.volume == 1000  # rises after the first tick seen: 500 + 100 + 400
    assert aapl.day_volume == 2000 and aapl.ts == T0
    assert (msft.volume, msft.ticks) == (0, 1)


def test_out_of_order_ticks_are_ordered_by_yahoo_time_and_repeats_dropped():
    bars = MinuteBars()
    for t in [tick("AAPL", 1, 10.0, 100), tick("AAPL", 50, 13.0, 400), tick("AAPL", 30, 8.0, 300)]:
        bars.add(t)
    assert bars.add(tick("AAPL", 50, 13.0, 400)) == DUPLICATE
    (bar,) = bars.flush()
    assert (bar.open, bar.close, bar.low, bar.high, bar.ticks, bar.volume) == (10.0, 13.0, 8.0, 13.0, 3, 300)
    assert bars.counts[DUPLICATE] == 1


def test_volume_carries_over_minutes_and_a_tick_for_a_closed_minute_is_late():
    bars = MinuteBars(grace_seconds=0)
    bars.add(tick("AAPL", 10, 10.0, 1000))
    bars.add(tick("AAPL", 50, 10.5, 1200))
    assert [b.volume for b in bars.close(T0 + dt.timedelta(seconds=61))] == [200]
    assert bars.add(tick("AAPL", 55, 10.4, 1250)) == LATE  # its minute is already written
    bars.add(tick("AAPL", 70, 10.6, 1700))
    (second,) = bars.flush()
    assert second.volume == 500 and second.ts == T0 + dt.timedelta(minutes=1)  # from 1200, not from 0
    assert bars.counts[LATE] == 1


def test_a_day_volume_reset_at_a_new_day_counts_from_zero_and_a_fall_within_a_day_adds_nothing():
    bars = MinuteBars(grace_seconds=0)
    bars.add(tick("ES=F", 0, 5000.0, 900_000))
    bars.add(tick("ES=F", 30, 5001.0, 1_000_000))
    bars.close(T0 + dt.timedelta(minutes=1))
    next_day = T0 + dt.timedelta(days=1)
    bars.add(Tick("ES=F", next_day + dt.timedelta(seconds=5), 5010.0, 300))
    bars.add(Tick("ES=F", next_day + dt.timedelta(seconds=20), 5011.0, 250))  # a correction: adds nothing
    bars.add(Tick("ES=F", next_day + dt.timedelta(seconds=40), 5012.0, 400))
    (bar,) = bars.close(next_day + dt.timedelta(minutes=1))
    assert bar.volume == 300 + 150


def test_ticks_without_day_volume_give_a_bar_with_no_volume():
    bars = MinuteBars()
    bars.add(tick("^GSPC", 5, 5300.0))
    (bar,) = bars.flush()
    assert bar.volume is None and bar.day_volume is None and bar.ticks == 1


def test_a_minute_stored_by_an_earlier_process_merges_with_the_rest_of_it():
    first = MinuteBars()
    first.add(tick("AAPL", 1, 10.0, 100))
    first.add(tick("AAPL", 20, 14.0, 300))
    second = MinuteBars()
    second.add(tick("AAPL", 40, 9.0, 500))
    second.add(tick("AAPL", 50, 11.0, 600))
    stored = to_frame(first.flush(), "yahoo_ws", T0)
    new = to_frame(second.flush(), "yahoo_ws", T0)
    (row,) = merge_frames(stored, new).to_dicts()
    assert (row["open"], row["high"], row["low"], row["close"], row["ticks"], row["volume"]) == (
        10.0, 14.0, 9.0, 11.0, 4, 300)


@pytest.mark.parametrize("grace", [0, 5])
def test_close_never_emits_a_minute_twice(grace):
    bars = MinuteBars(grace_seconds=grace)
    bars.add(tick("AAPL", 1, 10.0, 100))
    now = T0 + dt.timedelta(minutes=2)
    assert len(bars.close(now)) == 1
    assert bars.close(now) == [] and bars.flush() == []
