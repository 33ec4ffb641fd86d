"""What the price assets read from and record in the warehouse, beside the lake itself."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from stock_assets.defs.prices.sources import FetchFailure, FetchResult
from stock_assets.lib import validation
from stock_assets.lib.errors import ErrorCode
from stock_assets.storage.warehouse import Warehouse


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


def record_fetch(
    warehouse: Warehouse, result: FetchResult, failures: list[FetchFailure], run_id: str,
    provider: str, sessions: list[dt.date], requested: int, seconds: float, now: dt.datetime,
) -> None:
    """One row per failed symbol in ops.fetch_errors, and the run's fetch report."""
    first, last = (min(sessions), max(sessions)) if sessions else (now.date(), now.date())
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
    )
    warehouse.replace_rows("ops.fetch_errors", errors, "run_id = ? AND session BETWEEN ? AND ?",
                           [run_id, first, last])
    latencies = sorted(result.stats.get("latency_ms", []))
    by_code: dict[str, int] = {}
    for f in failures:
        by_code[str(f.code)] = by_code.get(str(f.code), 0) + 1
    report = pl.DataFrame(
        {
            "run_id": [run_id], "first_session": [first], "last_session": [last],
            "provider": [provider], "requested": [requested],
            "fetched": [requested - len({f.symbol for f in failures})],
            "failed": [len({f.symbol for f in failures})], "rows": [result.bars.height],
            "refetched": [int(result.stats.get("refetched", 0))],
            "latency_p50_ms": [_pct(latencies, 0.50)], "latency_p95_ms": [_pct(latencies, 0.95)],
            "failures_by_code": [json.dumps(by_code, sort_keys=True)],
            "seconds": [round(seconds, 3)], "recorded_at": [now],
        }
    )
    warehouse.replace_rows("ops.fetch_reports", report, "run_id = ? AND first_session = ?", [run_id, first])


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return float(values[min(len(values) - 1, int(round(q * (len(values) - 1))))])
