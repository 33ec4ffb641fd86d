"""`intraday_bars` the way users run it: dg.materialize and `dagster job execute -j intraday_job`."""

import datetime as dt
import json

import dagster as dg
import polars as pl
import pytest

from stock_assets import read
from stock_assets.defs.prices.intraday_bars import intraday_bars, refuse_unclosed
from stock_assets.defs.resources import build_resources
from stock_assets.lib import synthetic
from stock_assets.settings import Settings
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.conftest import materialize_universe, run_cli

DAY = "2024-10-02"
HALF_DAY = "2024-11-29"


def _resources(data_dir, symbols: str) -> dict:
    settings = Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic", "STOCK_ASSETS_DATA_DIR": str(data_dir),
                                  "STOCK_ASSETS_SYNTHETIC_TICKERS": "20", "STOCK_ASSETS_INTRADAY_SYMBOLS": symbols})
    return build_resources(settings)


@pytest.fixture
def universe_symbols(data_dir, instance):
    resources = _resources(data_dir, "futures")
    materialize_universe(resources, instance)
    days = [dt.date(2024, 10, 2), dt.date(2024, 11, 29)]
    daily, _, _ = synthetic.bars([t.symbol for t in synthetic.tickers(20)], days, 20)
    traded = daily.filter(pl.col("volume") > 0).group_by("symbol").len().filter(pl.col("len") == 2)
    return sorted(traded["symbol"])[:3]  # listed and trading on both days


def _materialize(resources, instance, key=DAY, **kwargs):
    result = dg.materialize([intraday_bars], partition_key=key, resources=resources, instance=instance, **kwargs)
    assert result.success
    return result


def _view(data_dir, sql, params=None):
    return Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake").query(sql, params)


def test_the_view_is_typed_and_empty_before_any_intraday_day(data_dir, warehouse):
    frame = warehouse.query("SELECT * FROM prices.intraday_bars")
    assert frame.height == 0 and frame.columns[:4] == ["ts", "session", "symbol", "interval"]


def test_one_day_of_stocks_and_futures_adds_up_to_the_daily_bars(data_dir, instance, universe_symbols):
    watch = ",".join([*universe_symbols, "ES=F", "CL=F"])
    resources = _resources(data_dir, watch)
    result = _materialize(resources, instance)
    counts = _view(data_dir, "SELECT symbol, interval, count(*) AS n FROM prices.intraday_bars "
                             "WHERE session = ? GROUP BY ALL", [dt.date(2024, 10, 2)])
    n = {(r["symbol"], r["interval"]): r["n"] for r in counts.iter_rows(named=True)}
    stock, fut = universe_symbols[0], "ES=F"
    assert (n[(stock, "1m")], n[(stock, "5m")], n[(stock, "30m")], n[(stock, "1h")]) == (390, 78, 13, 7)
    assert (n[(fut, "1m")], n[(fut, "1h")]) == (1380, 23)
    daily, _, _ = synthetic.bars(universe_symbols, [dt.date(2024, 10, 2)], 20)
    days = _view(data_dir, "SELECT symbol, arg_min(open, ts) AS open, max(high) AS high, min(low) AS low, "
                           "arg_max(close, ts) AS close, sum(volume) AS volume FROM prices.intraday_bars "
                           "WHERE interval = '1h' GROUP BY symbol")
    joined = daily.join(days, on="symbol", suffix="_i")
    assert joined.height == 3
    for col in ("open", "high", "low", "close"):
        assert (joined[col] - joined[f"{col}_i"]).abs().max() < 1e-9
    assert (joined["volume"] == joined["volume_i"]).all()
    meta = result.asset_materializations_for_node("intraday_bars")[0].metadata
    assert meta["rows_by_interval"].value["1m"] == 3 * 390 + 2 * 1380
    path = data_dir / "lake" / "intraday_bars" / "interval=5m" / f"date={DAY}" / "data.parquet"
    assert path.exists()


def test_rerun_is_idempotent_and_asks_for_nothing_stored(data_dir, instance, universe_symbols):
    resources = _resources(data_dir, "ES=F," + universe_symbols[0])
    _materialize(resources, instance)
    before = _view(data_dir, "SELECT * FROM prices.intraday_bars ORDER BY symbol, interval, ts")
    again = _materialize(resources, instance)
    after = _view(data_dir, "SELECT * FROM prices.intraday_bars ORDER BY symbol, interval, ts")
    assert before.equals(after)  # same rows, same stamps: nothing was fetched again
    meta = again.asset_materializations_for_node("intraday_bars")[0].metadata
    assert meta["fetched_symbol_sessions"].value == 0
    dupes = _view(data_dir, "SELECT count(*) AS n FROM (SELECT symbol, interval, ts FROM prices.intraday_bars "
                            "GROUP BY ALL HAVING count(*) > 1)")
    assert dupes["n"][0] == 0
    refetch = _materialize(resources, instance, run_config={"ops": {"intraday_bars": {"config": {"full_refetch": True}}}})
    assert refetch.asset_materializations_for_node("intraday_bars")[0].metadata["fetched_symbol_sessions"].value == 2
    assert _view(data_dir, "SELECT count(*) AS n FROM prices.intraday_bars")["n"][0] == before.height
    # October 2024 has closed: every run keeps its month files current (ADR 0023), and
    # read.bars (month file) gives the view's rows (day files) after the refetch too.
    meta = refetch.asset_materializations_for_node("intraday_bars")[0].metadata
    assert meta["months_compacted"].value == {i: ["2024-10"] for i in ("1m", "5m", "15m", "30m", "1h")}
    stored = read.bars(None, DAY, DAY, interval="5m", data_dir=data_dir)
    view = _view(data_dir, "SELECT * FROM prices.intraday_bars WHERE interval = '5m' ORDER BY symbol, ts")
    assert stored.height == view.height and stored.with_columns(pl.col("ts").dt.replace_time_zone(None)).equals(view)


def test_a_half_day_and_a_holiday(data_dir, instance, universe_symbols):
    resources = _resources(data_dir, universe_symbols[0] + ",ES=F")
    _materialize(resources, instance, key=HALF_DAY)
    _materialize(resources, instance, key="2024-11-28")  # Thanksgiving: NYSE closed, CME halts at 12:00 CT
    rows = _view(data_dir, "SELECT symbol, session, count(*) AS n FROM prices.intraday_bars WHERE interval = '1m' "
                           "GROUP BY ALL ORDER BY symbol")
    assert set(rows.select("symbol", "session", "n").rows()) == {
        ("ES=F", dt.date(2024, 11, 28), 19 * 60),  # 17:00 CT Wednesday to 12:00 CT; no stock bar
        ("ES=F", dt.date(2024, 11, 29), 19 * 60),  # 17:00 CT Thursday to 12:00 CT
        (universe_symbols[0], dt.date(2024, 11, 29), 210),  # 09:30 to 13:00 ET
    }


def test_a_session_not_closed_yet_is_refused():
    day = dt.date(2024, 10, 2)
    after_nyse_before_cme = dt.datetime(2024, 10, 2, 20, 30, tzinfo=dt.UTC)  # 16:30 ET: CME trades to 17:00 ET
    refuse_unclosed([day], {"XNYS"}, after_nyse_before_cme)
    with pytest.raises(dg.Failure, match="2024-10-02 of CMES has not closed yet"):
        refuse_unclosed([day], {"XNYS", "CMES"}, after_nyse_before_cme)
    refuse_unclosed([day], {"XNYS", "CMES"}, after_nyse_before_cme + dt.timedelta(minutes=30))


def test_cli_one_day_and_a_range_as_one_run(cli_env, data_dir):
    env = {**cli_env, "STOCK_ASSETS_INTRADAY_SYMBOLS": "ES=F,NQ=F"}
    args = ["job", "execute", "-m", "stock_assets.definitions", "-j", "intraday_job"]
    one = run_cli([*args, "--tags", json.dumps({"dagster/partition": DAY})], env)
    assert one.returncode == 0, one.stderr[-3000:]
    first = _view(data_dir, "SELECT * FROM prices.intraday_bars ORDER BY symbol, interval, ts")
    assert first.filter(pl.col("interval") == "1m").height == 2 * 1380
    rerun = run_cli([*args, "--tags", json.dumps({"dagster/partition": DAY})], env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert _view(data_dir, "SELECT * FROM prices.intraday_bars ORDER BY symbol, interval, ts").equals(first)
    ranged = run_cli([*args, "--tags", json.dumps({"dagster/asset_partition_range_start": "2024-10-01",
                                                   "dagster/asset_partition_range_end": "2024-10-04"})], env)
    assert ranged.returncode == 0, ranged.stderr[-3000:]
    days = _view(data_dir, "SELECT DISTINCT session FROM prices.intraday_bars ORDER BY 1")["session"].to_list()
    assert days == [dt.date(2024, 10, d) for d in (1, 2, 3, 4)]
    assert "RUN_SUCCESS" in ranged.stdout + ranged.stderr


def test_checks_pass_on_the_synthetic_day_and_a_broken_daily_bar_lands_in_qa_failures(
        data_dir, instance, universe_symbols):
    from stock_assets.defs.prices.intraday_checks import intraday_bars_checks
    from stock_assets.lib.schema import DAILY_OHLCV
    from stock_assets.storage.lake import ParquetLake
    from stock_assets_tests.conftest import price_assets

    resources = _resources(data_dir, ",".join([*universe_symbols, "ES=F"]))
    selection = dg.AssetSelection.assets("daily_ohlcv", "corporate_actions").without_checks()
    daily = dg.materialize(price_assets(), selection=selection, partition_key=DAY, resources=resources,
                           instance=instance)
    assert daily.success
    result = dg.materialize([intraday_bars, intraday_bars_checks], partition_key=DAY, resources=resources,
                            instance=instance)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {"ohlc_consistency", "duplicates", "outside_session", "missing_minutes",
                                "futures_volume", "daily_reconciliation", "derived_vs_source"}
    sample = evaluations["derived_vs_source"].metadata  # one symbol, its 1h bars against the source's own
    assert sample["sample"].value.endswith(" 2024-10-02") and int(sample["bars_compared"].value) in (7, 23)
    assert all(e.passed for e in evaluations.values()), {n: e.metadata for n, e in evaluations.items() if not e.passed}
    assert evaluations["daily_reconciliation"].metadata["reconciled"].value == "3"
    lake = ParquetLake(data_dir / "lake")
    day = dt.date(2024, 10, 2)
    bars = lake.read_partition("daily_ohlcv", day, DAILY_OHLCV)
    victim = universe_symbols[1]
    lake.write_partition("daily_ohlcv", day, bars.with_columns(
        close=pl.when(pl.col("symbol") == victim).then(pl.col("close") + 0.5).otherwise(pl.col("close"))), DAILY_OHLCV)
    again = dg.materialize([intraday_bars, intraday_bars_checks], partition_key=DAY, resources=resources,
                           instance=instance)
    recon = next(e for e in again.get_asset_check_evaluations() if e.check_name == "daily_reconciliation")
    assert not recon.passed
    failures = _view(data_dir, "SELECT check_name, date, symbol, value, resolved FROM qa.failures "
                               "WHERE check_name LIKE 'intraday_%'")
    assert failures.rows() == [("intraday_daily_reconciliation", day, victim, pytest.approx(0.5), False)]
