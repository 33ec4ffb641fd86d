"""The user's path: `dagster asset materialize` with STOCK_ASSETS_UNIVERSE=nasdaq and a file:// URL.

One subprocess only (it costs seconds); the guards' failure paths are proved through `dg.materialize`.
"""

import duckdb

from stock_assets_tests.conftest import run_cli
from stock_assets_tests.universe import listing_files as lf


def test_cli_materialize_live_universe_from_file_url(tmp_path, cli_env, data_dir):
    url = lf.write(tmp_path / "nasdaqlisted.txt", lf.nasdaq_listed(["AAPL", "MSFT", "QQQ", "../x"], etfs=("QQQ",)))
    env = {**cli_env, "STOCK_ASSETS_UNIVERSE": "nasdaq", "STOCK_ASSETS_NASDAQ_LISTED_URL": url}
    done = run_cli(["asset", "materialize", "-m", "stock_assets.definitions", "--select", "ticker_universe"], env)
    assert done.returncode == 0, done.stderr[-3000:]
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        tickers = conn.execute("SELECT yahoo_symbol, is_etf, sources FROM universe.tickers ORDER BY 1").fetchall()
        rejected = conn.execute("SELECT raw_symbol FROM universe.rejected_symbols").fetchall()
    assert tickers == [("AAPL", False, "nasdaq_listed"), ("MSFT", False, "nasdaq_listed"), ("QQQ", True, "nasdaq_listed")]
    assert rejected == [("../x",)]

