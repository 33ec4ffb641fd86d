"""Derived bars against the source's own (ADR 0021): the sample, the rule, and Yahoo through the fake."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.defs.prices import intraday_crosscheck
from stock_assets.lib.intraday import crosscheck, resample, store
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.prices.conftest import FAKE_TODAY
from stock_assets_tests.prices.fake_intraday import body_from_bars, intraday_body
from stock_assets_tests.prices.test_intraday_recorded import TSLA_1H, recorded_intraday

DAY = FAKE_TODAY - dt.timedelta(days=1) if FAKE_TODAY.weekday() else FAKE_TODAY - dt.timedelta(days=3)


def test_the_sample_rotates_one_symbol_a_day_through_the_watchlist_and_repeats_on_a_rerun():
    watch = ["CCC", "AAA", "BBB"]
    days = [dt.date(2024, 10, 1) + dt.timedelta(days=i) for i in range(3)]
    picks = [crosscheck.sample(watch, d, 1) for d in days]
    assert sorted(p[0] for p in picks) == ["AAA", "BBB", "CCC"]  # every symbol in turn
    assert crosscheck.sample(watch, days[0], 1) == picks[0]  # deterministic
    assert crosscheck.sample(watch, days[0], 5) == sorted(watch, key=lambda s: (sorted(watch).index(s)
                                                          - sorted(watch).index(picks[0][0])) % 3)
    assert crosscheck.sample(watch, days[0], 0) == [] and crosscheck.sample([], days[0], 1) == []


def _served(fake, source, symbol):
    """The fake answers `symbol` at 1m; the test sets its 1h answer. One symbol per test:
    yfinance keeps answers in memory per request within a process."""
    fake.script.interval_bodies[(symbol, "1m")] = (200, intraday_body(symbol, [DAY]))
    minutes = source.fetch_intraday([symbol], [DAY], {symbol: "XNYS"}, today=FAKE_TODAY).bars
    merged = store.merge(minutes.clear(), minutes, {symbol: "XNYS"}, dt.datetime(2024, 1, 1), "r")
    return merged, resample.resample(minutes, "1h", {symbol: "XNYS"})


def _evaluate(source, merged, symbol):
    return intraday_crosscheck.evaluate(source, merged, [symbol], {symbol: "XNYS"}, [DAY], FAKE_TODAY, 1, "1h")


def test_yahoos_own_1h_bars_equal_to_the_derived_ones_pass(fake_yahoo, yahoo_source):
    merged, hours = _served(fake_yahoo, yahoo_source, "XAG")
    fake_yahoo.script.interval_bodies[("XAG", "1h")] = (200, body_from_bars("XAG", hours, "1h"))
    outcome, skipped = _evaluate(yahoo_source, merged, "XAG")
    assert outcome.passed and skipped == {}
    assert outcome.numbers["sample"] == f"XAG {DAY}" and outcome.numbers["bars_compared"] == 7
    assert outcome.numbers["worst_price_gap"] == 0.0
    asked = [q for q in fake_yahoo.queries["XAG"] if q.get("interval") == "1h"]
    assert len(asked) == 1  # one extra request for the sample


def test_a_disagreeing_answer_fails_the_check_and_lands_in_qa_failures(fake_yahoo, yahoo_source, data_dir):
    merged, hours = _served(fake_yahoo, yahoo_source, "AAB")
    off = hours.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.col("close") + 0.05)
                             .otherwise(pl.col("close")).alias("close"),
                             pl.when(pl.int_range(pl.len()) == 3).then(pl.col("high") + 0.05)
                             .otherwise(pl.col("high")).alias("high"))
    fake_yahoo.script.interval_bodies[("AAB", "1h")] = (200, body_from_bars("AAB", off.head(6), "1h"))
    outcome, _ = _evaluate(yahoo_source, merged, "AAB")
    assert not outcome.passed
    assert outcome.numbers["worst_price_gap"] == pytest.approx(0.05)
    row = outcome.offending.row(0, named=True)
    assert (row["symbol"], row["date"]) == ("AAB", DAY) and row["value"] == pytest.approx(0.05)
    assert "2 of 7 bars differ" in row["details"] and "only derived 1" in row["details"]
    assert f"worst price gap 0.05 at {DAY} 16:30" in row["details"]  # the 4th bar (09:30 ET + 3 h)
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    result = intraday_crosscheck.check_result(wh, outcome, {}, "1h", [DAY], "run-1", dt.datetime(2024, 1, 1))
    assert not result.passed and result.metadata["worst_price_gap"].value == "0.05"
    stored = wh.query("SELECT check_name, symbol, date, value FROM qa.failures WHERE NOT resolved")
    assert stored.rows() == [("intraday_derived_vs_source", "AAB", DAY, pytest.approx(0.05))]


def test_recorded_empty_1h_answer_is_named_as_not_compared_never_a_failure(fake_yahoo, yahoo_source):
    merged, _ = _served(fake_yahoo, yahoo_source, "AAC")
    fake_yahoo.script.interval_bodies[("AAC", "1h")] = recorded_intraday(TSLA_1H)  # real: meta, no bars
    outcome, skipped = _evaluate(yahoo_source, merged, "AAC")
    assert outcome.passed and outcome.numbers["bars_compared"] == 0
    assert set(skipped) == {"AAC"} and skipped["AAC"].startswith(f"{DAY}: the source did not answer")


def test_the_synthetic_source_agrees_with_itself_so_offline_runs_pass(data_dir):
    from stock_assets.defs.prices.synthetic import SyntheticPriceSource

    source = SyntheticPriceSource(ticker_count=20)
    day = dt.date(2024, 10, 2)
    minutes = source.fetch_intraday(["ES=F"], [day], {"ES=F": "CMES"}, day).bars
    merged = store.merge(minutes.clear(), minutes, {"ES=F": "CMES"}, dt.datetime(2024, 1, 1), "r")
    outcome, skipped = intraday_crosscheck.evaluate(source, merged, ["ES=F"], {"ES=F": "CMES"}, [day], day, 1, "30m")
    assert outcome.passed and skipped == {} and outcome.numbers["bars_compared"] == 46


@pytest.mark.parametrize("own_volume, passed", [(105, True), (112, False), (0, False)])
def test_volume_must_agree_within_the_stated_share(own_volume, passed):
    bar = {"symbol": "AAA", "session": DAY, "ts": dt.datetime.combine(DAY, dt.time(13, 30)),
           "open": 10.0, "high": 11.0, "low": 9.0, "close": 10.5, "volume": 100}
    outcome = crosscheck.compare(pl.DataFrame([bar]), pl.DataFrame([{**bar, "volume": own_volume}]))
    assert outcome.passed is passed
    assert outcome.numbers["worst_volume_gap"] == pytest.approx(abs(100 - own_volume) / max(own_volume, 1), abs=1e-4)
