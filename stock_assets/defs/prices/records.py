"""What the price assets read from and record in the warehouse, beside the lake itself."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from stock_assets.defs.prices.sources import FetchFailure, FetchResult
from stock_assets.lib import market_sessions, markets, unit_error, validation
from stock_assets.lib.errors import ErrorCode
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage import lake_upgrade
from stock_assets.storage.lake import ParquetLake
from stock_assets.storage.warehouse import Warehouse

PREVIOUS_CLOSE_LOOKBACK_DAYS = 14


class UniverseMissing(RuntimeError):
    """No ticker universe yet: prices have nothing to fetch."""


def symbols_for(warehouse: Warehouse, start: dt.date) -> list[str]:
    """Yahoo symbols to fetch for sessions from `start`: active ones, and ones delisted after it.

    Dead-lettered symbols are skipped (they are retried by the maintenance job).
    """
    warehouse.ensure_schema()
    frame = warehouse.query(
        """
        SELECT t.yahoo_symbol FROM universe.tickers t
        WHERE (t.status = 'active' OR t.delisted_on > ?)
          AND t.yahoo_symbol NOT IN (SELECT symbol FROM ops.dead_letter)
        ORDER BY t.yahoo_symbol
        """,
        [start],
    )
    if frame.height == 0 and warehouse.count("universe.tickers") == 0:
        raise UniverseMissing(
            "universe.tickers is empty: materialise ticker_universe first (run universe_job)"
        )
    return frame["yahoo_symbol"].to_list()


def skipped_as_dead(warehouse: Warehouse, start: dt.date, session: dt.date) -> list[FetchFailure]:
    """A YFDEAD failure for each symbol `symbols_for` leaves out because it is dead-lettered.

    Why record what was never asked for: a skip must not be silent. Each night a dead symbol
    is skipped it gets one ops.fetch_errors row (at the run's last session), which the
    dashboard and queries see; YFDEAD never counts towards a streak (storage/dead_letter.py).
    """
    frame = warehouse.query(
        """
        SELECT d.symbol, d.since, d.failed_nights, d.last_code FROM ops.dead_letter d
        JOIN universe.tickers t ON t.yahoo_symbol = d.symbol
        WHERE t.status = 'active' OR t.delisted_on > ?
        ORDER BY d.symbol
        """,
        [start],
    )
    return [
        FetchFailure(symbol=sym, code=ErrorCode.YFDEAD, attempts=0, session=session,
                     message=f"skipped: in ops.dead_letter since {since:%Y-%m-%d} "
                             f"({nights} failed nights, last {code}); release it to fetch it again")
        for sym, since, nights, code in frame.iter_rows()
    ]


def universe_refreshed_at(warehouse: Warehouse) -> dt.datetime | None:
    """When the universe was last scraped: the newest listing snapshot (else the newest
    `last_seen` of a ticker); None when there is no universe yet. A failed scrape writes
    neither, so this is the last *good* refresh."""
    warehouse.ensure_schema()
    return warehouse.scalar(
        "SELECT coalesce((SELECT max(scraped_at) FROM universe.listing_snapshots), "
        "(SELECT max(last_seen) FROM universe.tickers))")


def symbol_calendars(warehouse: Warehouse, symbols: list[str]) -> dict[str, str]:
    """Each symbol's trading calendar: `universe.tickers.calendar`, else read from the symbol's form.

    A symbol whose market neither tells is left out (`unknown_markets` names it and why)."""
    return market_sessions.calendars_of(symbols, _known_calendars(warehouse))


def unknown_markets(warehouse: Warehouse, symbols: list[str], session: dt.date | None) -> list[FetchFailure]:
    """A YFMARKET failure for each symbol whose market cannot be told: not asked, never put on XNYS."""
    reasons = market_sessions.unknown_markets(symbols, _known_calendars(warehouse))
    return [FetchFailure(symbol=s, code=ErrorCode.YFMARKET, attempts=0, session=session,
                         message=f"{why}; not asked (give it a calendar in universe.tickers or fix the symbol)")
            for s, why in sorted(reasons.items())]


def _known_calendars(warehouse: Warehouse) -> dict[str, str | None]:
    return dict(warehouse.query("SELECT yahoo_symbol, calendar FROM universe.tickers").iter_rows())


def upgrade_old_files(lake: ParquetLake, warehouse: Warehouse) -> list:
    """Lake files from before `currency` existed get it (once; storage/lake_upgrade.py): each
    symbol's `universe.tickers.currency`, else what its form says (`.L` is GBp, a bare symbol USD; unknown: left null)."""
    if lake_upgrade.marker(lake, "daily_ohlcv").exists():
        return []
    known = {s: c for s, c in warehouse.query(
        "SELECT yahoo_symbol, currency FROM universe.tickers").iter_rows() if c}

    def fill(column: str, frame: pl.DataFrame) -> pl.Series:
        return frame["symbol"].map_elements(lambda s: _currency_or_none(s, known.get(s)), return_dtype=pl.String)

    return lake_upgrade.add_missing_columns(lake, "daily_ohlcv", DAILY_OHLCV, fill)


def _currency_or_none(symbol: str, known: str | None) -> str | None:
    """The symbol's currency, or None (left null, as before the upgrade) when nothing tells it."""
    try:
        return markets.currency_of(symbol, known)
    except markets.UnknownMarket:
        return None


def stored_rows(lake: ParquetLake, days: list[dt.date]) -> pl.DataFrame:
    """The rows the lake already holds for the run's days (kept as they are on a rerun)."""
    if not days:
        return pl.DataFrame(schema=DAILY_OHLCV)
    return lake.read_range("daily_ohlcv", min(days), max(days), DAILY_OHLCV)


def lacking(symbols: list[str], sessions: list[dt.date], stored: pl.DataFrame,
            full_refetch: bool = False, own: dict[str, list[dt.date]] | None = None) -> dict[dt.date, list[str]]:
    """What each symbol lacks, grouped: first missing session -> symbols to fetch from there.

    The incremental rule: a symbol already stored for every session of the window is not
    asked for at all; one that lacks some is fetched from its first missing session to the
    window's end (one request each, whatever the gap), so missed nights are caught up.
    `own` gives a symbol's own market's sessions when they differ from `sessions` (ADR 0019):
    a symbol lacks only those, and one whose market did not trade in the window lacks nothing.
    """
    if not sessions:
        return {}
    if own is not None:
        symbols = [s for s in symbols if own.get(s, sessions)]
    if full_refetch or not stored.height:
        if own is None or not symbols:
            return {min(sessions): list(symbols)} if symbols else {}
        groups_all: dict[dt.date, list[str]] = {}
        for sym in symbols:
            groups_all.setdefault(min(own.get(sym, sessions)), []).append(sym)
        return groups_all
    have: dict[str, set[dt.date]] = {}
    for (sym,), part in stored.select("symbol", "date").partition_by("symbol", as_dict=True).items():
        have[sym] = set(part["date"].to_list())
    ordered = sorted(sessions)
    groups: dict[dt.date, list[str]] = {}
    for sym in symbols:
        got = have.get(sym, set())
        mine = sorted(own[sym]) if own is not None and sym in own else ordered
        first = next((d for d in mine if d not in got), None)
        if first is not None:
            groups.setdefault(first, []).append(sym)
    return groups


def previous_closes(lake: ParquetLake, first: dt.date) -> dict[str, tuple[dt.date, float]]:
    """Each symbol's last stored close before `first` (looking back two weeks): the plausibility base."""
    start = first - dt.timedelta(days=PREVIOUS_CLOSE_LOOKBACK_DAYS)
    rows = lake.read_range("daily_ohlcv", start, first - dt.timedelta(days=1), DAILY_OHLCV)
    if not rows.height:
        return {}
    last = rows.sort("date").group_by("symbol").agg(pl.col("date").last(), pl.col("close").last())
    return {s: (d, c) for s, d, c in last.iter_rows()}


def previous_before(first: dt.date, stored: pl.DataFrame,
                    before_window: dict[str, tuple[dt.date, float]]) -> dict[str, tuple[dt.date, float]]:
    """Each symbol's last stored close before `first`: from the window's stored rows, else from
    before the window. Why: a symbol the nightly window lacks only tonight must be judged against
    yesterday's close, not the close before the window (days older, so wild moves look likelier
    and cost refetches)."""
    base = dict(before_window)
    if stored.height:
        inside = (stored.filter(pl.col("date") < first).sort("date")
                  .group_by("symbol").agg(pl.col("date").last(), pl.col("close").last()))
        base.update({s: (d, c) for s, d, c in inside.iter_rows()})
    return base


def stored_actions(warehouse: Warehouse, days: list[dt.date]) -> pl.DataFrame:
    """Corporate actions already stored for the window (kept for symbols not refetched)."""
    return warehouse.query(
        "SELECT symbol, ex_date, kind, value, source, ingested_at, run_id FROM prices.corporate_actions "
        "WHERE ex_date BETWEEN ? AND ?", [min(days), max(days)])


def quarantine(bars: pl.DataFrame, last_session: dt.date | None) -> tuple[pl.DataFrame, list[FetchFailure]]:
    """Split fetched bars into rows fit to store and failures for the rest.

    Exact duplicate rows collapse to one. Rows that break a row rule (nulls, OHLC order,
    non-positive prices) and keys with conflicting duplicates are never stored: each symbol
    concerned is recorded as YFPARSE so that the miss is visible, not silent.
    """
    bars = bars.unique(maintain_order=True)
    bad_parts = []
    for outcome, rule in (
        (validation.null_fields(bars), "null required field"),
        (validation.ohlc_consistency(bars), "OHLC order or non-positive price"),
        (validation.duplicates(bars), "conflicting rows for one (date, symbol)"),
    ):
        if not outcome.passed:
            bad_parts.append(outcome.offending.select("date", "symbol").with_columns(rule=pl.lit(rule)))
    if not bad_parts:
        return bars, []
    bad = pl.concat(bad_parts).unique(subset=["date", "symbol"], keep="first")
    good = bars.join(bad, on=["date", "symbol"], how="anti")
    failures = [
        FetchFailure(symbol=sym, code=ErrorCode.YFPARSE,
                     message=f"{len(rows)} row(s) refused: {rows['rule'][0]} (first {rows['date'].min()})",
                     session=last_session)
        for (sym,), rows in bad.partition_by("symbol", as_dict=True).items()
    ]
    return good, failures


def unit_quarantine(bars: pl.DataFrame, previous: dict[str, tuple[dt.date, float]], splits: pl.DataFrame,
                    last_session: dt.date | None) -> tuple[pl.DataFrame, list[FetchFailure]]:
    """Fetched rows in the wrong unit (Yahoo's 100x pence/pounds switch) are never stored in silence.

    Each symbol's fetched closes, seeded with its last stored close, go through
    lib/unit_error.py; flagged fetched rows are quarantined (not stored) and recorded as
    YFPARSE with the evidence, so the next run fetches them again (ADR 0020).
    """
    if not bars.height:
        return bars, []
    seed = pl.DataFrame({"symbol": list(previous), "date": [v[0] for v in previous.values()],
                         "close": [float(v[1]) for v in previous.values()]},
                        schema={"symbol": pl.String, "date": pl.Date, "close": pl.Float64})
    seed = seed.join(bars.select("symbol", "currency").unique(subset=["symbol"]), on="symbol", how="inner")
    series = pl.concat([seed, bars.select("symbol", "date", "close", "currency")], how="vertical_relaxed")
    flagged = unit_error.unit_switches(series, splits).join(bars.select("symbol", "date"), on=["symbol", "date"],
                                                             how="semi")
    if not flagged.height:
        return bars, []
    failures = [FetchFailure(symbol=sym, code=ErrorCode.YFPARSE, session=last_session,
                             message=f"{rows.height} row(s) quarantined: 100x unit switch ({rows['details'][0]})")
                for (sym,), rows in flagged.partition_by("symbol", as_dict=True).items()]
    return bars.join(flagged.select("symbol", "date"), on=["symbol", "date"], how="anti"), failures


def fetch_report(result: FetchResult, failures: list[FetchFailure], requested: int,
                 sessions: list[dt.date], seconds: float) -> dict:
    """The run's fetch report: counts, failures by code, latency p50/p95, refetch share, completeness."""
    latencies = sorted(result.stats.get("latency_ms", []))
    failed = len({f.symbol for f in failures})
    by_code: dict[str, int] = {}
    for f in failures:
        by_code[str(f.code)] = by_code.get(str(f.code), 0) + 1
    asked = int(result.stats.get("asked", requested))
    refetched = int(result.stats.get("refetched", 0))
    expected = int(result.stats.get("expected_rows", 0))
    return {
        "requested": requested, "asked_source": asked, "already_stored": requested - asked,
        "fetched": requested - failed, "failed": failed, "rows": result.bars.height,
        "failures_by_code": dict(sorted(by_code.items())),
        "latency_p50_ms": _pct(latencies, 0.50), "latency_p95_ms": _pct(latencies, 0.95),
        "http_requests": int(result.stats.get("requests", 0)),
        "retries": int(result.stats.get("retries", 0)),
        "throttles": int(result.stats.get("throttles", 0)),
        "breaker_opened": int(result.stats.get("breaker_opened", 0)),
        "refetched": refetched, "refetch_share": round(refetched / asked, 4) if asked else 0.0,
        "completeness": round(result.bars.height / expected, 4) if expected else 1.0,
        "sessions": len(sessions), "seconds": round(seconds, 3),
        **({"proxies": result.stats["proxies"], "direct_requests": int(result.stats.get("direct_requests", 0))}
           if result.stats.get("proxies") else {}),
    }


def record_fetch(
    warehouse: Warehouse, result: FetchResult, failures: list[FetchFailure], run_id: str,
    provider: str, sessions: list[dt.date], requested: int, seconds: float, now: dt.datetime,
    skipped: list[FetchFailure] = (),
) -> dict:
    """One row per failed symbol in ops.fetch_errors, and the run's fetch report (returned too).

    `skipped` (YFDEAD: dead-lettered, never requested) are recorded with the failures but are
    not part of the report's requested / failed counts.
    """
    first, last = (min(sessions), max(sessions)) if sessions else (now.date(), now.date())
    report_failures, failures = failures, [*failures, *skipped]
    errors = pl.DataFrame(
        {
            "run_id": run_id,
            "session": [f.session or last for f in failures],
            "symbol": [f.symbol for f in failures],
            "code": [str(f.code) for f in failures],
            "message": [f.message[:500] for f in failures],
            "attempts": [f.attempts for f in failures],
            "recorded_at": now,
        },
        schema={"run_id": pl.String, "session": pl.Date, "symbol": pl.String, "code": pl.String,
                "message": pl.String, "attempts": pl.Int32, "recorded_at": pl.Datetime("us")},
    ).unique(subset=["symbol", "session"], keep="first")
    warehouse.replace_rows("ops.fetch_errors", errors, "run_id = ? AND session BETWEEN ? AND ?",
                           [run_id, first, last])
    report = fetch_report(result, report_failures, requested, sessions, seconds)
    report["dead_letter_skipped"] = len(skipped)
    row = pl.DataFrame(
        {
            "run_id": [run_id], "first_session": [first], "last_session": [last],
            "provider": [provider], "requested": [requested],
            "fetched": [report["fetched"]], "failed": [report["failed"]], "rows": [report["rows"]],
            "refetched": [report["refetched"]],
            "latency_p50_ms": [report["latency_p50_ms"]], "latency_p95_ms": [report["latency_p95_ms"]],
            "failures_by_code": [json.dumps(report["failures_by_code"], sort_keys=True)],
            "seconds": [round(seconds, 3)], "recorded_at": [now],
            "proxies": [json.dumps(report["proxies"]) if report.get("proxies") else None],
        },
        schema_overrides={"latency_p50_ms": pl.Float64, "latency_p95_ms": pl.Float64, "proxies": pl.String},
    )
    warehouse.replace_rows("ops.fetch_reports", row, "run_id = ? AND first_session = ?", [run_id, first])
    return report


def record_actions_seen(warehouse: Warehouse, actions: pl.DataFrame, run_id: str, now: dt.datetime) -> int:
    """Every split and dividend the fetch returned, in ops.fetched_actions (latest wins).

    Why apart from `corporate_actions`: a person may materialise `daily_ohlcv` alone; its
    bars are as traded, so a split day is a big move that price_jump must still be able to
    explain. The asset table keeps its lineage (written only when it is materialised).
    """
    if not actions.height:
        return 0
    seen = actions.select(
        "symbol", "ex_date", "kind", "value", "source",
        pl.lit(run_id).alias("run_id"), pl.lit(now).cast(pl.Datetime("us")).alias("fetched_at"),
    ).unique(subset=["symbol", "ex_date", "kind"], keep="last")
    with warehouse.transaction() as conn:
        conn.register("seen", seen.to_arrow())
        conn.execute("DELETE FROM ops.fetched_actions t USING seen s "
                     "WHERE t.symbol = s.symbol AND t.ex_date = s.ex_date AND t.kind = s.kind")
        conn.execute("INSERT INTO ops.fetched_actions BY NAME SELECT * FROM seen")
        conn.unregister("seen")  # no mutate: the connection closes after the block
    return seen.height


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(float(values[min(len(values) - 1, int(round(q * (len(values) - 1))))]), 2)
