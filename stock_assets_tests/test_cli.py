"""The pipeline through Dagster's CLI, as users and CI run it: subprocesses, a temp
DAGSTER_HOME holding the repo's dagster.yaml, a temp data dir, the synthetic source.

Each `dagster` subprocess costs ~6-10 s on 2 cores, so one module-wide workspace is set up
once (by the README demo itself) and each test adds only the calls it is about.
"""

import contextlib
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from stock_assets import demo
from stock_assets.settings import REPO_ROOT
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.conftest import files_under, run_cli

TICKERS = 50
DEMO_RANGE = ("2024-06-17", "2024-06-21")

pytestmark = pytest.mark.slow


def _env(data: Path, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCK_ASSETS_")}
    env.update(DAGSTER_HOME=str(home), STOCK_ASSETS_SOURCE="synthetic",
               STOCK_ASSETS_DATA_DIR=str(data), STOCK_ASSETS_SYNTHETIC_TICKERS=str(TICKERS))
    return env


def _demo(data: Path, home: Path) -> str:
    """`python -m stock_assets.demo` for DEMO_RANGE, in this process (its `dagster` calls are
    subprocesses either way); returns what it printed."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        for key in [k for k in os.environ if k.startswith("STOCK_ASSETS_")]:
            mp.delenv(key)
        mp.setenv("STOCK_ASSETS_SYNTHETIC_TICKERS", str(TICKERS))
        code = demo.main(["--start", DEMO_RANGE[0], "--end", DEMO_RANGE[1],
                          "--data-dir", str(data), "--dagster-home", str(home)])
    assert code == 0, out.getvalue()
    return out.getvalue()


def _bars(data: Path):
    return Warehouse(data / "warehouse.duckdb", data / "lake").query(
        "SELECT * EXCLUDE (ingested_at, run_id) FROM prices.daily_ohlcv ORDER BY date, symbol")


def _instance(home: Path) -> dg.DagsterInstance:
    """The instance the CLI runs wrote to (its event log is found through DAGSTER_HOME, ADR 0011)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        return dg.DagsterInstance.from_config(str(home))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> dict:
    """The README demo, run once: universe_job + daily_prices_job over DEMO_RANGE as one run."""
    root = tmp_path_factory.mktemp("cli")
    data, home = root / "data", root / "home"
    stdout = _demo(data, home)
    return {"root": root, "data": data, "home": home, "env": _env(data, home), "stdout": stdout}


def test_demo_prints_where_results_are_and_a_rerun_changes_nothing(workspace):
    data, out = workspace["data"], workspace["stdout"]
    assert f"lake:       {data / 'lake' / 'daily_ohlcv'}  (5 day partitions)" in out
    assert f"warehouse:  {data / 'warehouse.duckdb'}" in out
    assert "SELECT symbol" in out
    before = _bars(data)
    # 2024-06-19 is Juneteenth: four US sessions, five partitions; London, Xetra, Paris trade on it.
    us = before.filter((pl.col("currency") == "USD") & ~pl.col("symbol").str.ends_with("=F"))
    assert us["date"].n_unique() == 4 and us.height > 4 * TICKERS * 0.9
    assert dt.date(2024, 6, 19) in set(before.filter(pl.col("symbol").str.ends_with(".L"))["date"])
    assert "rows per market: CMES" in out and "XLON" in out and "XNYS" in out
    fingerprint = next(line for line in out.splitlines() if "fingerprint" in line)

    again = _demo(data, workspace["home"])
    assert fingerprint in again
    assert _bars(data).equals(before)
    runs = _instance(workspace["home"]).get_runs()
    assert len(runs) == 8 and all(r.is_success for r in runs)  # universe, prices, dashboard, intraday: twice
    intraday = next(line for line in out.splitlines() if line.strip().startswith("intraday_bars"))
    assert intraday.split()[-1] == str(3 * (390 + 78 + 26 + 13 + 7) + 2 * (1380 + 276 + 92 + 46 + 23))
    assert intraday in again  # three stocks and ES=F, NQ=F at 1m..1h, the same rows again
    assert sorted(r.job_name for r in runs).count("universe_job") == 2
    ranged = [r for r in runs if r.tags.get("dagster/asset_partition_range_start") == DEMO_RANGE[0]]
    assert len(ranged) == 2 and all(r.tags["dagster/asset_partition_range_end"] == DEMO_RANGE[1] for r in ranged)
    assert (data / "dashboard" / "index.html").exists()


def test_job_execute_one_day_while_another_run_writes_the_warehouse(workspace):
    """`dagster job execute -j daily_prices_job` for one day (the CLI path of CI), started
    together with a `dagster asset materialize` of another day: two run processes write the
    warehouse at once, and neither fails on DuckDB's lock."""
    exe = str(Path(sys.executable).parent / "dagster")
    commands = [
        [exe, "job", "execute", "-m", "stock_assets.definitions", "-j", "daily_prices_job",
         "--tags", json.dumps({"dagster/partition": "2024-06-24"})],
        [exe, "asset", "materialize", "-m", "stock_assets.definitions", "--select", "daily_ohlcv,corporate_actions",
         "--partition", "2024-06-25"],
    ]
    procs = [subprocess.Popen(c, cwd=REPO_ROOT, env=workspace["env"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for c in commands]
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    for proc, out in zip(procs, outputs):
        assert proc.returncode == 0, out[-3000:]
        assert "RUN_SUCCESS" in out and "WarehouseLocked" not in out
    assert 'Started execution of run for "daily_prices_job"' in outputs[0]
    wh = Warehouse(workspace["data"] / "warehouse.duckdb")
    counts = wh.query("SELECT date, count(*) AS n FROM prices.daily_ohlcv WHERE date >= ? GROUP BY date ORDER BY date",
                      [dt.date(2024, 6, 24)])
    assert counts["date"].to_list() == [dt.date(2024, 6, 24), dt.date(2024, 6, 25)]
    assert min(counts["n"]) > TICKERS * 0.9
    assert wh.count("ops.fetch_reports", "first_session >= ?", [dt.date(2024, 6, 24)]) == 2


def test_asset_materialize_partition_range_is_one_run(workspace):
    instance = _instance(workspace["home"])
    runs_before = instance.get_runs_count()
    done = run_cli(["asset", "materialize", "-m", "stock_assets.definitions", "--select", "daily_ohlcv",
                    "--partition-range", "2024-07-01...2024-07-05"], workspace["env"])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert instance.get_runs_count() == runs_before + 1
    [run] = instance.get_runs(limit=1)
    assert run.tags["dagster/asset_partition_range_start"] == "2024-07-01"
    assert run.tags["dagster/asset_partition_range_end"] == "2024-07-05"
    wh = Warehouse(workspace["data"] / "warehouse.duckdb")
    days = wh.query("SELECT DISTINCT date FROM prices.daily_ohlcv WHERE date >= ? AND currency = 'USD' "
                    "AND NOT ends_with(symbol, '=F') ORDER BY date", [dt.date(2024, 7, 1)])
    # 4 July is a US holiday: four US sessions with rows out of five days; London trades on it.
    assert days["date"].to_list() == [dt.date(2024, 7, d) for d in (1, 2, 3, 5)]
    assert wh.count("prices.daily_ohlcv", "date = ? AND ends_with(symbol, '.L')", [dt.date(2024, 7, 4)]) == 4
    assert (workspace["data"] / "lake" / "daily_ohlcv" / "date=2024-07-04" / "data.parquet").exists()


def test_daily_ohlcv_alone_over_a_split_passes_price_jump(workspace):
    """`--select daily_ohlcv` without corporate_actions over the 4:1 split of 2024-06-10: the
    as-traded drop is explained by the split the fetch saw (ops.fetched_actions), so the
    blocking price_jump check passes and the bars land; corporate_actions keeps its lineage."""
    done = run_cli(["asset", "materialize", "-m", "stock_assets.definitions", "--select", "daily_ohlcv",
                    "--partition-range", "2024-06-03...2024-06-14"], workspace["env"])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "RUN_FAILURE" not in done.stderr
    wh = Warehouse(workspace["data"] / "warehouse.duckdb")
    seen = wh.query("SELECT symbol, value FROM ops.fetched_actions WHERE kind = 'split' AND ex_date = ?",
                    [dt.date(2024, 6, 10)])
    assert seen["value"].to_list() == [4.0]
    assert wh.count("prices.corporate_actions", "ex_date = ?", [dt.date(2024, 6, 10)]) == 0
    assert wh.count("qa.failures", "check_name = 'price_jump' AND date = ? AND NOT resolved",
                    [dt.date(2024, 6, 10)]) == 0
    rows, distinct = wh.query("SELECT count(*) AS n, count(DISTINCT (date, symbol)) AS d "
                              "FROM prices.daily_ohlcv WHERE date BETWEEN ? AND ?",
                              [dt.date(2024, 6, 3), dt.date(2024, 6, 14)]).row(0)
    assert rows == distinct > 0


def test_unknown_source_name_is_a_clear_error_and_writes_nothing(tmp_path):
    data, home = tmp_path / "data", tmp_path / "home"
    data.mkdir()
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
    env = _env(data, home) | {"STOCK_ASSETS_SOURCE": "bogus"}
    done = run_cli(["job", "execute", "-m", "stock_assets.definitions", "-j", "daily_prices_job",
                    "--tags", '{"dagster/partition": "2024-06-03"}'], env)
    assert done.returncode != 0
    assert "STOCK_ASSETS_SOURCE='bogus' is not a known price source; use one of yahoo, synthetic" in done.stderr
    assert files_under(data) == set()
