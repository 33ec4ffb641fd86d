"""The README demo: the whole pipeline on the synthetic source, offline, through Dagster's CLI.

    uv run python -m stock_assets.demo            # June 2024, 500 synthetic tickers
    uv run python -m stock_assets.demo --start 2024-06-03 --end 2024-06-07

Why the CLI and not a shortcut: the demo takes the path users and CI take. It runs
`dagster job execute` of `universe_job` (the synthetic exchange scraped as of the first day),
then `dagster asset materialize --partition-range` of daily_prices_job's assets (prices,
corporate actions, their checks, the QA summary) over the whole range as ONE run (a
single-run backfill), then the dashboard; with a repo-local DAGSTER_HOME (`.dagster_home/`,
holding the repo's dagster.yaml) so the runs show up in `dagster dev` afterwards. Then it reads back what landed and prints where it is.

Rerunning changes nothing: every partition is replaced whole, warehouse rows of the range
are deleted then inserted, and the synthetic market is a pure function of its seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stock_assets.settings import REPO_ROOT, Settings

DEMO_START = "2024-06-03"
DEMO_END = "2024-06-28"
DEMO_QUERY = (
    "SELECT symbol, count(*) AS days, min(low) AS low, max(high) AS high "
    "FROM prices.daily_ohlcv GROUP BY symbol ORDER BY symbol LIMIT 5"
)


def demo_env(data_dir: Path | None, dagster_home: Path) -> dict[str, str]:
    """The environment of the demo's runs: synthetic source, the data dir, a prepared DAGSTER_HOME."""
    env = dict(os.environ)
    env["STOCK_ASSETS_SOURCE"] = "synthetic"
    env.pop("STOCK_ASSETS_UNIVERSE", None)  # the synthetic source implies the synthetic universe
    env.setdefault("STOCK_ASSETS_SYNTHETIC_MARKETS", "all")  # US, London, Xetra, Paris, CME futures
    if data_dir is not None:
        env["STOCK_ASSETS_DATA_DIR"] = str(data_dir)
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    env["DAGSTER_HOME"] = str(dagster_home)
    return env


def _dagster(args: list[str], env: dict[str, str], label: str) -> None:
    exe = Path(sys.executable).parent / "dagster"
    command = [str(exe) if exe.exists() else "dagster", *args]
    print(f"$ dagster {' '.join(args)}", flush=True)
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-8000:])
        raise SystemExit(f"demo: {label} failed (exit {done.returncode}); the log is above")
    print(f"  ok: {label} in {time.monotonic() - started:.1f}s", flush=True)


PRICE_ASSETS = "daily_ohlcv,corporate_actions,qa_summary"  # + every check on them
DASHBOARD_ASSETS = "dashboard_kpis,dashboard_html"


def run_pipeline(start: str, end: str, env: dict[str, str]) -> None:
    """universe_job as of `start`; then daily_prices_job's assets over start..end as ONE run.

    The range goes through `dagster asset materialize --partition-range` (a single-run
    backfill, the code location's in-process executor) rather than `dagster job execute -j
    daily_prices_job`, which runs each step in its own process (automation/jobs.py) and
    takes about twice as long; the assets, checks and storage are the same. The dashboard is
    unpartitioned, so it is its own (small) run.
    """
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "universe.yaml"
        config.write_text(f'ops:\n  ticker_universe:\n    config:\n      as_of: "{start}"\n')
        _dagster(["job", "execute", "-m", "stock_assets.definitions", "-j", "universe_job",
                  "-c", str(config)], env, "universe_job")
    _dagster(["asset", "materialize", "-m", "stock_assets.definitions", "--select", PRICE_ASSETS,
              "--partition-range", f"{start}...{end}"], env, f"prices, checks and QA for {start}...{end} (one run)")
    _dagster(["asset", "materialize", "-m", "stock_assets.definitions", "--select", DASHBOARD_ASSETS],
             env, "dashboard")


DEMO_FUTURES = "ES=F,NQ=F"


def intraday_watchlist(settings: Settings, day: dt.date, count: int = 3) -> str:
    """The demo's intraday watchlist: `count` universe symbols that traded on `day`, and two futures."""
    from stock_assets.lib import synthetic

    symbols = [t.symbol for t in synthetic.tickers(settings.synthetic_tickers)]
    bars, _, _ = synthetic.bars(symbols[: count * 5], [day], settings.synthetic_tickers)
    traded = [s for s in symbols[: count * 5] if s in set(bars.filter(bars["volume"] > 0)["symbol"])]
    return ",".join([*traded[:count], *DEMO_FUTURES.split(",")])


def run_intraday(day: str, env: dict[str, str], watchlist: str) -> None:
    """One intraday day (1m fetched, 5m-1h derived, checks) for a few symbols and futures."""
    _dagster(["asset", "materialize", "-m", "stock_assets.definitions", "--select", "intraday_bars",
              "--partition", day], {**env, "STOCK_ASSETS_INTRADAY_SYMBOLS": watchlist},
             f"intraday bars of {watchlist} on {day}")


def summary(settings: Settings, start: dt.date, end: dt.date) -> dict:
    """Row counts and a fingerprint of what the demo range holds, read back from storage."""
    from stock_assets.storage.warehouse import Warehouse

    wh = Warehouse(settings.warehouse_path, settings.lake_dir)
    bars = wh.query(
        "SELECT count(*) AS n, count(DISTINCT symbol) AS symbols, count(DISTINCT date) AS sessions, "
        "round(sum(close), 4) AS close_sum FROM prices.daily_ohlcv WHERE date BETWEEN ? AND ?",
        [start, end],
    ).row(0, named=True)
    files = [p for p in sorted((settings.lake_dir / "daily_ohlcv").glob("date=*/data.parquet"))
             if start.isoformat() <= p.parent.name.removeprefix("date=") <= end.isoformat()]
    per_market = wh.query(
        "SELECT coalesce(t.calendar, 'XNYS') AS market, count(*) AS n FROM prices.daily_ohlcv b "
        "LEFT JOIN universe.tickers t ON t.yahoo_symbol = b.symbol WHERE b.date BETWEEN ? AND ? "
        "GROUP BY ALL ORDER BY market", [start, end])
    return {
        "rows_per_market": dict(per_market.iter_rows()),
        "lake_partitions": len(files),
        "daily_ohlcv_rows": bars["n"],
        "symbols": bars["symbols"],
        "sessions": bars["sessions"],
        "close_sum": bars["close_sum"],
        "corporate_actions": wh.count("prices.corporate_actions", "ex_date BETWEEN ? AND ?", [start, end]),
        "universe_tickers": wh.count("universe.tickers"),
        "fetch_errors": wh.count("ops.fetch_errors"),
        "intraday_bars": wh.count("prices.intraday_bars", "session = ?", [end]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default=DEMO_START, help="first trading day (YYYY-MM-DD)")
    parser.add_argument("--end", default=DEMO_END, help="last trading day (YYYY-MM-DD)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the lake and warehouse go (default: $STOCK_ASSETS_DATA_DIR or <repo>/data)")
    parser.add_argument("--dagster-home", type=Path, default=REPO_ROOT / ".dagster_home",
                        help="the Dagster instance directory (default: <repo>/.dagster_home)")
    args = parser.parse_args(argv)
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    if end < start:
        parser.error(f"--end {end} is before --start {start}")

    env = demo_env(args.data_dir, args.dagster_home.resolve())
    settings = Settings.from_env(env)
    print(f"stock_assets demo: synthetic source, {settings.synthetic_tickers} US tickers and "
          f"markets {','.join(settings.synthetic_markets)}, {start}..{end}, offline")
    run_pipeline(start.isoformat(), end.isoformat(), env)
    run_intraday(end.isoformat(), env, intraday_watchlist(settings, end))
    figures = summary(settings, start, end)

    print("\nResults")
    print(f"  lake:       {settings.lake_dir / 'daily_ohlcv'}  ({figures['lake_partitions']} day partitions)")
    print(f"  warehouse:  {settings.warehouse_path}")
    print(f"  dashboard:  {settings.dashboard_dir / 'index.html'}")
    print(f"  DAGSTER_HOME: {env['DAGSTER_HOME']}  (runs are visible in `dagster dev`)")
    for key in ("daily_ohlcv_rows", "symbols", "sessions", "corporate_actions", "universe_tickers", "fetch_errors",
                "intraday_bars"):
        print(f"  {key:<18}{figures[key]}")
    print("  rows per market: " + ", ".join(f"{m} {n}" for m, n in figures["rows_per_market"].items()))
    print(f"  fingerprint:      rows={figures['daily_ohlcv_rows']} sum(close)={figures['close_sum']}"
          "  (a rerun prints the same)")
    print("\nTry a query (stock_assets.read: never in a run's way; README, 'Query it'):")
    print(f"  STOCK_ASSETS_DATA_DIR={settings.data_dir} uv run python -c \"from stock_assets import read; "
          f"print(read.sql('{DEMO_QUERY}'))\"")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
