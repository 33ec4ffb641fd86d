"""The one HTTP session every Yahoo request goes through: pacing, breaker, observation.

Why at the HTTP layer: yfinance swallows most failures (an empty frame and a logged line),
so the only place that sees every 429, 5xx and timeout for certain is the session it is
given. Subclassing curl_cffi's Session (what yfinance 1.7 uses, with browser TLS
impersonation and connection reuse) lets us, for every chart request:

- take a token from the adaptive rate limiter first (chart requests and v7 batch quote
  requests alike: `quote_key`), and tell it how Yahoo answered, so it
  learns the limit (and honours `Retry-After`);
- send a throttled request (429) straight back into the paced queue: it takes the next
  token and goes again, up to `max_requeues` times, so yfinance never sees an isolated 429
  (it would switch cookie strategies, and the symbol would wait out the retry schedule);
- ask the circuit breaker first, and tell it how the call went; 429s count towards it only
  once nothing but 429s came back for `storm_after_s` (then it is an outage, not pacing);
- remember per symbol what the last answer was (status, error, latency), so a failure
  yfinance hides can still be given its true code;
- stop at once when the run is being cancelled;
- send every request, cookie and crumb included, through the proxy pool when one is
  configured (`lib/proxies.py`): round-robin, a request whose proxy failed (refused, timed
  out, a gateway error) goes again through the next one, and a dead pool is waited for
  (bounded) or refused, never bypassed unless `proxy_fallback_direct` says so.

`base_url` (tests and benchmarks only) sends every `*.yahoo.com` request to a fake Yahoo
on 127.0.0.1 instead; the request and parsing code of yfinance runs unchanged.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from curl_cffi import requests as curl_requests

from stock_assets.lib.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.proxies import ERROR, OK, THROTTLED, TIMEOUT, PoolExhausted, ProxyPool, redact
from stock_assets.lib.ratelimit import AdaptiveTokenBucket, Cancelled

DIRECT = "direct"  # _choose_proxy's answer when a dead pool may be bypassed
# What a proxy answers itself when it cannot do its job: not Yahoo's verdict on the request.
PROXY_FAILURE_STATUSES = (407, 502, 504)
_TIMEOUT_NAMES = ("Timeout", "ReadTimeout", "ConnectTimeout", "TimeoutError", "OperationTimedOut")

CHART_PATH = "/v8/finance/chart/"


@dataclass
class Observation:
    """The last chart answer for one symbol: HTTP status, or the transport error."""

    status: int | None = None
    error: str | None = None  # exception class name of a transport failure
    message: str = ""
    tz_probe: bool = False  # yfinance's "what timezone is this symbol in" request (range=1d)
    currency: str | None = None  # the answer's meta.currency: the quote currency (GBp for London)


class FetchCancelled(CodedError):
    """The run is stopping: no request was sent."""

    def __init__(self):
        super().__init__(ErrorCode.YFCANCELLED, "the run was stopped before this symbol was fetched")


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date (RFC 9110); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


QUOTE_PATH = "/v7/finance/quote"
QUOTE_KEY = "QUOTE:"  # observations of batch quote requests are kept under QUOTE:<symbols>


def quote_key(url: str, params) -> str | None:
    """`QUOTE:A,B,C` for a v7 batch quote request (paced and judged like a chart request), else None."""
    parts = urlsplit(url)
    if QUOTE_PATH not in parts.path:
        return None
    symbols = params.get("symbols") if isinstance(params, dict) else None
    if symbols is None:
        symbols = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p).get("symbols", "")
    return QUOTE_KEY + unquote(str(symbols)).upper()


def chart_symbol(url: str) -> str | None:
    path = urlsplit(url).path
    if CHART_PATH not in path:
        return None
    return unquote(path.split(CHART_PATH, 1)[1]).upper() or None


class YahooSession(curl_requests.Session):
    """curl_cffi Session (pooled, impersonating Chrome) with pacing and observation."""

    def __init__(self, limiter: AdaptiveTokenBucket, breaker: CircuitBreaker,
                 stop: threading.Event, base_url: str = "", timeout: float = 10.0,
                 on_event=None, max_requeues: int = 20, storm_after_s: float = 10.0,
                 proxy_pool: ProxyPool | None = None, proxy_fallback_direct: bool = False,
                 proxy_wait_s: float = 60.0, **kwargs):
        kwargs.setdefault("impersonate", "chrome")
        super().__init__(timeout=timeout, **kwargs)
        self.limiter = limiter
        self.breaker = breaker
        self.stop = stop
        self.base_url_override = base_url.rstrip("/")
        self.default_timeout = timeout
        self.on_event = on_event or (lambda kind, detail: None)
        self._obs_lock = threading.Lock()
        self.observations: dict[str, Observation] = {}
        self.latencies_ms: list[float] = []
        self.requests_sent = 0
        self.requeued = 0  # throttled requests sent again from the paced queue
        self.max_requeues = max_requeues
        self.storm_after_s = storm_after_s
        self.proxy_pool = proxy_pool
        self.proxy_fallback_direct = proxy_fallback_direct
        self.proxy_wait_s = proxy_wait_s
        self.direct_requests = 0  # sent without a proxy because the pool was dead (fallback allowed)

    # -- observations -----------------------------------------------------------------
    def forget(self, symbols) -> None:
        with self._obs_lock:
            for s in symbols:
                self.observations.pop(s.upper(), None)

    def observation(self, symbol: str) -> Observation | None:
        with self._obs_lock:
            return self.observations.get(symbol.upper())

    def _observe(self, symbol: str, obs: Observation, latency_ms: float | None) -> None:
        with self._obs_lock:
            self.observations[symbol] = obs
            if latency_ms is not None:
                self.latencies_ms.append(latency_ms)

    # -- the request path ---------------------------------------------------------------
    def _rewrite(self, url: str) -> str:
        if not self.base_url_override:
            return url
        parts = urlsplit(url)
        if not (parts.hostname or "").endswith("yahoo.com"):
            return url
        rest = parts.path + (f"?{parts.query}" if parts.query else "")
        return f"{self.base_url_override}/{parts.hostname}{rest}"

    def _wait_for_breaker(self, symbol: str) -> None:
        """Closed: go. Half-open with the probe out: wait for its verdict. Open: refuse."""
        while True:
            if self.stop.is_set():
                raise FetchCancelled()
            if self.breaker.allow():
                return
            state = self.breaker.state
            if state == OPEN:
                raise CodedError(ErrorCode.YFBREAKER,
                                 f"circuit breaker open for {self.breaker.retry_in():.0f}s more: not asked")
            if state == HALF_OPEN:
                self.stop.wait(0.02)

    def request(self, method, url, *args, **kwargs):  # noqa: D401 - curl_cffi signature
        symbol = chart_symbol(url) or quote_key(url, kwargs.get("params"))
        url = self._rewrite(url)
        if kwargs.get("timeout") in (None, 30):  # yfinance's cookie calls use 30 s: ours rules
            kwargs["timeout"] = self.default_timeout
        if symbol is None:  # cookie / crumb / consent: not paced, not judged
            if self.stop.is_set():
                raise FetchCancelled()
            return self._send(method, url, *args, **kwargs)
        params = kwargs.get("params") or {}
        probe = (isinstance(params, dict) and params.get("range") == "1d" and "period1" not in params
                 and not symbol.startswith(QUOTE_KEY))
        requeues = 0
        while True:
            response, sent_at = self._paced_send(symbol, probe, method, url, *args, **kwargs)
            if response.status_code != 429:
                self.limiter.admitted(sent_at)
                break
            self._throttled(symbol, sent_at, response)
            if requeues >= self.max_requeues or self.stop.is_set():
                break
            requeues += 1  # back into the paced queue at once: the next token sends it again
            with self._obs_lock:
                self.requeued += 1
        self._judge(symbol, response, probe)
        return response

    def _paced_send(self, symbol: str, probe: bool, method, url, *args, **kwargs):
        """Breaker, token, send: (response, monotonic time sent). Transport errors are recorded and raised."""
        self._wait_for_breaker(symbol)
        try:
            self.limiter.acquire(stop=self.stop)
        except Cancelled:
            raise FetchCancelled() from None
        started = time.monotonic()
        with self._obs_lock:
            self.requests_sent += 1
        try:
            response = self._send(method, url, *args, **kwargs)
        except CodedError as err:  # the proxy pool refused (YFPROXY) or the run stopped: nothing reached Yahoo
            self._observe(symbol, Observation(error=str(err.code), message=str(err)[:300], tz_probe=probe), None)
            raise
        except Exception as err:  # transport failure: timeout, refused, reset
            self.breaker.failure() and self.on_event("breaker_open", symbol)
            self._observe(symbol, Observation(error=type(err).__name__, message=str(err)[:300], tz_probe=probe), None)
            raise
        with self._obs_lock:
            self.latencies_ms.append((time.monotonic() - started) * 1000)
        return response, started

    # -- proxies ------------------------------------------------------------------------
    def _send(self, method, url, *args, **kwargs):
        """One HTTP request, through the proxy pool when there is one.

        A proxy that fails the request itself (transport error, 407/502/504) is reported to the
        pool and the request goes through the next proxy it has not tried (each at most once):
        it never reached Yahoo, so it costs no token. Yahoo's own answers (429 included) are
        returned; when every proxy failed it, the last failure is.
        """
        if self.proxy_pool is None:
            return super().request(method, url, *args, **kwargs)
        kwargs.pop("proxies", None)
        tried: set[str] = set()
        failure: tuple[Exception | None, object] = (None, None)  # the last proxy failure: error or response
        while not self.stop.is_set():
            proxy = self._choose_proxy(tried)
            if proxy is None:
                break  # every proxy in rotation failed this request
            if proxy == DIRECT:  # dead pool, and the setting allows a direct connection
                with self._obs_lock:
                    self.direct_requests += 1
                return super().request(method, url, *args, **kwargs)
            tried.add(proxy)
            try:
                response = super().request(method, url, *args, proxy=proxy, **kwargs)
            except Exception as err:
                timed_out = type(err).__name__ in _TIMEOUT_NAMES or isinstance(err, TimeoutError)
                self._report_proxy(proxy, TIMEOUT if timed_out else ERROR, type(err).__name__)
                failure = (err, None)
                continue
            if response.status_code in PROXY_FAILURE_STATUSES:
                self._report_proxy(proxy, ERROR, f"HTTP {response.status_code} from the proxy")
                failure = (None, response)
                continue
            self._report_proxy(proxy, THROTTLED if response.status_code == 429 else OK, "")
            return response
        err, response = failure
        if err is not None:
            raise err
        if response is not None:
            return response
        raise FetchCancelled()

    def _choose_proxy(self, tried: set[str]) -> str | None:
        """The next proxy not yet tried (None: all in rotation were); when all are evicted:
        DIRECT (if allowed), a bounded wait, or YFPROXY."""
        while True:
            try:
                return self.proxy_pool.choose(exclude=tried)
            except PoolExhausted as err:
                if tried:
                    return None  # this request's own failures emptied the pool: report them
                if self.proxy_fallback_direct:
                    self.on_event("proxy_direct", f"{err}; sending directly (proxy_fallback_direct is on)")
                    return DIRECT
                if err.retry_in_s > self.proxy_wait_s:
                    raise CodedError(ErrorCode.YFPROXY, f"{err}: not sent (a direct connection is not allowed; "
                                                        "set STOCK_ASSETS_PROXIES_FALLBACK=direct to allow it)") from None
                self.on_event("proxy_wait", f"{err}: waiting {err.retry_in_s:.0f}s for it")
                if self.stop.wait(max(err.retry_in_s, 0.01)):
                    raise FetchCancelled() from None

    def _report_proxy(self, proxy: str, outcome: str, why: str) -> None:
        if self.proxy_pool.report(proxy, outcome):
            self.on_event("proxy_evicted", f"{redact(proxy)} taken out of the rotation ({outcome}"
                                           + (f": {why}" if why else "") + ")")

    def _throttled(self, symbol: str, sent_at: float, response) -> None:
        """A 429: the limiter learns (and pauses for Retry-After); a storm counts towards the breaker."""
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if self.limiter.throttled(sent_at, wait):
            self.on_event("throttled", self.limiter.state().describe()
                          + (f"; Yahoo asked to retry after {wait:.0f}s" if wait else ""))
        # a probe of a half-open breaker that is throttled has failed; otherwise a 429 is
        # pacing, unless nothing but 429s came back for storm_after_s (Yahoo blocks us)
        if self.breaker.state != CLOSED or self.limiter.seconds_since_admitted() >= self.storm_after_s:
            self.breaker.failure() and self.on_event("breaker_open", symbol)

    def _judge(self, symbol: str, response, probe: bool) -> None:
        """Remember the final answer for the symbol and tell the breaker how it went."""
        status = response.status_code
        message = f"HTTP {status}"
        if status >= 400:  # Yahoo's own words, e.g. "No data found, symbol may be delisted"
            message += f": {_snippet(response)}"
        currency = _meta_currency(response) if status == 200 and not symbol.startswith(QUOTE_KEY) else None
        self._observe(symbol, Observation(status=status, message=message, tz_probe=probe, currency=currency), None)
        if status == 429:
            pass  # counted per answer in _throttled
        elif status >= 500:
            self.breaker.failure() and self.on_event("breaker_open", symbol)
        else:
            was = self.breaker.state
            self.breaker.success()
            if was != "closed":
                self.on_event("breaker_closed", symbol)


def _meta_currency(response) -> str | None:
    """`chart.result[0].meta.currency` of a chart answer, or None (ADR 0020: as Yahoo quotes it)."""
    try:
        meta = response.json()["chart"]["result"][0]["meta"]
        return meta.get("currency") or None
    except Exception:  # noqa: BLE001 - no meta: the symbol's form decides the currency
        return None


def _snippet(response) -> str:
    try:
        return " ".join(response.text.split())[:200]
    except Exception:  # noqa: BLE001 - undecodable body: the status says enough
        return ""
