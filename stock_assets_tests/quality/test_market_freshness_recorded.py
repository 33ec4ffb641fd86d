"""A market behind its calendar lands in qa.failures with its market, and qa.summary_by_market
shows `market_freshness` failing for that market only (the warehouse, no Dagster)."""

import datetime as dt

from stock_assets.defs.quality import recorder
from stock_assets.lib import calendar
from stock_assets.lib.qa import freshness

D = dt.date


def test_each_market_behind_is_one_failure_row_and_shows_per_market(warehouse):
    with warehouse.transaction() as conn:
        conn.execute("""INSERT INTO universe.tickers (symbol, yahoo_symbol, status, first_seen, last_seen, updated_at,
                        calendar) VALUES ('A', 'A', 'active', now(), now(), now(), 'XNYS'),
                                         ('B', 'B.L', 'active', now(), now(), now(), 'XLON'),
                                         ('C', 'C.PA', 'active', now(), now(), now(), 'XPAR')""")
    at = dt.datetime.combine(D(2024, 11, 28), dt.time(23), tzinfo=calendar.NEW_YORK)
    # London and Paris behind by the same session: two rows, not one
    outcome = freshness.judge({"XNYS": D(2024, 11, 27), "XLON": D(2024, 11, 27), "XPAR": D(2024, 11, 27)}, at)
    day = D(2024, 11, 28)
    recorder.record(warehouse, [("market_freshness", "WARN", outcome)], [day], "r1", dt.datetime(2024, 11, 29, 4))
    stored = warehouse.query("SELECT market, symbol, date, value FROM qa.failures "
                             "WHERE check_name = 'market_freshness' ORDER BY market")
    assert stored.rows() == [("XLON", None, day, 1.0), ("XPAR", None, day, 1.0)]
    by_market = warehouse.query("SELECT market, passed FROM qa.summary_by_market "
                                "WHERE check_name = 'market_freshness' AND date = ? ORDER BY market", [day])
    assert by_market.rows() == [("XLON", False), ("XNYS", True), ("XPAR", False)]
    # fresh again: the open rows are resolved
    fresh = freshness.judge({"XNYS": D(2024, 11, 27), "XLON": day, "XPAR": day}, at)
    recorder.record(warehouse, [("market_freshness", "WARN", fresh)], [day], "r2", dt.datetime(2024, 11, 29, 5))
    assert warehouse.count("qa.failures", "check_name = 'market_freshness' AND NOT resolved") == 0
