"""Fetched London rows in pounds instead of pence are quarantined and recorded, never stored silently."""

import datetime as dt

import polars as pl

from stock_assets.defs.prices import records
from stock_assets.defs.prices.synthetic import SyntheticPriceSource
from stock_assets.lib.errors import ErrorCode

D = dt.date


def _bars(closes: dict[dt.date, float], symbol: str = "AET.L", currency: str = "GBp") -> pl.DataFrame:
    return pl.DataFrame({"date": list(closes), "symbol": symbol, "close": list(closes.values()), "currency": currency})


def test_a_block_in_pounds_after_stored_pence_is_quarantined_with_evidence():
    fetched = pl.concat([_bars({D(2022, 5, 19): 14.55, D(2022, 5, 20): 0.1455, D(2022, 5, 23): 0.1455}),
                         _bars({D(2022, 5, 20): 101.0}, symbol="OK", currency="USD")])
    previous = {"AET.L": (D(2022, 5, 18), 14.55), "OK": (D(2022, 5, 19), 100.0)}
    kept, failures = records.unit_quarantine(fetched, previous, pl.DataFrame(), D(2022, 5, 23))
    assert sorted(kept.select("symbol", "date").rows()) == [("AET.L", D(2022, 5, 19)), ("OK", D(2022, 5, 20))]
    [failure] = failures
    assert failure.symbol == "AET.L" and failure.code == ErrorCode.YFPARSE
    assert "2 row(s) quarantined: 100x unit switch" in failure.message and "0.1455" in failure.message


def test_a_whole_fetch_in_pounds_is_caught_by_the_stored_close():
    fetched = _bars({D(2022, 5, 20): 0.1455})
    kept, failures = records.unit_quarantine(fetched, {"AET.L": (D(2022, 5, 19), 14.55)}, pl.DataFrame(), None)
    assert kept.height == 0 and len(failures) == 1


def test_clean_rows_pass_untouched():
    fetched = _bars({D(2022, 5, 20): 14.6, D(2022, 5, 23): 14.4})
    kept, failures = records.unit_quarantine(fetched, {"AET.L": (D(2022, 5, 19), 14.55)}, pl.DataFrame(), None)
    assert kept.equals(fetched) and failures == []


class _PoundsForOneSymbol(SyntheticPriceSource):
    """The synthetic market, except that one symbol comes back in pounds (1/100) on `bad_day`."""

    bad_symbol: str
    bad_day: str

    def fetch_range(self, symbols, sessions, log=None):
        result = super().fetch_range(symbols, sessions, log)
        hit = (pl.col("symbol") == self.bad_symbol) & (pl.col("date") == dt.date.fromisoformat(self.bad_day))
        result.bars = result.bars.with_columns(
            [pl.when(hit).then(pl.col(c) / 100).otherwise(pl.col(c)).alias(c)
             for c in ("open", "high", "low", "close", "adj_close")])
        return result


def test_the_price_asset_quarantines_a_day_in_the_wrong_unit(universe_ready, instance, data_dir):
    from stock_assets.lib import synthetic
    from stock_assets.storage.warehouse import Warehouse
    from stock_assets_tests.conftest import DEFAULT_TEST_TICKERS, materialize_prices

    assert materialize_prices(universe_ready, instance, partition_key="2024-06-11").success
    victim = synthetic.tickers(DEFAULT_TEST_TICKERS)[10].symbol
    source = _PoundsForOneSymbol(ticker_count=DEFAULT_TEST_TICKERS, bad_symbol=victim, bad_day="2024-06-12")
    assert materialize_prices({**universe_ready, "source": source}, instance, partition_key="2024-06-12").success
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    stored = wh.query("SELECT symbol FROM prices.daily_ohlcv WHERE date = ?", [D(2024, 6, 12)])["symbol"].to_list()
    assert victim not in stored and len(stored) > 50  # quarantined, the others stored
    [(code, message)] = wh.query("SELECT code, message FROM ops.fetch_errors WHERE symbol = ? AND session = ?",
                                 [victim, D(2024, 6, 12)]).rows()
    assert code == "YFPARSE" and "100x unit switch" in message
