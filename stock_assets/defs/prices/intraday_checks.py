"""Asset checks of `intraday_bars`; every finding also lands in qa.failures (defs/quality/recorder.py).

The rules are lib/intraday/checks.py. They read the run's days back from the lake (what is
stored is what is checked) and the day's own bars from the daily lake for reconciliation.
"""

import datetime as dt

import dagster as dg
import polars as pl

from stock_assets.defs.partitions import window_days
from stock_assets.defs.prices.intraday_bars import read_stored
from stock_assets.defs.prices.watchlist import IntradayWatchlist
from stock_assets.defs.quality import recorder
from stock_assets.lib import markdown
from stock_assets.lib.intraday import checks
from stock_assets.lib.intraday.sessions import FETCHED
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.resource import WarehouseResource

ASSET = "intraday_bars"
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
# check name -> (severity, what it guards); qa.failures stores them as `intraday_<name>`.
CHECKS = {
    "ohlc_consistency": (ERROR, "Every bar's high/low bound its open/close; prices > 0; volume >= 0."),
    "duplicates": (ERROR, "One bar per (symbol, interval, ts)."),
    "outside_session": (ERROR, "No bar outside its market's regular session (no pre/post-market stored)."),
    "missing_minutes": (WARN, "Every minute of the regular session has a 1m bar (Yahoo leaves minutes with "
                              "no trade out: expected for thin symbols)."),
    "futures_volume": (WARN, "Every future (CME calendar) has volume over each session."),
    "daily_reconciliation": (WARN, f"The day's minutes match the daily bar: open/high/low/close within "
                                   f"{checks.TICK}, volume within {checks.VOLUME_TOLERANCE:.0%}."),
}


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(name, asset=ASSET, description=text) for name, (_, text) in CHECKS.items()],
    can_subset=True,
)
def intraday_bars_checks(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                         intraday_watchlist: IntradayWatchlist):
    """Run the intraday rules over the run's days and record every finding."""
    days = window_days(context)
    wh = warehouse.open()
    lake = warehouse.lake
    bars = read_stored(lake, days)
    minutes = bars.filter(pl.col("interval") == FETCHED)
    symbols = sorted(set(bars["symbol"]))
    calendars = intraday_watchlist.calendars(wh, symbols)
    daily = lake.read_range("daily_ohlcv", min(days), max(days), DAILY_OHLCV)
    outcomes = {
        "ohlc_consistency": checks.ohlc_consistency(bars),
        "duplicates": checks.duplicates(bars),
        "outside_session": checks.outside_session(bars, calendars),
        "missing_minutes": checks.missing_minutes(minutes, calendars),
        "futures_volume": checks.futures_volume(minutes, calendars),
        "daily_reconciliation": checks.daily_reconciliation(minutes, daily),
    }
    selected = {key.name for key in context.selected_asset_check_keys}
    outcomes = {name: o for name, o in outcomes.items() if name in selected}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    recorder.record(wh, [(f"intraday_{name}", CHECKS[name][0].value, o) for name, o in outcomes.items()],
                    days, context.run.run_id, now)
    for name, outcome in outcomes.items():
        metadata = {k: dg.MetadataValue.text(str(v)) for k, v in outcome.numbers.items()}
        metadata["failed_rows"] = dg.MetadataValue.int(0 if outcome.passed else outcome.offending.height)
        metadata["rule"] = dg.MetadataValue.text(outcome.description)
        metadata["qa_failures_check_name"] = dg.MetadataValue.text(f"intraday_{name}")
        if not outcome.passed:
            metadata["offending_rows"] = dg.MetadataValue.md(markdown.table(outcome.offending))
        yield dg.AssetCheckResult(asset_key=ASSET, check_name=name, passed=outcome.passed,
                                  severity=CHECKS[name][0], metadata=metadata)
