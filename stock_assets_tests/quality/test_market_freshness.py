"""Freshness judged per market on its own calendar (lib/qa/freshness.py, check `market_freshness`).

Why: one NYSE-timed policy calls London stale on a UK bank holiday and never sees London
missing on US Thanksgiving. Each market's newest stored session is compared with its own
last session due (closed `GRACE` ago, early closes included); a market whose calendar had no
session since is fresh. Pure: no Dagster, no clock (every moment is given).
"""

import datetime as dt

import polars as pl

from stock_assets.lib import calendar
from stock_assets.lib.qa import freshness

D = dt.date
UK_HOLIDAY, THANKSGIVING, BLACK_FRIDAY = D(2024, 5, 6), D(2024, 11, 28), D(2024, 11, 29)


def _ny(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=calendar.NEW_YORK)


def _table(newest, at) -> dict:
    return {r["market"]: (r["last_due"], r["sessions_behind"], r["fresh"])
            for r in freshness.per_market(newest, at).iter_rows(named=True)}


def test_a_market_holiday_is_never_stale_and_the_open_market_is_judged():
    """Evening of the UK bank holiday: London stored up to Friday is fresh, the US is one behind."""
    at = _ny(UK_HOLIDAY, 23)
    table = _table({"XLON": D(2024, 5, 3), "XNYS": D(2024, 5, 3)}, at)
    assert table["XLON"] == (D(2024, 5, 3), 0, True)
    assert table["XNYS"] == (UK_HOLIDAY, 1, False)


def test_on_us_thanksgiving_london_is_due_and_the_us_is_not():
    at = _ny(THANKSGIVING, 23)
    table = _table({"XLON": D(2024, 11, 27), "XNYS": D(2024, 11, 27), "XETR": THANKSGIVING}, at)
    assert table["XNYS"] == (D(2024, 11, 27), 0, True)
    assert table["XLON"] == (THANKSGIVING, 1, False)
    assert table["XETR"] == (THANKSGIVING, 0, True)


def test_a_session_is_due_only_grace_after_its_own_close_early_closes_included():
    # Black Friday: NYSE closes at 13:00 ET, so it is due at 19:00 ET, not at 22:00
    assert freshness.last_due("XNYS", _ny(BLACK_FRIDAY, 18, 59)) == D(2024, 11, 27)
    assert freshness.last_due("XNYS", _ny(BLACK_FRIDAY, 19, 0)) == BLACK_FRIDAY
    # an ordinary day: 16:00 close + 6 h
    assert freshness.last_due("XNYS", _ny(D(2024, 11, 27), 21, 59)) == D(2024, 11, 26)
    assert freshness.last_due("XNYS", _ny(D(2024, 11, 27), 22, 0)) == D(2024, 11, 27)
    # CMES's session D closes 18:00 ET on D (17:00 CT): due at midnight
    assert freshness.last_due("CMES", _ny(D(2024, 11, 27), 23, 59)) == D(2024, 11, 26)
    assert freshness.last_due("CMES", _ny(D(2024, 11, 28), 0, 0)) == D(2024, 11, 27)


def test_judge_records_one_row_per_market_behind_with_its_market():
    at = _ny(THANKSGIVING, 23)
    outcome = freshness.judge({"XLON": D(2024, 11, 25), "XNYS": D(2024, 11, 27), "XPAR": None}, at)
    assert not outcome.passed
    rows = outcome.offending.sort("market")
    assert rows["market"].to_list() == ["XLON", "XPAR"]
    assert rows["symbol"].to_list() == [None, None]
    assert rows["value"].to_list()[0] == 3.0  # 26, 27, 28 November
    assert rows["value"].to_list()[1] >= 10  # nothing stored in two weeks
    assert "newest stored session 2024-11-25, last session due 2024-11-28" in rows["details"][0]
    by_market = outcome.numbers["freshness_by_market"]
    assert by_market["XNYS"] == {"newest_stored": "2024-11-27", "last_due": "2024-11-27",
                                 "sessions_behind": 0, "fresh": True}
    assert outcome.numbers["markets_behind"] == 2
    assert freshness.judge({"XNYS": D(2024, 11, 27)}, at).passed


def test_a_backfill_of_old_partitions_is_judged_at_its_own_end_not_today():
    now = dt.datetime(2026, 11, 27, 22, tzinfo=dt.UTC)
    at = freshness.as_of(now, D(2024, 5, 8))
    assert at == _ny(D(2024, 5, 9), 0)
    assert freshness.judge({"XNYS": D(2024, 5, 8), "XLON": D(2024, 5, 8)}, at).passed
    assert freshness.as_of(now, D(2026, 11, 27)) == now  # the nightly: now


def test_newest_by_market_reads_each_markets_symbols():
    bars = pl.DataFrame({"symbol": ["AAPL", "VOD.L", "VOD.L", "OTHER"],
                         "date": [D(2024, 5, 3), D(2024, 5, 2), D(2024, 5, 3), D(2024, 5, 9)]})
    newest = freshness.newest_by_market(bars, {"AAPL": "XNYS", "VOD.L": "XLON", "SAP.DE": "XETR"})
    assert newest == {"XNYS": D(2024, 5, 3), "XLON": D(2024, 5, 3), "XETR": None}
