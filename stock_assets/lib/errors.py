"""The one catalogue of error codes (mirrored, with what to do, in docs/error_codes.md).

Why codes: a failure that is only a message cannot be counted, alerted on or looked up.
Every recorded fetch or scrape failure carries one of these.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    YF429 = "YF429"  # rate limited by Yahoo
    YFEMPTY = "YFEMPTY"  # an empty frame for a symbol that should have data
    YFTZ = "YFTZ"  # no timezone / "possibly delisted"
    YFTIMEOUT = "YFTIMEOUT"  # the request timed out
    YFHTTP5XX = "YFHTTP5XX"  # Yahoo answered 5xx
    YFHTTP4XX = "YFHTTP4XX"  # Yahoo answered 4xx other than 429 (404: unknown or delisted)
    YFPARSE = "YFPARSE"  # the answer could not be parsed or failed validation
    YFBREAKER = "YFBREAKER"  # the circuit breaker was open: not asked at all
    YFCANCELLED = "YFCANCELLED"  # the run was stopped before the symbol was fetched
    YFDEAD = "YFDEAD"  # skipped: the symbol is in the dead-letter queue
    YFTOOOLD = "YFTOOOLD"  # an intraday day older than Yahoo keeps at that interval: lost, never asked
    YFNOQUOTE = "YFNOQUOTE"  # quote_snapshots: asked for, absent from Yahoo's answer (unknown, expired, renamed)
    YFNOPRICE = "YFNOPRICE"  # quote_snapshots: quoted without a price, its time or its currency (e.g. a fund)
    YFSTALE = "YFSTALE"  # quote_snapshots: the quote is older than 5 min (beyond the exchange's delay) in regular hours
    YFPROXY = "YFPROXY"  # every configured proxy is evicted and a direct connection is not allowed: not asked
    YFMARKET = "YFMARKET"  # the symbol's market (calendar, currency) cannot be told: never asked (ADR 0018)
    SCRAPE_HTTP = "SCRAPE_HTTP"  # a listing source could not be downloaded
    SCRAPE_LAYOUT = "SCRAPE_LAYOUT"  # a listing source did not have the expected layout
    SCRAPE_SHRUNK = "SCRAPE_SHRUNK"  # a listing shrank by more than the allowed share
    SCRAPE_GREW = "SCRAPE_GREW"  # a listing grew by more than the allowed share
    SYMBOL_INVALID = "SYMBOL_INVALID"  # a listed symbol outside the strict character set


RETRYABLE = frozenset({ErrorCode.YF429, ErrorCode.YFTIMEOUT, ErrorCode.YFHTTP5XX, ErrorCode.YFEMPTY})


class CodedError(RuntimeError):
    """An error that carries its catalogue code, so the caller can record and count it."""

    def __init__(self, code: ErrorCode, message: str):
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
