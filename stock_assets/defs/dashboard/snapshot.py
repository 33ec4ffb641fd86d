"""Everything the dashboard shows, read from the warehouse once and computed as of one session.

Why one snapshot for both assets: `dashboard_kpis` and `dashboard_html` must show the same
numbers; both build a `Snapshot` with the same rules (lib/dashboard_metrics.py) and the page
reads the KPI values back from `dashboard.kpis`, so the page can never disagree with the table.

Bars are read from the lake through the readers' path (`stock_assets.read.daily`), not through
the warehouse's view: the long scans then hold no warehouse connection at all, and only the
short reads of this run's tables (universe, ops, qa) open it, read-only (ADR 0013).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from stock_assets.lib import calendar, dashboard_metrics as metrics, market_sessions
from stock_assets.lib.qa import freshness
from stock_assets.lib.schema import REQUIRED_NOT_NULL
from stock_assets.read import daily
from stock_assets.storage.warehouse import Warehouse

LOOKBACK_DAYS = 400  # how far back the newest bar of a symbol is looked for
HISTORY_DAYS = 365  # the drill-down's price chart


@dataclass(frozen=True)
class SnapshotRules:
    """The knobs of the rules; the assets' config fills them."""

    window_days: int = metrics.DEFAULT_WINDOW_DAYS
    max_behind: int = metrics.DEFAULT_MAX_BEHIND
    jump_threshold: float = metrics.DEFAULT_JUMP_THRESHOLD


@dataclass
class Snapshot:
    """The frames behind every KPI and panel, as of `as_of`."""

    as_of: dt.date
    window_start: dt.date
    rules: SnapshotRules
    active: list[str]
    changes: pl.DataFrame
    behind: pl.DataFrame
    lagging: pl.DataFrame
    missing: pl.DataFrame
    nulls: pl.DataFrame
    zero_volume: pl.DataFrame
    jumps: pl.DataFrame
    errors_last_night: pl.DataFrame
    errors_by_code: pl.DataFrame
    errors_daily: pl.DataFrame
    latency_daily: pl.DataFrame
    qa_open: pl.DataFrame
    qa_summary: pl.DataFrame
    extra: dict = field(default_factory=dict)
    markets: pl.DataFrame = field(default_factory=pl.DataFrame)  # the per-market breakdown (ADR 0019)

    @property
    def values(self) -> dict[str, float]:
        """The seven KPI values (see lib/kpis.py for what each means)."""
        cutoff = self.window_start
        changes = self.changes.filter(pl.col("on") >= cutoff)
        return {
            "total_active_symbols": len(self.active),
            "new_30d": changes.filter(pl.col("change") == "new").height,
            "delisted_30d": changes.filter(pl.col("change") == "delisted").height,
            "lagging_symbols": self.lagging.height,
            "missing_dates": self.missing.height,
            "fetch_errors_last_night": self.errors_last_night.height,
            "unexplained_jumps": self.jumps.filter(~pl.col("explained")).height,
        }


def latest_session(wh: Warehouse, now: dt.datetime) -> dt.date:
    """The newest session fetched: in the lake, or in a fetch report (a night where every symbol
    failed stores no bar but must still be the night the dashboard reports on); the latest
    closed session when neither has any."""
    newest = wh.scalar(
        "SELECT max(d) FROM (SELECT max(date) AS d FROM prices.daily_ohlcv "
        "UNION ALL SELECT max(last_session) FROM ops.fetch_reports WHERE rows = 0 AND failed > 0)"
    )
    return newest or calendar.latest_closed_session(now.replace(tzinfo=dt.UTC))


def build(wh: Warehouse, as_of: dt.date, rules: SnapshotRules = SnapshotRules()) -> Snapshot:
    """Read the warehouse and compute every frame of the snapshot."""
    start = as_of - dt.timedelta(days=rules.window_days)
    tickers = wh.query("SELECT yahoo_symbol, name, status, first_seen, delisted_on, calendar FROM universe.tickers")
    active = tickers.filter(pl.col("status") == "active")["yahoo_symbol"].to_list()
    last_bars = (
        daily.read(wh.lake_root, None, as_of - dt.timedelta(days=LOOKBACK_DAYS), as_of, columns=["symbol", "date"])
        .group_by("symbol").agg(last_date=pl.col("date").max())
    )
    bars = daily.read(  # a bar before the window: the first move's base
        wh.lake_root, None, start - dt.timedelta(days=14), as_of,
        columns=["date", "symbol", "open", "high", "low", "close", "adj_close", "volume", "provider", "source_ts"],
    )
    window = bars.filter(pl.col("date") >= start)
    splits = wh.query(
        "SELECT symbol, ex_date, value FROM prices.corporate_actions WHERE kind = 'split' AND ex_date BETWEEN ? AND ?",
        [start, as_of],
    )
    symbols = sorted(set(active) | set(last_bars["symbol"].to_list()))
    # each symbol on its own market; one whose market cannot be told is judged on none (not on XNYS)
    calendars = market_sessions.calendars_of(symbols, dict(tickers.select("yahoo_symbol", "calendar").iter_rows()))
    in_use = sorted(set(calendars.values()) | {calendar.EXCHANGE})
    behind, late = metrics.lagging(last_bars, [s for s in active if s in calendars], as_of, rules.max_behind, calendars)
    missing = metrics.missing_dates(window.filter(pl.col("symbol").is_in(list(calendars))),
                                    {n: calendar.sessions_between(start, as_of, n) for n in in_use}, calendars)
    fresh = metrics.market_freshness(last_bars, calendars, freshness.as_of(dt.datetime.now(dt.UTC), as_of))
    changes_since = metrics.month_start(as_of, 5)
    return Snapshot(
        as_of=as_of, window_start=start, rules=rules, active=active,
        changes=metrics.universe_changes(tickers, min(changes_since, start), as_of),
        behind=behind, lagging=late,
        missing=missing,
        markets=metrics.per_market(calendars, active, window, late, missing, as_of).join(fresh, on="market", how="left"),
        nulls=metrics.null_fields(window, list(REQUIRED_NOT_NULL)),
        zero_volume=metrics.zero_volume(window),
        jumps=metrics.price_jumps(bars, splits, start, rules.jump_threshold),
        **_fetch_frames(wh, as_of, start),
        **_qa_frames(wh, as_of, start),
    )


def _fetch_frames(wh: Warehouse, as_of: dt.date, start: dt.date) -> dict:
    last_night = wh.query(
        "SELECT symbol, code, message, attempts FROM ops.fetch_errors WHERE session = ? ORDER BY code, symbol",
        [as_of],
    )
    by_code = (last_night.group_by("code").agg(errors=pl.len().cast(pl.Int64)).sort("errors", "code",
                                                                                   descending=[True, False]))
    daily = wh.query(
        "SELECT session AS date, count(*) AS errors FROM ops.fetch_errors WHERE session BETWEEN ? AND ? "
        "GROUP BY session ORDER BY session",
        [start, as_of],
    )
    latency = wh.query(
        "SELECT last_session AS date, avg(latency_p50_ms) AS p50_ms, max(latency_p95_ms) AS p95_ms, "
        "sum(failed) AS failed, sum(requested) AS requested FROM ops.fetch_reports "
        "WHERE last_session BETWEEN ? AND ? GROUP BY last_session ORDER BY last_session",
        [start, as_of],
    )
    return {"errors_last_night": last_night, "errors_by_code": by_code, "errors_daily": daily,
            "latency_daily": latency}


def _qa_frames(wh: Warehouse, as_of: dt.date, start: dt.date) -> dict:
    """Open QA failures in the window and the latest summary (empty until qa_summary runs)."""
    failures = wh.query(
        "SELECT check_name, severity, date, symbol, value, threshold, details FROM qa.failures "
        "WHERE NOT resolved AND (date IS NULL OR date BETWEEN ? AND ?) ORDER BY date DESC, check_name, symbol",
        [start, as_of],
    )
    summary = wh.query(
        "SELECT check_name, severity, passed, failed_rows FROM qa.summary WHERE date = ? ORDER BY check_name",
        [as_of],
    )
    return {"qa_open": failures, "qa_summary": summary}


def price_history(wh: Warehouse, symbols: list[str], as_of: dt.date) -> pl.DataFrame:
    """The last year of closes for `symbols`: (symbol, date, close)."""
    if not symbols:
        return pl.DataFrame(schema={"symbol": pl.String, "date": pl.Date, "close": pl.Float64})
    return daily.read(wh.lake_root, symbols, as_of - dt.timedelta(days=HISTORY_DAYS), as_of,
                      columns=["symbol", "date", "close"])


INTRADAY_INTERVAL = "5m"  # the drill-down's intraday line: 78 points for a NYSE day, 276 for CME


def intraday_last_session(wh: Warehouse, as_of: dt.date) -> pl.DataFrame:
    """Each symbol's last intraday session up to `as_of` at 5m: (symbol, session, ts, close)."""
    return wh.query(
        "WITH last AS (SELECT symbol, max(session) AS session FROM prices.intraday_bars "
        "              WHERE interval = ? AND session <= ? GROUP BY symbol) "
        "SELECT b.symbol, b.session, b.ts, b.close FROM prices.intraday_bars b JOIN last USING (symbol, session) "
        "WHERE b.interval = ? ORDER BY b.symbol, b.ts",
        [INTRADAY_INTERVAL, as_of, INTRADAY_INTERVAL],
    )

