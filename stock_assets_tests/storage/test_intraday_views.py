"""prices.weekly_ohlcv / prices.monthly_ohlcv over the daily lake: weeks and months of the sessions present."""

import datetime as dt

import polars as pl

from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse

D = dt.date


def _bar(day, symbol, o, h, lo, c, v):
    return {"date": day, "symbol": symbol, "open": o, "high": h, "low": lo, "close": c, "adj_close": c, "volume": v,
            "provider": "test", "source_ts": None, "ingested_at": None, "run_id": "r"}


def test_weeks_and_months_follow_the_sessions_present(data_dir):
    lake = ParquetLake(data_dir / "lake")
    rows = [
        _bar(D(2024, 11, 25), "AAA", 10, 12, 9, 11, 100),   # Monday
        _bar(D(2024, 11, 26), "AAA", 11, 15, 10, 14, 200),
        _bar(D(2024, 11, 27), "AAA", 14, 14, 8, 9, 300),
        _bar(D(2024, 11, 29), "AAA", 9, 10, 9, 10, 50),     # half-day Friday; Thursday a holiday
        _bar(D(2024, 12, 2), "AAA", 10, 11, 10, 11, 10),    # next week, next month
    ]
    frame = pl.DataFrame(rows, schema=DAILY_OHLCV)
    for day in sorted({r["date"] for r in rows}):
        lake.write_partition("daily_ohlcv", day, frame.filter(pl.col("date") == day), DAILY_OHLCV)
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    weeks = wh.query("SELECT * FROM prices.weekly_ohlcv ORDER BY period_start")
    assert weeks.select("period_start", "first_session", "last_session", "sessions", "open", "high", "low", "close",
                        "volume").rows()[0] == (D(2024, 11, 25), D(2024, 11, 25), D(2024, 11, 29), 4, 10, 15, 8, 10, 650)
    assert weeks.height == 2
    months = wh.query("SELECT * FROM prices.monthly_ohlcv ORDER BY period_start")
    assert months.select("period_start", "sessions", "open", "close").rows() == [
        (D(2024, 11, 1), 4, 10, 10), (D(2024, 12, 1), 1, 10, 11)]


def test_views_exist_over_an_empty_lake(data_dir):
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    for view in ("prices.intraday_bars", "prices.weekly_ohlcv", "prices.monthly_ohlcv"):
        assert wh.query(f"SELECT * FROM {view}").height == 0


def test_intraday_fetch_errors_never_count_towards_a_dead_letter(data_dir):
    from stock_assets.storage import dead_letter

    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    rows = pl.DataFrame({"run_id": "r", "session": [D(2024, 10, d) for d in (1, 2, 3)], "symbol": "AAA",
                         "code": "YFEMPTY", "message": "intraday 1m: no bars", "attempts": 1,
                         "recorded_at": dt.datetime(2024, 10, 4)})
    wh.append_rows("ops.fetch_errors", rows)
    assert dead_letter.failed_streaks(wh, {"AAA": ("YFEMPTY", "")}) == {}
    wh.append_rows("ops.fetch_errors", rows.with_columns(message=pl.lit("no bars")))
    assert dead_letter.failed_streaks(wh, {"AAA": ("YFEMPTY", "")}) == {"AAA": 3}


def test_the_intraday_view_reads_every_interval_and_session_file_of_the_lake(data_dir):
    from stock_assets.lib.intraday.schema import INTRADAY_BARS

    def bars(interval, day, n):
        return pl.DataFrame({
            "ts": [dt.datetime.combine(day, dt.time(14, 30 + i)) for i in range(n)], "session": [day] * n,
            "symbol": ["AAA"] * n, "interval": [interval] * n, "open": [1.0] * n, "high": [1.0] * n,
            "low": [1.0] * n, "close": [1.0] * n, "volume": [10] * n, "provider": ["t"] * n,
            "ingested_at": [None] * n, "run_id": ["r"] * n}, schema=INTRADAY_BARS)

    for interval, day, n in (("1m", D(2024, 6, 3), 3), ("1m", D(2024, 6, 4), 2), ("5m", D(2024, 6, 3), 1)):
        folder = data_dir / "lake" / "intraday_bars" / f"interval={interval}" / f"date={day.isoformat()}"
        folder.mkdir(parents=True)
        bars(interval, day, n).write_parquet(folder / "data.parquet")
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    counts = wh.query("SELECT interval, session, count(*) AS n FROM prices.intraday_bars GROUP BY ALL ORDER BY ALL")
    assert counts.rows() == [("1m", D(2024, 6, 3), 3), ("1m", D(2024, 6, 4), 2), ("5m", D(2024, 6, 3), 1)]
