"""`YahooQuoteSource`: quotes with fundamentals, hundreds of symbols per request.

Through Yahoo's v7 batch endpoint (`/v7/finance/quote?symbols=A,B,...`) with yfinance's own
session handling (`YfData`: cookie, crumb, consent, the cookie-strategy switch), exactly as
yfinance asks the same endpoint for `Ticker.info`. The HTTP session underneath is the
project's paced one (`yahoo/session.py`, ADR 0017): the limiter learns Yahoo's limit from its
answers, a 429 goes straight back into the paced queue, `Retry-After` is honoured, the
breaker stops a run that Yahoo blocks. 8,782 symbols are 18 requests of 500.

Failures: a batch whose request failed is retried at once (paced) while the breaker stays
closed, after the breaker's cool-down when it opened; a batch Yahoo refuses with a 4xx is
split in two until the symbol it refuses is alone (so one bad symbol never costs 499 others);
what is left is coded per symbol.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from collections.abc import Sequence

from pydantic import Field

from stock_assets.defs.prices.quotes import Answer, ProgressLog, QuoteSource
from stock_assets.defs.prices.yahoo import errors as yahoo_errors
from stock_assets.defs.prices.yahoo.session import QUOTE_KEY, YahooSession
from stock_assets.defs.prices.yahoo.source import YahooPriceSource
from stock_assets.lib.breaker import CircuitBreaker
from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.quotes.parse import QuoteAnswerError, QuoteFailure, items_of
from stock_assets.lib.ratelimit import AdaptiveTokenBucket

QUOTE_URL = "https://query1.finance.yahoo.com/v7/finance/quote"


class YahooQuoteSource(QuoteSource):
    """Yahoo's v7 batch quote endpoint on yfinance's session, paced at a limit it learns."""

    batch_size: int = Field(default=500, ge=1, le=1500, description=(
        "Symbols per request. 500 keep the URL near 4 kB (servers refuse 8 kB+) and bring 8,782 "
        "symbols in 18 requests: 9 s at 2 requests/s (docs/performance.md)."))
    max_workers: int = Field(default=4, ge=1, description="Requests in flight at once.")
    requests_per_second: float = Field(default=100.0, gt=0, description=(
        "Rate a run starts at; the limiter learns Yahoo's limit from its answers (ADR 0017)."))
    max_requests_per_second: float = Field(default=200.0, gt=0, description="Ceiling the limiter never probes above.")
    min_requests_per_second: float = Field(default=0.5, gt=0, description="Floor the limiter backs off to.")
    burst_s: float = Field(default=0.05, ge=0, description="Seconds' worth of requests let out at once.")
    throttle_requeues: int = Field(default=20, ge=0, description=(
        "Times one throttled request goes back into the paced queue before it counts as failed."))
    throttle_storm_s: float = Field(default=10.0, gt=0, description=(
        "Seconds with nothing but 429s before they count towards the circuit breaker."))
    max_passes: int = Field(default=4, ge=1, description="Passes over batches whose request failed (retryable).")
    breaker_threshold: int = Field(default=10, ge=1, description="Consecutive failed requests that open the breaker.")
    breaker_cooldown_s: float = Field(default=30.0, ge=0, description="How long an open breaker stops all calls.")
    timeout_s: float = Field(default=15.0, gt=0, description="HTTP timeout per request.")
    base_url: str = Field(default="", description="Tests/benchmarks only: a fake Yahoo on 127.0.0.1.")
    # The proxy pool, read exactly as the price source reads it (lib/proxies.py, ADR 0026).
    proxies: str = Field(default="", description=(
        "Proxy URLs, comma-separated, or file:///path (one per line); set from STOCK_ASSETS_PROXIES as an "
        "EnvVar. Empty: direct."))
    proxy_fallback_direct: bool = Field(default=False, description=(
        "When every proxy is evicted: wait (at most proxy_wait_s) or record YFPROXY (False), or go direct (True)."))
    proxy_wait_s: float = Field(default=60.0, ge=0, description="Longest wait for an evicted proxy's re-admission.")
    proxy_cooldown_s: float = Field(default=60.0, gt=0, description="An evicted proxy's first cool-down.")
    proxy_min_success_share: float = Field(default=0.5, ge=0, le=1, description=(
        "A proxy whose share of good answers over its last 20 falls below this is evicted."))

    # The one way a Yahoo session is built (pacing, breaker, timeouts, proxies): the price
    # source's, which reads only fields this resource has too.
    proxy_pool = YahooPriceSource.proxy_pool
    new_session = YahooPriceSource.new_session

    @property
    def provider(self) -> str:
        return "yahoo"

    def answer(self, symbols: Sequence[str], at, log: ProgressLog) -> Answer:
        from stock_assets.defs.prices.yahoo.fetch import import_yfinance

        import_yfinance()
        from yfinance.data import YfData

        limiter = AdaptiveTokenBucket(rate=self.requests_per_second, min_rate=self.min_requests_per_second,
                                      max_rate=self.max_requests_per_second, burst_s=self.burst_s)
        breaker = CircuitBreaker(threshold=self.breaker_threshold, cooldown=self.breaker_cooldown_s)
        stop = threading.Event()
        session = self.new_session(limiter, breaker, stop,
                                   on_event=lambda kind, detail: log(f"yahoo quotes: {kind} {detail}"))
        data = YfData(session=session)
        started = time.monotonic()
        # (batch, attempts so far): a split batch starts afresh, a retried one counts its passes
        todo = [(list(symbols[i:i + self.batch_size]), 0) for i in range(0, len(symbols), self.batch_size)]
        items: list[dict] = []
        failed: dict[str, QuoteFailure] = {}
        batches, rounds = 0, 0
        log(f"yahoo quotes: {len(symbols)} symbols in {len(todo)} requests of up to {self.batch_size}, "
            f"{self.max_workers} in flight, starting at {self.requests_per_second}/s")
        try:
            while todo:
                rounds += 1
                batches += len(todo)
                retry: list[tuple[list[str], int]] = []
                with cf.ThreadPoolExecutor(max_workers=min(self.max_workers, len(todo))) as pool:
                    outcomes = pool.map(lambda job: self._one(data, session, job[0]), todo)
                    for (batch, attempts), outcome in zip(todo, outcomes, strict=True):
                        if isinstance(outcome, list):
                            items.extend(outcome)
                            for s in batch:
                                failed.pop(s, None)
                            continue
                        code, message = outcome
                        for s in batch:
                            failed[s] = QuoteFailure(s, code, f"quote request ({len(batch)} symbols): {message}")
                        if code == ErrorCode.YFHTTP4XX and len(batch) > 1:
                            half = len(batch) // 2  # find the symbol Yahoo refuses: the others go through
                            retry += [(batch[:half], 0), (batch[half:], 0)]
                        elif yahoo_errors.retryable(code) and attempts + 1 < self.max_passes:
                            retry.append((batch, attempts + 1))
                if not retry:
                    break
                wait = breaker.retry_in() if breaker.state != "closed" else 0.0
                log(f"yahoo quotes: round {rounds} left {sum(len(b) for b, _ in retry)} symbols in {len(retry)} "
                    f"requests; next round {'in %.0fs (breaker open)' % wait if wait else 'at once'}")
                if wait and stop.wait(wait):
                    break
                todo = retry
        finally:
            from stock_assets.defs.prices.yahoo.source import _release_yfinance_session

            _release_yfinance_session(session)
        state = limiter.state()
        stats = {"requests": session.requests_sent, "batches": batches, "batch_size": self.batch_size,
                 "requeued": session.requeued, "throttles": state.throttles,
                 "limit_estimate": round(state.limit_estimate or 0.0, 2), "breaker_opened": breaker.opened,
                 "latency_ms": list(session.latencies_ms), "seconds": round(time.monotonic() - started, 3)}
        return Answer(items=items, failed=list(failed.values()), stats=stats)

    def _one(self, data, session: YahooSession, batch: list[str]) -> list[dict] | tuple[ErrorCode, str]:
        """One request: the items answered, or (code, message) of why the request failed."""
        joined = ",".join(batch)
        key = QUOTE_KEY + joined.upper()
        session.forget([key])
        err: BaseException | None = None
        try:
            response = data.get(QUOTE_URL, params={"symbols": joined, "formatted": "false", "lang": "en-US",
                                                   "region": "US"}, timeout=self.timeout_s)
        except CodedError as caught:
            return caught.code, caught.message
        except Exception as caught:  # noqa: BLE001 - coded from what the session saw
            err = caught
        obs = session.observation(key)
        if err is not None or response.status_code != 200:
            return yahoo_errors.code_for(err, obs), yahoo_errors.message_for(err, obs)
        try:
            return items_of(response.json())
        except (QuoteAnswerError, ValueError) as bad:
            return ErrorCode.YFPARSE, f"{type(bad).__name__}: {str(bad)[:300]}"
