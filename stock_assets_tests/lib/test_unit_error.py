"""The 100x unit-switch rule on Yahoo's real cases (yfinance's repair test data) and on clean files."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.lib import unit_error
from stock_assets_tests.conftest import shared_data

CASES = "yfinance_repair_cases"


def _read(name: str, symbol: str, currency: str) -> pl.DataFrame:
    path = shared_data(CASES, name)
    frame = pl.read_csv(path, infer_schema_length=0)
    index = "Date" if "Date" in frame.columns else "Datetime"
    return frame.select(
        date=pl.col(index).str.slice(0, 10).str.to_date(), symbol=pl.lit(symbol), currency=pl.lit(currency),
        **{c.lower().replace(" ", "_"): pl.col(c).cast(pl.Float64) for c in ("Open", "High", "Low", "Close", "Adj Close")},
    ).filter(pl.col("close").is_not_null()).sort("date")


def test_london_pence_pound_blocks_are_found_and_corrected_to_yfinance_fixed():
    bad = _read("AET-L-1d-100x-error.csv", "AET.L", "GBp")
    fixed = _read("AET-L-1d-100x-error-fixed.csv", "AET.L", "GBp")
    found = unit_error.unit_switches(bad)
    assert found.height == 14  # 2022-05-03..05-06 and 2022-05-20..06-06 (SOURCES.md)
    assert set(found["factor"]) == {100.0}
    assert dt.date(2022, 5, 3) in set(found["date"]) and dt.date(2022, 5, 12) not in set(found["date"])
    corrected = unit_error.correct(bad, found)
    assert corrected["close"].to_list() == pytest.approx(fixed["close"].to_list(), rel=1e-6)


def test_weekly_london_series_mostly_in_the_wrong_unit_is_still_put_in_pence():
    bad = _read("AET-L-1wk-100x-error.csv", "AET.L", "GBp")
    fixed = _read("AET-L-1wk-100x-error-fixed.csv", "AET.L", "GBp")
    found = unit_error.unit_switches(bad)
    assert found.height == 34  # 34 of 36 weeks in pounds: the majority is wrong, pence still wins
    assert unit_error.correct(bad, found)["close"].to_list() == pytest.approx(fixed["close"].to_list(), rel=1e-6)


def test_jse_cents_rand_switch_is_found_and_kept_in_the_quoted_cents():
    bad = _read("SSW-JO-1d-100x-error.csv", "SSW.JO", "ZAc")
    fixed = _read("SSW-JO-1d-100x-error-fixed.csv", "SSW.JO", "ZAc")  # yfinance converts to rand
    found = unit_error.unit_switches(bad)
    assert found.height == 7 and set(found["date"]) == {dt.date(2023, 6, d) for d in (1, 2, 5, 6, 7, 8, 9)}
    ratio = unit_error.correct(bad, found)["close"] / fixed["close"]
    assert ratio.to_list() == pytest.approx([100.0] * bad.height, rel=1e-4)  # the same series, in cents


@pytest.mark.parametrize("name, symbol, currency", [
    ("KMR-L-1d-no-bad-divs.csv", "KMR.L", "GBp"), ("CALM-1d-no-bad-divs.csv", "CALM", "USD"),
    ("EWG-1d-no-bad-divs.csv", "EWG", "USD"), ("HSBK-IL-1d-no-bad-divs.csv", "HSBK.IL", "USD"),
    ("IBE-MC-1d-no-bad-divs.csv", "IBE.MC", "EUR"), ("TISG-MI-1d-no-bad-divs.csv", "TISG.MI", "EUR"),
    ("AET-L-1d-100x-error-fixed.csv", "AET.L", "GBp"), ("REL-L-1d-bad-div.csv", "REL.L", "GBp"),
    ("AV-L-1wk-bad-stock-split-fixed.csv", "AV.L", "GBp"), ("CNE-L-1d-bad-stock-split-fixed.csv", "CNE.L", "GBp"),
])
def test_no_false_alarm_on_clean_files(name, symbol, currency):
    assert unit_error.unit_switches(_read(name, symbol, currency)).height == 0


def test_a_reverse_split_of_one_for_a_hundred_is_not_a_unit_error():
    days = [dt.date(2024, 6, d) for d in (3, 4, 5)]
    bars = pl.DataFrame({"date": days, "symbol": "RS", "close": [0.5, 50.0, 51.0], "currency": "USD"})
    splits = pl.DataFrame({"symbol": ["RS"], "ex_date": [days[1]], "value": [0.01]})
    assert unit_error.unit_switches(bars, splits).height == 0
    assert unit_error.unit_switches(bars).height == 1  # the same step with no split known is flagged


def test_each_finding_names_the_unit_and_the_corrected_close():
    """The details a person reads in qa.failures / ops.fetch_errors: the quoted unit (or that it is
    unknown) and the close once corrected; an empty series has no finding, in the finding schema."""
    days = [dt.date(2024, 6, d) for d in (3, 4, 5, 6)]
    bars = pl.DataFrame({"date": days, "symbol": "AET.L", "close": [1455.0, 14.55, 1460.0, 1462.0], "currency": "GBp"})
    [details] = unit_error.unit_switches(bars)["details"].to_list()
    assert details == "close 14.55 is 100x off the series' unit (GBp): a 100x unit switch; corrected close 1455"
    [details] = unit_error.unit_switches(bars.drop("currency"))["details"].to_list()
    assert "(currency unknown)" in details
    none = unit_error.unit_switches(bars.clear())
    assert none.height == 0 and none.schema == pl.Schema(unit_error.SWITCH_SCHEMA)
