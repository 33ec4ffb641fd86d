"""The QA rules on a lake holding several markets: each symbol judged on its own calendar
(ADR 0019), and Yahoo's 100x unit switch found with the factor that corrects it (ADR 0020)."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.lib import calendar, synthetic, synthetic_markets
from stock_assets.lib.qa.catalog import Thresholds
from stock_assets.lib.qa.engine import LakeQa
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.lake import ParquetLake
from stock_assets_tests.quality.helpers import files, stamp

D = dt.date
US = 10
RANGE = (D(2024, 4, 22), D(2024, 12, 6))
UK_HOLIDAY, THANKSGIVING = D(2024, 5, 6), D(2024, 11, 28)


def _weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)
            if (first + dt.timedelta(days=i)).weekday() < 5]


def _symbols() -> list[str]:
    us = [t.symbol for t in synthetic.tickers(US)[7:]]  # the June events of symbols 0-6 left out
    return us + [s.symbol for s in synthetic_markets.specs()]


def _write(root, bars: pl.DataFrame) -> ParquetLake:
    lake = ParquetLake(root)
    lake.write_partitions("daily_ohlcv", _weekdays(*RANGE), stamp(bars), DAILY_OHLCV)
    return lake


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    rows, _, missing = synthetic.bars(_symbols(), _weekdays(*RANGE), US)
    assert missing == {}
    return rows


def _qa(lake, start, end, **t) -> LakeQa:
    return LakeQa(files(lake), start, end, Thresholds(**t), expected=_symbols())


def test_a_market_holiday_is_never_a_missing_date_nor_incomplete(bars, tmp_path):
    lake = _write(tmp_path, bars)
    assert bars.filter((pl.col("date") == UK_HOLIDAY) & pl.col("symbol").str.ends_with(".L")).height == 0
    assert bars.filter((pl.col("date") == THANKSGIVING) & pl.col("symbol").str.ends_with(".L")).height == 4
    for start, end in ((D(2024, 5, 1), D(2024, 5, 10)), (D(2024, 11, 25), D(2024, 11, 29))):
        with _qa(lake, start, end) as q:
            for name in ("completeness", "missing_dates", "lag", "unit_switch"):
                outcome = getattr(q, name)()
                assert outcome.passed and outcome.offending.height == 0, (name, outcome.offending)
            markets = q.completeness().numbers["worst_share_by_market"]
            assert set(markets) == {"XNYS", "XLON", "XETR", "XPAR", "CMES"}


def test_a_london_row_missing_on_a_london_session_is_found_on_that_market(bars, tmp_path):
    hole = D(2024, 11, 28)  # Thanksgiving: London trades, so a missing London row is a finding
    lake = _write(tmp_path, bars.filter(~((pl.col("symbol") == "BRLA.L") & (pl.col("date") == hole))))
    with _qa(lake, D(2024, 11, 25), D(2024, 11, 29)) as q:
        gaps = q.missing_dates()
        assert gaps.offending.select("date", "symbol").rows() == [(hole, "BRLA.L")]
        assert "1 sessions of XLON" in gaps.offending["details"][0]
        complete = q.completeness()
        assert not complete.passed  # 3 of 4 London listings: 75 %
        assert complete.offending.select("date", "symbol").rows() == [(hole, "BRLA.L")]
        assert complete.numbers["worst_share_by_market"]["XLON"] == pytest.approx(0.75)
        assert complete.numbers["worst_share_by_market"]["XNYS"] == 1.0


def test_lag_counts_the_sessions_of_the_symbols_own_market(bars, tmp_path):
    wed = D(2024, 11, 27)
    stale = bars.filter(~((pl.col("symbol") == "KESH.L") & (pl.col("date") > D(2024, 11, 22))))
    lake = _write(tmp_path, stale.filter(pl.col("date") <= THANKSGIVING))
    with _qa(lake, wed, THANKSGIVING, max_lag_sessions=2) as q:
        lag = q.lag()
        # KESH.L: latest row Fri 22nd; London traded Mon-Thu since (4 sessions); the US has no
        # session on Thanksgiving, so US symbols with a row on Wednesday are 0 behind.
        assert lag.offending.select("symbol", "value").rows() == [("KESH.L", 4.0)]


def test_unit_switch_finds_a_block_in_pounds_and_its_correction(bars, tmp_path):
    block = [D(2024, 11, 26), D(2024, 11, 27)]
    in_pounds = pl.col("symbol").eq("MOTR.L") & pl.col("date").is_in(block)
    damaged = bars.with_columns([pl.when(in_pounds).then(pl.col(c) / 100).otherwise(pl.col(c)).alias(c)
                                 for c in ("open", "high", "low", "close", "adj_close")])
    lake = _write(tmp_path, damaged)
    with _qa(lake, D(2024, 11, 25), D(2024, 11, 29)) as q:
        out = q.unit_switch()
        assert not out.passed
        assert out.offending.select("date", "symbol", "value").rows() == [(d, "MOTR.L", 100.0) for d in block]
        original = bars.filter(in_pounds).sort("date")["close"].to_list()
        assert out.offending["corrected_close"].to_list() == pytest.approx(original)
        assert "GBp" in out.offending["details"][0]


def test_a_front_month_roll_is_explained_and_zero_volume_of_a_future_is_a_finding(bars, tmp_path):
    """ES=F on 2024-06-13 (the June roll) and on 2024-08-14 (no roll): the same 12 % step and a 10x
    volume; only the second is an unusual move and a volume spike. Zero volume on a CME
    session of a liquid contract is a zero_volume finding."""
    roll, plain, zero = D(2024, 6, 13), D(2024, 8, 14), D(2024, 8, 20)
    es = pl.col("symbol") == "ES=F"
    step = es & (pl.col("date").is_in([roll, plain]))
    level = pl.when(pl.col("date") >= plain).then(1.12 * 1.12).when(pl.col("date") >= roll).then(1.12).otherwise(1.0)
    damaged = bars.with_columns(  # a lasting step on each day, as a roll to the next contract makes
        *[pl.when(es).then(pl.col(c) * level).otherwise(pl.col(c)).alias(c)
          for c in ("open", "high", "low", "close", "adj_close")],
        volume=pl.when(step).then(pl.col("volume") * 10).when(es & (pl.col("date") == zero)).then(0)
        .otherwise(pl.col("volume")))
    lake = _write(tmp_path, damaged)
    with _qa(lake, D(2024, 6, 3), D(2024, 8, 23), volume_z=4.0, iqr_multiplier=2.0) as q:
        moves = q.iqr_jump()
        assert (plain, "ES=F") in moves.offending.select("date", "symbol").rows()
        assert (roll, "ES=F") not in moves.offending.select("date", "symbol").rows()
        assert moves.numbers["explained_by_rolls"] >= 1
        spikes = q.volume_spike()
        assert (plain, "ES=F") in spikes.offending.select("date", "symbol").rows()
        assert (roll, "ES=F") not in spikes.offending.select("date", "symbol").rows()
        assert (zero, "ES=F") in q.zero_volume().offending.select("date", "symbol").rows()


def _series(symbol: str, days: list[dt.date], close: float = 100.0) -> pl.DataFrame:
    n = len(days)
    return pl.DataFrame({
        "date": days, "symbol": [symbol] * n, "open": [close] * n, "high": [close] * n, "low": [close] * n,
        "close": [close] * n, "adj_close": [close] * n, "volume": [1000.0] * n, "provider": ["test"] * n,
        "currency": ["NOK"] * n, "source_ts": [None] * n})


def test_a_market_outside_the_six_is_judged_on_its_own_calendar_not_on_xnys(tmp_path):
    """Oslo (.OL, XOSL) is closed on Constitution Day 2024-05-17 while New York trades: no gap."""
    first, last = D(2024, 5, 1), D(2024, 5, 31)
    oslo = [d for d in _weekdays(first, last) if calendar.is_session(d, "XOSL")]
    assert D(2024, 5, 17) not in oslo and calendar.is_session(D(2024, 5, 17), "XNYS")
    lake = ParquetLake(tmp_path)
    lake.write_partitions("daily_ohlcv", _weekdays(first, last), stamp(_series("AZT.OL", oslo)), DAILY_OHLCV)
    with LakeQa(files(lake), D(2024, 5, 13), D(2024, 5, 24), Thresholds()) as q:
        outcome = q.missing_dates()
        assert outcome.passed, outcome.offending


def test_a_symbol_of_unknown_market_is_a_finding_and_never_judged_on_xnys(tmp_path):
    """`FOO.XX` skips a New York session: no gap is made up from XNYS; the unknown market is recorded."""
    first, last = D(2024, 5, 1), D(2024, 5, 31)
    days = [d for d in _weekdays(first, last) if d != D(2024, 5, 15)]
    lake = ParquetLake(tmp_path)
    lake.write_partitions("daily_ohlcv", _weekdays(first, last), stamp(_series("FOO.XX", days)), DAILY_OHLCV)
    with LakeQa(files(lake), D(2024, 5, 13), D(2024, 5, 24), Thresholds()) as q:
        outcome = q.missing_dates()
        assert not outcome.passed
        rows = outcome.offending
        assert rows["symbol"].to_list() == ["FOO.XX"]
        assert rows["details"][0].startswith("'.XX' is an unknown exchange suffix")
        assert "gaps are not judged" in rows["details"][0]
        assert outcome.numbers["market_unknown"] == 1 and outcome.numbers["missing_sessions"] == 0
        assert q.lag().passed
