"""Yahoo's v7 batch quote answer (`/v7/finance/quote?symbols=A,B,...`) as stored rows and coded failures.

Why a parser of our own and not yfinance's `Ticker.info`: `info` asks two endpoints per symbol
(quoteSummary and v7 for one symbol); the v7 endpoint answers hundreds of symbols in one
request, which is the only way 8,782 quotes fit in a 10-minute slot at Yahoo's rate limit.

What Yahoo does with the symbols it cannot quote (recorded answers,
`../shared/data/yahoo_json/quote_v7_wrapped_node-yahoo-finance2/`): an unknown, expired or
no-longer-listed symbol is simply absent from `result` (HTTP 200); a renamed one comes back as
a stub with `quoteType: "NONE"`; a fund may come back without `regularMarketPrice` and
`currency`. Each becomes a failure with its code, never a row with holes where the price is.

Units as Yahoo writes them: `regularMarketChangePercent` and `dividendYield` are percent
(0.41 = 0.41 %), `trailingAnnualDividendYield` is a fraction (0.0041); times are epoch seconds;
London prices are pence (`currency: "GBp"`). `exchangeDataDelayedBy` is the exchange's
announced delay in minutes (London: 15-20), which the freshness rule allows for.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stock_assets.lib.errors import ErrorCode
from stock_assets.lib.quotes import freshness

REQUIRED = {"price": "regularMarketPrice", "quote_time": "regularMarketTime", "currency": "currency"}


class QuoteAnswerError(ValueError):
    """The answer is not a v7 quote response at all (HTML, an error object, a cut body)."""


@dataclass(frozen=True)
class QuoteFailure:
    """One symbol asked for that has no row, and why (recorded in ops.fetch_errors)."""

    symbol: str
    code: ErrorCode
    message: str


def items_of(body: object) -> list[dict]:
    """The `quoteResponse.result` list of a decoded v7 answer; QuoteAnswerError if it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("quoteResponse"), dict):
        raise QuoteAnswerError(f"not a v7 quote answer: {str(body)[:160]!r}")
    response = body["quoteResponse"]
    if response.get("error"):
        raise QuoteAnswerError(f"Yahoo answered an error: {str(response['error'])[:200]}")
    result = response.get("result")
    if result is None:
        return []
    if not isinstance(result, list) or not all(isinstance(i, dict) for i in result):
        raise QuoteAnswerError(f"quoteResponse.result is not a list of quotes: {str(result)[:160]!r}")
    return result


def _num(value) -> float | None:
    """A finite number, from a bare value or Yahoo's formatted `{"raw": x, "fmt": "..."}`."""
    if isinstance(value, dict):
        value = value.get("raw")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _int(value) -> int | None:
    number = _num(value)
    return None if number is None else int(round(number))


def _utc(epoch_seconds) -> dt.datetime | None:
    seconds = _num(epoch_seconds)
    if seconds is None or seconds <= 0:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


def _dividend_yield(item: dict) -> float | None:
    """Percent: `dividendYield` as Yahoo gives it, else the trailing yield (a fraction) x 100."""
    direct = _num(item.get("dividendYield"))
    if direct is not None:
        return direct
    trailing = _num(item.get("trailingAnnualDividendYield"))
    return None if trailing is None else round(trailing * 100, 6)


def to_row(item: dict, snapshot_at: dt.datetime) -> dict | QuoteFailure:
    """One v7 item as a stored row (`snapshot_at`: naive UTC), or the failure saying what is missing."""
    symbol = str(item.get("symbol") or "").upper()
    if item.get("quoteType") == "NONE":
        return QuoteFailure(symbol, ErrorCode.YFNOQUOTE,
                            "Yahoo knows the symbol only as a stub (quoteType NONE): renamed or delisted")
    price = _num(item.get("regularMarketPrice"))
    quote_time = _utc(item.get("regularMarketTime"))
    currency = item.get("currency") if isinstance(item.get("currency"), str) and item.get("currency") else None
    missing = [field for field, value in (("regularMarketPrice", price), ("regularMarketTime", quote_time),
                                          ("currency", currency)) if value is None]
    if price is not None and price <= 0:
        missing.insert(0, f"regularMarketPrice > 0 (got {price})")
    if missing:
        kind = str(item.get("quoteType") or "?").lower()
        return QuoteFailure(symbol, ErrorCode.YFNOPRICE,
                            f"the quote ({kind}) lacks {', '.join(missing)}: no row without a price, its time "
                            "and its currency")
    return {
        "snapshot_at": snapshot_at,
        "symbol": symbol,
        "price": price,
        "change": _num(item.get("regularMarketChange")),
        "change_pct": _num(item.get("regularMarketChangePercent")),
        "volume": _int(item.get("regularMarketVolume")),
        "day_high": _num(item.get("regularMarketDayHigh")),
        "day_low": _num(item.get("regularMarketDayLow")),
        "bid": _num(item.get("bid")),
        "ask": _num(item.get("ask")),
        "market_cap": _int(item.get("marketCap")),
        "pe_trailing": _num(item.get("trailingPE")),
        "pe_forward": _num(item.get("forwardPE")),
        "eps_trailing": _num(item.get("epsTrailingTwelveMonths")),
        "dividend_yield": _dividend_yield(item),
        "book_value": _num(item.get("bookValue")),
        "week52_high": _num(item.get("fiftyTwoWeekHigh")),
        "week52_low": _num(item.get("fiftyTwoWeekLow")),
        "avg_volume_3m": _int(item.get("averageDailyVolume3Month")),
        "market_state": item.get("marketState") if isinstance(item.get("marketState"), str) else None,
        "quote_time": quote_time,
        "currency": currency,
    }


def rows_and_failures(
    asked: Sequence[str], items: Sequence[dict], snapshot_at: dt.datetime, in_regular_hours: Mapping[str, bool],
    max_age: dt.timedelta = freshness.MAX_AGE,
) -> tuple[list[dict], list[QuoteFailure]]:
    """Every symbol `asked` ends as exactly one row or one failure.

    `snapshot_at` is naive UTC; `in_regular_hours[symbol]` says whether the symbol's own market
    is in its regular session at `snapshot_at` (only then can a quote be stale). Items for
    symbols not asked are ignored; a symbol answered twice keeps its newest quote.
    """
    wanted = {s.upper(): s for s in asked}
    best: dict[str, dict | QuoteFailure] = {}
    for item in items:
        symbol = str(item.get("symbol") or "").upper()
        if symbol not in wanted:
            continue
        outcome = to_row(item, snapshot_at)
        if isinstance(outcome, dict):
            delay = _num(item.get("exchangeDataDelayedBy")) or 0.0
            reason = freshness.stale_reason(outcome["quote_time"], snapshot_at, delay, max_age) \
                if in_regular_hours.get(wanted[symbol], False) else None
            if reason:
                outcome = QuoteFailure(symbol, ErrorCode.YFSTALE, reason)
        held = best.get(symbol)
        if held is None or (isinstance(outcome, dict) and (isinstance(held, QuoteFailure)
                                                           or outcome["quote_time"] > held["quote_time"])):
            best[symbol] = outcome
    rows, failures = [], []
    for upper, original in wanted.items():
        outcome = best.get(upper)
        if outcome is None:
            failures.append(QuoteFailure(original, ErrorCode.YFNOQUOTE,
                                         "asked for but absent from Yahoo's answer: unknown, expired or no longer "
                                         "listed"))
        elif isinstance(outcome, QuoteFailure):
            failures.append(QuoteFailure(original, outcome.code, outcome.message))
        else:
            rows.append({**outcome, "symbol": original})
    return rows, failures
