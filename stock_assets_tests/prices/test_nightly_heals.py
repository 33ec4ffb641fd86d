"""The nightly run heals the recent past (ADR 0014), on a fake Yahoo that counts requests.

Each run here is launched with the tags `nightly_prices_schedule` asks for at that evening,
so what is proved is what the daemon launches: missed nights filled in one run at one request
per symbol, stored rows kept as they are, a symbol that failed one night stored the next,
complete sessions asked for nothing.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl

from stock_assets.defs.automation.schedules import nightly_request
from stock_assets.defs.prices.assets import daily_prices
from stock_assets.lib.schema import DAILY_OHLCV

NY = ZoneInfo("America/New_York")


def _nightly(resources, instance, day: dt.date, lookback: int):
    """Launch what the nightly schedule asks for at 16:30 on `day` (the price multi-asset alone:
    a missing symbol is the point here, so the completeness check stays out)."""
    request = nightly_request(dt.datetime.combine(day, dt.time(16, 30), tzinfo=NY), lookback)
    assert isinstance(request, dg.RunRequest), request
    tags = {**request.tags, **({"dagster/partition": request.partition_key} if request.partition_key else {})}
    result = dg.materialize([daily_prices], tags=tags, resources=resources, instance=instance)
    assert result.success
    return result


def _rows(resources, first: dt.date, last: dt.date) -> pl.DataFrame:
    return resources["warehouse"].lake.read_range("daily_ohlcv", first, last, DAILY_OHLCV)


def _first_asked(fake, symbol: str) -> list[dt.date]:
    return [dt.datetime.fromtimestamp(int(q["period1"]), dt.UTC).date() for q in fake.queries[symbol]]


def test_three_missed_nights_are_filled_by_the_next_nightly_run(yahoo_resources, instance, fake_yahoo):
    monday = _nightly(yahoo_resources, instance, dt.date(2024, 6, 10), lookback=0)
    stored = _rows(yahoo_resources, dt.date(2024, 6, 10), dt.date(2024, 6, 10))
    symbols = stored["symbol"].to_list()
    assert len(symbols) > 15 and set(stored["run_id"]) == {monday.run_id}
    fake_yahoo.queries.clear()
    before = dict(fake_yahoo.requests)
    # Tue, Wed, Thu: no nightly run (daemon down). Friday's tick covers the four sessions before it.
    friday = _nightly(yahoo_resources, instance, dt.date(2024, 6, 14), lookback=4)
    assert {s: fake_yahoo.requests[s] - before.get(s, 0) for s in symbols} == {s: 1 for s in symbols}
    assert {s: _first_asked(fake_yahoo, s) for s in symbols} == {s: [dt.date(2024, 6, 11)] for s in symbols}
    week = _rows(yahoo_resources, dt.date(2024, 6, 10), dt.date(2024, 6, 14))
    assert week.height == week.select("date", "symbol").n_unique() == 5 * len(symbols)
    kept = week.filter(pl.col("date") == dt.date(2024, 6, 10)).sort("symbol")
    assert kept.equals(stored.sort("symbol"))  # Monday's rows untouched: same values, same run_id
    assert set(week.filter(pl.col("date") > dt.date(2024, 6, 10))["run_id"]) == {friday.run_id}
    # Dagster's partition status is true: every session of the window is materialised.
    materialized = instance.get_materialized_partitions(dg.AssetKey("daily_ohlcv"))
    assert {f"2024-06-{d}" for d in (10, 11, 12, 13, 14)} <= materialized

    # The next night nothing older is missing: each symbol is asked once, for that night only.
    fake_yahoo.queries.clear()
    _nightly(yahoo_resources, instance, dt.date(2024, 6, 17), lookback=4)
    assert {s: _first_asked(fake_yahoo, s) for s in symbols} == {s: [dt.date(2024, 6, 17)] for s in symbols}


def test_a_symbol_failing_one_night_is_stored_for_both_nights_the_next(yahoo_resources, instance, fake_yahoo):
    _nightly(yahoo_resources, instance, dt.date(2024, 6, 10), lookback=0)
    symbol = sorted(_rows(yahoo_resources, dt.date(2024, 6, 10), dt.date(2024, 6, 10))["symbol"])[0]
    fake_yahoo.script.always[symbol] = "404"
    _nightly(yahoo_resources, instance, dt.date(2024, 6, 11), lookback=1)
    night = _rows(yahoo_resources, dt.date(2024, 6, 11), dt.date(2024, 6, 11))
    assert symbol not in night["symbol"].to_list() and night.height > 15
    wh = yahoo_resources["warehouse"].open()
    assert wh.count("ops.fetch_errors", "symbol = ? AND session = ?", [symbol, dt.date(2024, 6, 11)]) == 1
    del fake_yahoo.script.always[symbol]
    fake_yahoo.queries.clear()
    _nightly(yahoo_resources, instance, dt.date(2024, 6, 12), lookback=1)
    assert _first_asked(fake_yahoo, symbol) == [dt.date(2024, 6, 11)]  # one request covers both nights
    mine = _rows(yahoo_resources, dt.date(2024, 6, 10), dt.date(2024, 6, 12)).filter(pl.col("symbol") == symbol)
    assert mine["date"].sort().to_list() == [dt.date(2024, 6, 10), dt.date(2024, 6, 11), dt.date(2024, 6, 12)]
    both = _rows(yahoo_resources, dt.date(2024, 6, 10), dt.date(2024, 6, 12))
    assert both.height == both.select("date", "symbol").n_unique()
