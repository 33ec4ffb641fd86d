"""A fake Yahoo Finance on 127.0.0.1: chart answers, cookie/crumb, and injected faults.

Why a real HTTP server: yfinance's own request code (curl_cffi session, cookie and crumb
handshake, retry-on-4xx) and its parsing run unchanged; only the host differs
(`YahooPriceSource(base_url=...)` rewrites `*.yahoo.com` to this server). Faults are
scripted per symbol (a queue consumed one request at a time) or globally (a rate limit
that answers 429, a fixed latency), so tests can make storms, 500s, timeouts, empty
frames, malformed JSON and slow answers happen on purpose.

The rate limit comes in two styles, because nobody knows which one Yahoo runs: a token
bucket (`limit_style="bucket"`: one second's worth of capacity, starting full; a 429 costs
no token) or a fixed window (`"window"`: at most `rate_limit` requests per calendar second).
Either may say when to come back (`retry_after=True`: a `Retry-After` header in whole
seconds, as HTTP has it). `error_share` answers that share of admitted requests with a 500,
drawn from a seeded generator.

The v7 batch quote endpoint (`/v7/finance/quote?symbols=A,B,...`) answers under the same rate
limit: one request is one token, however many symbols it asks. Each symbol gets a plausible
quote with fundamentals (`quote_item`) unless scripted: `quote_unknown` symbols are left out
of the answer (Yahoo's way with unknown ones), `quote_items` replaces or patches an item,
`quote_max_symbols` refuses longer batches with a 400 (a URL limit the client is not told),
and `quote_refuse` makes any batch holding that symbol a 400.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from stock_assets.lib import calendar

NY = ZoneInfo("America/New_York")
ERROR_404 = {"chart": {"result": None, "error": {"code": "Not Found",
                                                  "description": "No data found, symbol may be delisted"}}}


def _meta(symbol: str, tz: str = "America/New_York") -> dict:
    return {"currency": "USD", "symbol": symbol, "exchangeName": "NMS", "fullExchangeName": "NasdaqGS",
            "instrumentType": "EQUITY", "firstTradeDate": 345479400, "regularMarketTime": 1739998801,
            "hasPrePostMarketData": True, "gmtoffset": -18000, "timezone": "EST",
            "exchangeTimezoneName": tz, "regularMarketPrice": 100.0, "priceHint": 2,
            "currentTradingPeriod": {
                "pre": {"timezone": "EST", "start": 1740042000, "end": 1740061800, "gmtoffset": -18000},
                "regular": {"timezone": "EST", "start": 1740061800, "end": 1740085200, "gmtoffset": -18000},
                "post": {"timezone": "EST", "start": 1740085200, "end": 1740099600, "gmtoffset": -18000}},
            "dataGranularity": "1d", "range": "",
            "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]}


def _open_ts(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(9, 30), NY).timestamp())


def chart_body(symbol: str, bars: list[dict], splits: dict[dt.date, tuple[int, int]] | None = None,
               dividends: dict[dt.date, float] | None = None) -> dict:
    """A v8 chart body as Yahoo writes it: bars are dicts date/open/high/low/close/adjclose/volume."""
    events = {}
    if splits:
        events["splits"] = {str(_open_ts(d)): {"date": _open_ts(d), "numerator": n, "denominator": m,
                                               "splitRatio": f"{n}:{m}"} for d, (n, m) in splits.items()}
    if dividends:
        events["dividends"] = {str(_open_ts(d)): {"amount": a, "date": _open_ts(d)} for d, a in dividends.items()}
    result = {"meta": _meta(symbol), "timestamp": [_open_ts(b["date"]) for b in bars],
              "indicators": {"quote": [{k: [b[k] for b in bars] for k in ("open", "high", "low", "close", "volume")}],
                             "adjclose": [{"adjclose": [b.get("adjclose", b["close"]) for b in bars]}]}}
    if events:
        result["events"] = events
    return {"chart": {"result": [result], "error": None}}


def synthetic_bars(symbol: str, start: dt.date, end: dt.date) -> list[dict]:
    """Deterministic, plausible bars for every XNYS session in [start, end)."""
    base = 20 + (sum(map(ord, symbol)) % 180)
    out = []
    for day in calendar.sessions_between(start, end - dt.timedelta(days=1)):
        k = day.toordinal()
        close = round(base * (1 + 0.02 * math.sin(k / 7.0)), 4)
        out.append({"date": day, "open": round(close * 0.995, 4), "high": round(close * 1.01, 4),
                    "low": round(close * 0.99, 4), "close": close, "adjclose": close,
                    "volume": 1_000_000 + (k % 97) * 1000})
    return out


def quote_item(symbol: str, at: float) -> dict:
    """A v7 quote of `symbol` as Yahoo writes it (a US equity, its trade at epoch `at`), fundamentals included."""
    base = 20 + (sum(map(ord, symbol)) % 180)
    return {"language": "en-US", "region": "US", "quoteType": "EQUITY", "currency": "USD", "symbol": symbol,
            "marketState": "REGULAR", "regularMarketPrice": float(base), "regularMarketChange": 0.5,
            "regularMarketChangePercent": round(50 / base, 6), "regularMarketTime": int(at),
            "regularMarketDayHigh": base * 1.01, "regularMarketDayLow": base * 0.99,
            "regularMarketVolume": 1_000_000 + base, "bid": base - 0.01, "ask": base + 0.01,
            "marketCap": base * 10_000_000, "trailingPE": 18.5, "forwardPE": 16.25,
            "epsTrailingTwelveMonths": round(base / 18.5, 4), "dividendYield": 1.25, "bookValue": base / 3,
            "fiftyTwoWeekHigh": base * 1.4, "fiftyTwoWeekLow": base * 0.7,
            "averageDailyVolume3Month": 1_200_000, "exchangeDataDelayedBy": 0,
            "exchangeTimezoneName": "America/New_York"}


class Script:
    """What the fake answers: per-symbol fault queues, canned bodies, global limits."""

    def __init__(self):
        self.faults: dict[str, list[str]] = defaultdict(list)  # consumed one per chart request
        self.always: dict[str, str] = {}  # symbol -> fault on every request ('404', 'empty', ...)
        self.bodies: dict[str, tuple[int, object]] = {}  # symbol -> (status, body dict or raw str)
        # (symbol, interval) -> (status, body): an answer for one interval only (before `bodies`)
        self.interval_bodies: dict[tuple[str, str], tuple[int, object]] = {}
        self.splits: dict[str, dict[dt.date, tuple[int, int]]] = {}
        self.latency_s = 0.0
        self.slow_s = 1.5
        self.rate_limit: float | None = None  # chart requests per second before 429s
        self.limit_style = "bucket"  # or "window" (see the module doc)
        self.retry_after = False  # send Retry-After with a 429 of the rate limit
        self.error_share = 0.0  # share of admitted chart requests answered 500
        self.seed = 0
        self.retry_after_s = "2"  # the header a scripted '429-retry-after' fault sends
        self.storm_until = 0.0  # monotonic time until which every chart request gets 429
        self.today: dt.date | None = None  # the fake market's "today": no bars after it
        self.quote_unknown: set[str] = set()  # left out of quote answers
        self.quote_items: dict[str, dict] = {}  # symbol -> fields replacing the generated quote's
        self.quote_max_symbols: int | None = None  # longer batches get a 400
        self.quote_refuse: set[str] = set()  # a batch holding one of these gets a 400
        self.quote_time: float | None = None  # epoch of every quote's regularMarketTime; None: 30 s ago


class FakeYahoo:
    """Start with `with FakeYahoo() as fake:`; point the source at `fake.url`."""

    def __init__(self):
        self.script = Script()
        self.lock = threading.Lock()
        self.requests: dict[str, int] = defaultdict(int)
        self.queries: dict[str, list[dict]] = defaultdict(list)  # symbol -> the chart queries it got
        self.statuses: dict[int, int] = defaultdict(int)
        self.in_flight = 0  # chart requests being answered right now
        self.max_in_flight = 0  # the most at once: how parallel the client really is
        self.other_requests = 0
        self.unproxied = 0  # requests that came straight from the client, not through a proxy (no Via)
        self.arrivals: list[tuple[float, int]] = []  # (monotonic time, status) of every chart request
        self.quote_batches: list[int] = []  # symbols per quote request that was admitted (not 429)
        self.quote_arrivals: list[tuple[float, int]] = []  # (monotonic time, status) of every quote request
        self._tokens: float | None = None
        self._stamp = time.monotonic()
        self._window, self._window_count = -1, 0
        self._rng: random.Random | None = None
        handler = self._handler()
        ThreadingHTTPServer.request_queue_size = 256  # many parallel connects: no SYN drops
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakeYahoo":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def chart_requests(self) -> int:
        return sum(self.requests.values())

    def _rate_wait(self, now: float) -> float | None:
        """None when the rate limit admits a request arriving `now`, else seconds until it would."""
        limit = self.script.rate_limit
        if limit is None:
            return None
        with self.lock:
            if self.script.limit_style == "window":
                window = int(now)
                if window != self._window:
                    self._window, self._window_count = window, 0
                if self._window_count + 1 <= limit:
                    self._window_count += 1
                    return None
                return window + 1 - now
            if self._tokens is None:  # a server's bucket starts full: one second's worth
                self._tokens, self._stamp = limit, now
            self._tokens = min(limit, self._tokens + (now - self._stamp) * limit)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return (1.0 - self._tokens) / limit

    def _server_error(self) -> bool:
        s = self.script
        if not s.error_share:
            return False
        with self.lock:
            if self._rng is None:
                self._rng = random.Random(s.seed)
            return self._rng.random() < s.error_share

    def answer_chart(self, symbol: str, query: dict) -> tuple[int, object, float, dict]:
        """(status, body, delay seconds, extra headers) for one chart request."""
        s = self.script
        now = time.monotonic()
        with self.lock:
            self.requests[symbol] += 1
            self.queries[symbol].append(query)
            fault = s.faults[symbol].pop(0) if s.faults.get(symbol) else s.always.get(symbol)
        delay = s.latency_s
        if now < s.storm_until:
            return 429, "Too Many Requests", delay, {}
        wait = self._rate_wait(now)
        if wait is not None:
            headers = {"Retry-After": str(max(1, math.ceil(wait)))} if s.retry_after else {}
            return 429, "Too Many Requests", delay, headers
        if self._server_error():
            return 500, "<html>Internal Server Error</html>", delay, {}
        if fault == "429-retry-after":
            return 429, "Too Many Requests", delay, {"Retry-After": s.retry_after_s}
        return (*self._scripted(symbol, query, fault, delay), {})

    def answer_quote(self, symbols: list[str]) -> tuple[int, object, float, dict]:
        """(status, body, delay, headers) for one batch quote request."""
        s = self.script
        delay = s.latency_s
        if time.monotonic() < s.storm_until:
            return 429, "Too Many Requests", delay, {}
        wait = self._rate_wait(time.monotonic())
        if wait is not None:
            headers = {"Retry-After": str(max(1, math.ceil(wait)))} if s.retry_after else {}
            return 429, "Too Many Requests", delay, headers
        if self._server_error():
            return 500, "<html>Internal Server Error</html>", delay, {}
        too_long = s.quote_max_symbols is not None and len(symbols) > s.quote_max_symbols
        if too_long or s.quote_refuse & set(symbols):
            return 400, {"finance": {"result": None, "error": {"code": "Bad Request",
                                                               "description": "Invalid request"}}}, delay, {}
        with self.lock:
            self.quote_batches.append(len(symbols))
        at = s.quote_time if s.quote_time is not None else time.time() - 30
        result = [{**quote_item(sym, at), **s.quote_items.get(sym, {})} for sym in symbols
                  if sym not in s.quote_unknown]
        return 200, {"quoteResponse": {"result": result, "error": None}}, delay, {}

    def _scripted(self, symbol: str, query: dict, fault: str | None, delay: float) -> tuple[int, object, float]:
        s = self.script
        if fault == "429":
            return 429, "Too Many Requests", delay
        if fault == "500":
            return 500, "<html>Internal Server Error</html>", delay
        if fault == "404":
            return 404, ERROR_404, delay
        if fault == "timeout":
            return 200, None, 30.0
        if fault == "slow":
            delay += s.slow_s
        if fault == "malformed":
            return 200, '{"chart": {"result": [{"meta": ', delay
        if fault == "empty":  # a 200 with meta and no bars (yfinance: 'possibly delisted; no price data')
            body = chart_body(symbol, [])
            body["chart"]["result"][0]["indicators"]["quote"] = [{}]
            return 200, body, delay
        if fault == "notimestamp":  # like Yahoo's weekend answer: meta, no timestamp array
            body = chart_body(symbol, [])
            del body["chart"]["result"][0]["timestamp"]
            return 200, body, delay
        if (symbol, query.get("interval")) in s.interval_bodies:
            status, body = s.interval_bodies[(symbol, query.get("interval"))]
            return status, body, delay
        if symbol in s.bodies:
            status, body = s.bodies[symbol]
            return status, body, delay
        if query.get("range") == "1d":  # yfinance's timezone probe
            return 200, chart_body(symbol, []), delay
        start = dt.datetime.fromtimestamp(int(query["period1"]), dt.UTC).date()
        end = dt.datetime.fromtimestamp(int(query["period2"]), dt.UTC).date()
        if s.today is not None:
            end = min(end, s.today + dt.timedelta(days=1))
        return 200, chart_body(symbol, synthetic_bars(symbol, start, end), s.splits.get(symbol)), delay

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body, content_type="application/json", headers=None):
                data = body if isinstance(body, str) else json.dumps(body)
                raw = data.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                with fake.lock:
                    fake.statuses[status] += 1

            def do_GET(self):  # noqa: N802
                if self.headers.get("Via") is None:
                    with fake.lock:
                        fake.unproxied += 1
                parts = urlsplit(self.path)
                path = parts.path
                if "/v8/finance/chart/" in path:
                    symbol = path.rsplit("/", 1)[1].upper()
                    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    arrived = time.monotonic()
                    status, body, delay, headers = fake.answer_chart(symbol, query)
                    with fake.lock:
                        fake.arrivals.append((arrived, status))
                        fake.in_flight += 1
                        fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                    try:
                        if delay:
                            time.sleep(delay)
                    finally:
                        with fake.lock:
                            fake.in_flight -= 1
                    if body is None:
                        return self._send(504, "gateway timeout")
                    return self._send(status, body, headers=headers)
                if "/v7/finance/quote" in path:
                    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    symbols = [s for s in query.get("symbols", "").upper().split(",") if s]
                    arrived = time.monotonic()
                    status, body, delay, headers = fake.answer_quote(symbols)
                    with fake.lock:
                        fake.quote_arrivals.append((arrived, status))
                    if delay:
                        time.sleep(delay)
                    return self._send(status, body, headers=headers)
                with fake.lock:
                    fake.other_requests += 1
                if path.endswith("/v1/test/getcrumb"):
                    return self._send(200, "fakecrumb", "text/plain")
                if "fc.yahoo.com" in path:
                    self.send_response(404)
                    self.send_header("Set-Cookie", "A3=d=fake; Max-Age=3600; Path=/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if "consent" in path:
                    return self._send(200, "<html><body>no consent form</body></html>", "text/html")
                return self._send(404, {"finance": {"result": None, "error": {"code": "Not Found"}}})

            def do_POST(self):  # noqa: N802
                return self._send(404, "")

        return Handler
