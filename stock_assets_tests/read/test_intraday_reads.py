"""read.bars at an intraday interval: the asked interval's session files only, UTC or local time."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from stock_assets import read
from stock_assets.lib.intraday.schema import INTRADAY_BARS
from stock_assets.storage.lake import ParquetLake

D1, D2 = dt.date(2024, 10, 1), dt.date(2024, 10, 2)


def _bars(session: dt.date, interval: str, symbol: str, minutes: int, n: int) -> pl.DataFrame:
    start = dt.datetime.combine(session, dt.time(13, 30))  # 09:30 New York in UTC (EDT)
    ts = [start + dt.timedelta(minutes=minutes * i) for i in range(n)]
    return pl.DataFrame({
        "ts": ts, "session": [session] * n, "symbol": [symbol] * n, "interval": [interval] * n,
        "open": [10.0] * n, "high": [11.0] * n, "low": [9.0] * n, "close": [10.5] * n, "volume": [100] * n,
        "provider": ["t"] * n, "ingested_at": [dt.datetime(2024, 10, 3)] * n, "run_id": ["r"] * n,
    }, schema=INTRADAY_BARS)


@pytest.fixture
def lake_dir(data_dir):
    lake = ParquetLake(data_dir / "lake")
    for interval, minutes, n in (("1m", 1, 390), ("5m", 5, 78)):
        table = f"intraday_bars/interval={interval}"
        for day in (D1, D2):
            frame = pl.concat([_bars(day, interval, s, minutes, n) for s in ("AAPL", "ES=F")])
            lake.write_partition(table, day, frame, INTRADAY_BARS)
    return data_dir


def test_an_intraday_read_opens_only_its_interval_symbols_and_sessions(lake_dir):
    frame = read.bars(["aapl"], start=D2, end=D2, interval="5m", data_dir=lake_dir)
    assert frame.height == 78
    assert set(frame["interval"]) == {"5m"} and set(frame["session"]) == {D2} and set(frame["symbol"]) == {"AAPL"}
    assert frame["ts"].is_sorted()
    assert frame["ts"][0] == dt.datetime(2024, 10, 2, 13, 30, tzinfo=dt.UTC)
    both = read.bars(None, start=D1, end=D2, interval="1m", data_dir=lake_dir)
    assert both.height == 2 * 2 * 390 and both.select("symbol", "session").unique().height == 4


def test_local_time_is_one_argument_away(lake_dir):
    frame = read.bars(["AAPL"], D1, D1, interval="1m", tz="America/New_York", data_dir=lake_dir)
    first = frame["ts"][0]
    assert (first.hour, first.minute) == (9, 30) and str(first.tzinfo) == "America/New_York"


def test_intraday_reads_refuse_hostile_symbols_and_survive_an_empty_lake(lake_dir, tmp_path):
    with pytest.raises(Exception, match=r"\.\./x|symbol"):
        read.bars(["../x"], interval="5m", data_dir=lake_dir)
    empty = read.bars(None, interval="1h", data_dir=tmp_path / "nothing")
    assert empty.height == 0 and empty.columns == list(INTRADAY_BARS)
