"""The dashboard's timeliness and completeness rules per market: each symbol on its own calendar."""

import datetime as dt

import polars as pl

from stock_assets.lib import calendar, dashboard_metrics as metrics

D = dt.date
CALS = {"AAA": "XNYS", "BRLA.L": "XLON"}


def _bars(rows):
    return pl.DataFrame(rows, schema={"symbol": pl.String, "date": pl.Date}, orient="row")


def test_a_market_holiday_is_not_a_missing_date_on_the_dashboard():
    window = (D(2024, 5, 1), D(2024, 5, 8))
    days = {n: calendar.sessions_between(*window, n) for n in ("XNYS", "XLON")}
    bars = _bars([("AAA", d) for d in days["XNYS"]] + [("BRLA.L", d) for d in days["XLON"]])
    assert metrics.missing_dates(bars, days, CALS).height == 0
    # judged on XNYS alone, London's bank holiday (2024-05-06) would be a hole
    assert metrics.missing_dates(bars, days["XNYS"]).rows() == [("BRLA.L", D(2024, 5, 6))]


def test_lag_counts_each_symbols_own_sessions():
    thanksgiving = D(2024, 11, 28)
    last = pl.DataFrame({"symbol": ["AAA", "BRLA.L"], "last_date": [D(2024, 11, 27), D(2024, 11, 25)]})
    behind, late = metrics.lagging(last, ["AAA", "BRLA.L"], thanksgiving, max_behind=1, calendars=CALS)
    assert dict(behind.select("symbol", "sessions_behind").iter_rows()) == {"AAA": 0, "BRLA.L": 3}
    assert late["symbol"].to_list() == ["BRLA.L"]


def test_per_market_breakdown():
    thanksgiving = D(2024, 11, 28)
    bars = _bars([("AAA", D(2024, 11, 27)), ("BRLA.L", D(2024, 11, 27)), ("BRLA.L", thanksgiving)])
    late = pl.DataFrame(schema={"symbol": pl.String})
    missing = _bars([("BRLA.L", D(2024, 11, 26))])
    table = metrics.per_market(CALS, ["AAA", "BRLA.L"], bars, late, missing, thanksgiving)
    assert table.rows() == [("XLON", 1, thanksgiving, 1, 0, 1), ("XNYS", 1, D(2024, 11, 27), 1, 0, 0)]


def test_freshness_per_market_on_the_dashboard():
    """Thanksgiving evening: the US (closed) is fresh on Wednesday's bars, London is behind;
    a symbol whose market is unknown (absent from the calendars) counts for no market."""
    thanksgiving = D(2024, 11, 28)
    at = dt.datetime.combine(thanksgiving, dt.time(23), tzinfo=calendar.NEW_YORK)
    last = pl.DataFrame({"symbol": ["AAA", "BRLA.L", "FOO.XX"],
                         "last_date": [D(2024, 11, 27), D(2024, 11, 27), thanksgiving]})
    table = metrics.market_freshness(last, CALS, at)
    assert table.rows() == [("XLON", D(2024, 11, 27), thanksgiving, False), ("XNYS", D(2024, 11, 27), D(2024, 11, 27), True)]
