"""One run's fetch, source-agnostic: ask only for what is lacking, double-check wild moves.

Why here and not in a source: both rules are about what is already stored (the lake), which
a source knows nothing about. Incremental: symbols complete for the window are not asked for;
the others are fetched from their first missing session (`records.lacking`). Plausibility: a
close more than 25 % away from the previous close (stored, or the previous row of the same
answer) that no split explains is fetched once more before it is accepted, and counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from stock_assets.defs.prices import records
from stock_assets.defs.prices.sources import FetchFailure, FetchResult, PriceSource
from stock_assets.lib import adjust


def _merge(results: list[FetchResult]) -> FetchResult:
    if not results:
        return FetchResult.empty()
    stats: dict = {"latency_ms": []}
    for r in results:
        for key, value in r.stats.items():
            if key == "latency_ms":
                stats["latency_ms"].extend(value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                stats[key] = stats.get(key, 0) + value
            else:
                stats[key] = value
    return FetchResult(
        bars=pl.concat([r.bars for r in results], how="vertical_relaxed"),
        actions=pl.concat([r.actions for r in results], how="vertical_relaxed").unique(maintain_order=True),
        failures=[f for r in results for f in r.failures],
        stats=stats,
    )


def _replace_symbols(result: FetchResult, again: FetchResult, symbols: list[str]) -> FetchResult:
    """The second answer for `symbols` replaces the first (bars, actions and failures)."""
    keep = ~pl.col("symbol").is_in(symbols)
    stats = dict(result.stats)
    stats["latency_ms"] = list(result.stats.get("latency_ms", [])) + list(again.stats.get("latency_ms", []))
    for key in ("requests", "retries", "throttles"):
        stats[key] = stats.get(key, 0) + again.stats.get(key, 0)
    return FetchResult(
        bars=pl.concat([result.bars.filter(keep), again.bars], how="vertical_relaxed"),
        actions=pl.concat([result.actions.filter(keep), again.actions], how="vertical_relaxed").unique(),
        failures=[f for f in result.failures if f.symbol not in symbols] + again.failures,
        stats=stats,
    )


def fetch_lacking(
    source: PriceSource, symbols: list[str], sessions: list[dt.date], stored: pl.DataFrame,
    previous: dict[str, tuple[dt.date, float]], log: Callable[[str], None], full_refetch: bool = False,
    own: dict[str, list[dt.date]] | None = None,
) -> tuple[FetchResult, list[str]]:
    """Fetch what each symbol lacks; refetch implausible ones once. Returns (result, refetched).

    On an interrupt the exception is re-raised with `.unfetched_symbols` naming every symbol
    whose rows had not arrived yet. `own` maps a symbol to its own market's sessions (ADR 0019):
    bars on other days (a closed market's, or a market still trading) are not kept.
    """
    groups = records.lacking(symbols, sessions, stored, full_refetch, own)
    asked = sum(len(g) for g in groups.values())
    log(f"incremental: {len(symbols) - asked} of {len(symbols)} symbols already stored for the window; "
        f"asking for {asked} in {len(groups)} group(s) by first missing session")
    results: list[FetchResult] = []
    refetched: list[str] = []
    done: set[str] = set()
    try:
        for first, group in sorted(groups.items()):
            window = [d for d in sessions if d >= first]
            result = source.fetch_range(group, window, log=log)
            splits = result.actions.filter(pl.col("kind") == "split")
            jumps = adjust.implausible_jumps(result.bars, records.previous_before(first, stored, previous), splits)
            suspicious = sorted(set(jumps["symbol"].to_list()))
            if suspicious:
                log(f"plausibility: {len(suspicious)} symbol(s) moved more than "
                    f"{adjust.JUMP_LIMIT:.0%} with no split to explain it; fetching them once more: "
                    f"{', '.join(suspicious[:20])}")
                again = source.fetch_range(suspicious, window, log=log)
                result = _replace_symbols(result, again, suspicious)
                refetched.extend(suspicious)
            done.update(group)
            results.append(result)
    except BaseException as err:
        pending = [s for s in symbols if s not in done]
        inner = getattr(err, "unfetched_symbols", None)
        err.unfetched_symbols = sorted(set(inner or []) | set(pending))  # type: ignore[attr-defined]
        raise
    merged = _merge(results)
    merged.stats["asked"] = asked
    merged.stats["refetched"] = len(refetched)
    merged.stats["expected_rows"] = sum(len([d for d in (own or {}).get(s, sessions) if d >= f])
                                        for f, g in groups.items() for s in g)
    if own is not None and merged.bars.height:
        allowed = pl.DataFrame([(s, d) for s, days in own.items() for d in days],
                               schema={"symbol": pl.String, "date": pl.Date}, orient="row")
        kept = merged.bars.join(allowed, on=["symbol", "date"], how="semi")
        merged = FetchResult(bars=kept, actions=merged.actions, failures=merged.failures, stats=merged.stats)
    # rows already stored are kept as they are: a rerun stores nothing twice
    if stored.height and merged.bars.height and not full_refetch:
        fresh = merged.bars.join(stored.select("date", "symbol"), on=["date", "symbol"], how="anti")
        merged = FetchResult(bars=fresh, actions=merged.actions, failures=merged.failures, stats=merged.stats)
    return merged, refetched


def cancelled_failures(symbols: list[str], last: dt.date) -> list[FetchFailure]:
    from stock_assets.lib.errors import ErrorCode

    return [FetchFailure(symbol=s, code=ErrorCode.YFCANCELLED, session=last,
                         message="the run was stopped before this symbol's rows were stored") for s in symbols]
