"""Yahoo's streamer frames: what we send (subscribe) and what we read (a base64 protobuf tick).

Protocol (yfinance 1.7, `yfinance/live.py`): the client sends JSON `{"subscribe": [symbols]}`;
the server sends JSON `{"type": "pricing", "message": "<base64 PricingData>"}`, where
`PricingData` is yfinance's `pricing_pb2` message (`time` in epoch milliseconds, prices as
32-bit floats, `day_volume` the cumulative volume of the symbol's day).

Why not yfinance's `_decode_message`: it raises or returns an error dict depending on a global
debug flag, and cannot tell garbage apart. Here every frame is either a `Tick` or a named kind
of garbage (`GARBAGE_KINDS`), counted by the stream and never fatal.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
from google.protobuf.message import DecodeError
from yfinance.pricing_pb2 import PricingData

NOT_JSON, NOT_PRICING, BAD_BASE64, BAD_PROTOBUF, INCOMPLETE = (
    "not_json", "not_pricing", "bad_base64", "bad_protobuf", "incomplete")
GARBAGE_KINDS = (NOT_JSON, NOT_PRICING, BAD_BASE64, BAD_PROTOBUF, INCOMPLETE)


@dataclass(frozen=True)
class Tick:
    """One price update of one symbol, as Yahoo stamped it."""

    symbol: str
    ts: dt.datetime  # aware, UTC (Yahoo's `time`)
    price: float
    day_volume: int | None  # cumulative volume of the symbol's day; None when Yahoo sent none
    currency: str = ""
    exchange: str = ""


@dataclass(frozen=True)
class Garbage:
    """A frame that is not a usable tick, and why."""

    kind: str  # one of GARBAGE_KINDS
    detail: str


def subscribe_message(symbols: list[str]) -> str:
    """The frame that subscribes to `symbols` (yfinance's format)."""
    return json.dumps({"subscribe": list(symbols)})


def _float32(value: float) -> float:
    """A protobuf float as the decimal Yahoo sent (94745.08, not 94745.078125)."""
    return float(str(np.float32(value)))


def decode(frame: str | bytes) -> Tick | Garbage:
    """One frame from the server -> a Tick, or Garbage naming what was wrong with it."""
    try:
        payload = json.loads(frame)
    except (ValueError, TypeError) as err:
        return Garbage(NOT_JSON, f"{type(err).__name__}: {str(err)[:80]}")
    if not isinstance(payload, dict) or not isinstance(payload.get("message"), str):
        return Garbage(NOT_PRICING, f"no base64 'message' in {str(payload)[:80]}")
    try:
        raw = base64.b64decode(payload["message"], validate=True)
    except (binascii.Error, ValueError) as err:
        return Garbage(BAD_BASE64, str(err)[:80])
    return decode_pricing(raw)


def decode_pricing(raw: bytes) -> Tick | Garbage:
    """Protobuf `PricingData` bytes -> a Tick (needs a symbol, a price and a time)."""
    data = PricingData()
    try:
        data.ParseFromString(raw)
    except DecodeError as err:
        return Garbage(BAD_PROTOBUF, str(err)[:80])
    if not data.id or not data.time or not data.price or not np.isfinite(data.price) or data.price < 0:
        return Garbage(INCOMPLETE, f"id={data.id!r} time={data.time} price={data.price}")
    try:
        ts = dt.datetime.fromtimestamp(data.time / 1000, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return Garbage(INCOMPLETE, f"time {data.time} is not an instant")
    return Tick(symbol=data.id, ts=ts, price=_float32(data.price),
                day_volume=int(data.day_volume) or None,  # proto3: 0 and "not sent" are one value
                currency=data.currency, exchange=data.exchange)


def encode(symbol: str, ts: dt.datetime, price: float, day_volume: int | None = None, **fields) -> str:
    """A server frame for a tick: what Yahoo sends (tests' fake streamer speaks it)."""
    data = PricingData(id=symbol, time=int(ts.timestamp() * 1000), price=price, **fields)
    if day_volume is not None:
        data.day_volume = day_volume
    return json.dumps({"type": "pricing", "message": base64.b64encode(data.SerializeToString()).decode()})
