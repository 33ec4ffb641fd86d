"""Fetched London rows in pounds instead of pence are quarantined and recorded, never stored silently."""

import datetime as dt

import polars as pl

from stock_assets.defs.prices import records
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
