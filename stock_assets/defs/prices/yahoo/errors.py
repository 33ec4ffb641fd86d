"""Give every Yahoo failure its catalogue code, from what was seen on the wire first.

Why the wire first: yfinance turns a 404, a 500 and a throttled answer alike into "no
price data found, possibly delisted" or an empty frame. The session's observation of the
symbol's last chart answer (status or transport error) is the truth; the exception type
is used only when the answer itself was a 200.
"""

from __future__ import annotations

import json

from stock_assets.defs.prices.yahoo.session import Observation
from stock_assets.lib.errors import RETRYABLE, CodedError, ErrorCode

_TIMEOUT_NAMES = {"Timeout", "ReadTimeout", "ConnectTimeout", "TimeoutError", "OperationTimedOut"}
_NETWORK_NAMES = {"ConnectionError", "ConnectionRefusedError", "ConnectionResetError",
                  "RemoteDisconnected", "ChunkedEncodingError", "CurlError", "RequestException"}


def code_for(err: BaseException | None, obs: Observation | None) -> ErrorCode:
    """The code of one failed attempt for one symbol."""
    if isinstance(err, CodedError):
        return err.code
    name = type(err).__name__ if err is not None else ""
    if name == "YFRateLimitError":
        return ErrorCode.YF429
    if name == "YFTzMissingError" or (isinstance(err, KeyError) and "exchangeTimezoneName" in str(err)):
        return ErrorCode.YFTZ  # the timezone probe found nothing: unknown or delisted
    if obs is not None and obs.tz_probe and obs.status is not None and 400 <= obs.status < 500 and obs.status != 429:
        return ErrorCode.YFTZ
    if obs is not None and obs.error == ErrorCode.YFPROXY:
        return ErrorCode.YFPROXY  # yfinance may have swallowed the refusal: the wire says it
    if obs is not None:
        if obs.status == 429:
            return ErrorCode.YF429
        if obs.status is not None and obs.status >= 500:
            return ErrorCode.YFHTTP5XX
        if obs.status is not None and obs.status >= 400:
            return ErrorCode.YFHTTP4XX
        if obs.error is not None:
            if obs.error in _TIMEOUT_NAMES or "timed out" in obs.message.lower() or "timeout" in obs.message.lower():
                return ErrorCode.YFTIMEOUT
            return ErrorCode.YFTIMEOUT if obs.error in _NETWORK_NAMES else ErrorCode.YFHTTP5XX
    if name in _TIMEOUT_NAMES or isinstance(err, TimeoutError):
        return ErrorCode.YFTIMEOUT
    if name == "YFTzMissingError":
        return ErrorCode.YFTZ
    if name == "YFPricesMissingError":
        return ErrorCode.YFEMPTY
    if isinstance(err, KeyError) and "timestamp" in str(err):
        return ErrorCode.YFEMPTY  # a 200 with meta but no bars: Yahoo's way of saying "nothing"
    if isinstance(err, (json.JSONDecodeError, KeyError, TypeError, IndexError, ValueError)):
        return ErrorCode.YFPARSE
    if err is None:
        return ErrorCode.YFEMPTY
    return ErrorCode.YFPARSE


def message_for(err: BaseException | None, obs: Observation | None) -> str:
    parts = []
    if obs is not None and (obs.status is not None or obs.error):
        parts.append(obs.message if obs.status is not None else f"{obs.error}: {obs.message}")
    if err is not None:
        parts.append(f"{type(err).__name__}: {err}")
    if not parts:
        parts.append("Yahoo answered without a single bar for the sessions asked for")
    return "; ".join(parts)[:500]


def retryable(code: ErrorCode) -> bool:
    return code in RETRYABLE or code in (ErrorCode.YFBREAKER, ErrorCode.YFPROXY)
