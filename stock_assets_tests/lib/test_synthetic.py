"""The synthetic market: deterministic, consistent across ranges, with the events it promises."""

import datetime as dt

import polars as pl

from stock_assets.lib import calendar, synthetic

JUNE = calendar.sessions_between(dt.date(2024, 6, 3), dt.date(2024, 6, 28))


def test_tickers_are_deterministic_and_prefix_stable():
    small, large = synthetic.tickers(20), synthetic.tickers(200)
    assert small == large[:20] == synthetic.tickers(20, seed=7)
    assert len({t.symbol for t in large}) == 200
    assert synthetic.tickers(20, seed=8)[0].symbol != small[0].symbol


def test_a_day_alone_equals_the_same_day_inside_a_range():
    symbols = [t.symbol for t in synthetic.tickers(40)]
    whole, _, _ = synthetic.bars(symbols, JUNE, 40)
    for day in (JUNE[0], JUNE[7], JUNE[-1]):
        alone, _, _ = synthetic.bars(symbols, [day], 40)
        assert alone.equals(whole.filter(pl.col("date") == day))


def test_bars_are_sane_ohlc():
    symbols = [t.symbol for t in synthetic.tickers(100)]
    bars, _, _ = synthetic.bars(symbols, JUNE, 100)
    bad = bars.filter(~((pl.col("low") <= pl.min_horizontal("open", "close"))
                        & (pl.col("high") >= pl.max_horizontal("open", "close")) & (pl.col("low") > 0)
                        & (pl.col("volume") >= 0)))
    assert bad.height == 0
    assert bars.select(pl.struct("date", "symbol").is_duplicated().any()).item() is False
    assert set(bars["provider"]) == {"synthetic"}


def test_june_2024_fixed_events():
    ts = synthetic.tickers(10)
    symbols = [t.symbol for t in ts]
    bars, actions, missing = synthetic.bars(symbols, JUNE, 10)
    by = {s: bars.filter(pl.col("symbol") == s).sort("date") for s in symbols}

    split = actions.filter(pl.col("kind") == "split")
    assert split.select("symbol", "ex_date", "value").rows() == [
        (symbols[0], dt.date(2024, 6, 10), 4.0), (symbols[5], dt.date(2024, 6, 17), 0.1)]
    closes = dict(by[symbols[0]].select("date", "close").iter_rows())
    assert 2.5 < closes[dt.date(2024, 6, 7)] / closes[dt.date(2024, 6, 10)] < 6  # as traded: the price drops ~4x

    assert by[symbols[1]]["date"].max() == dt.date(2024, 6, 13)  # delisted on the 14th
    gap_days = set(by[symbols[2]]["date"])
    assert dt.date(2024, 6, 5) not in gap_days and dt.date(2024, 6, 10) in gap_days
    dividend = actions.filter(pl.col("kind") == "dividend")
    assert (symbols[3], dt.date(2024, 6, 12)) in dividend.select("symbol", "ex_date").rows()
    zero = by[symbols[4]].filter(pl.col("volume") == 0)["date"].to_list()
    assert zero == [dt.date(2024, 6, 5), dt.date(2024, 6, 20)]
    assert by[symbols[6]]["date"].min() == dt.date(2024, 6, 24)  # listed late
    assert missing == {}


def test_missing_symbols_come_back_with_a_reason():
    ts = synthetic.tickers(10)
    _, _, missing = synthetic.bars(["NOPE", ts[1].symbol, ts[6].symbol], [dt.date(2024, 6, 20)], 10)
    assert missing == {"NOPE": "unknown", ts[1].symbol: "delisted", ts[6].symbol: "empty"}
    bars, actions, missing = synthetic.bars([ts[0].symbol], [dt.date(2024, 6, 19)], 10)  # holiday only
    assert bars.height == 0 and actions.height == 0 and missing == {}  # its market was closed: nothing expected


def test_listing_as_of_follows_listings_and_delistings():
    ts = synthetic.tickers(10)
    before = {t.symbol for t in synthetic.listing(10, dt.date(2024, 6, 3))}
    after = {t.symbol for t in synthetic.listing(10, dt.date(2024, 6, 28))}
    assert ts[1].symbol in before and ts[1].symbol not in after
    assert ts[6].symbol not in before and ts[6].symbol in after
    assert ts[1].delisted_on == dt.date(2024, 6, 14) and ts[6].listed_on == dt.date(2024, 6, 24)
