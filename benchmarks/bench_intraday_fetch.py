"""Benchmark: 1m intraday bars of N symbols x 5 sessions from a fake Yahoo with a rate limit
the fetch is NOT told (the source keeps its default ceiling and must find the limit from 429s).

Prints wall time, the rate-bound optimum (requests needed / the fake's limit; 5 sessions fit
one 7-day window, so one request per symbol), their ratio (goal >= 0.9), symbol-sessions lost
(goal 0: each is stored or coded) and 429s seen. The fake runs in its own process.

    .venv/bin/python benchmarks/bench_intraday_fetch.py [--symbols 500] [--rate 10] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TODAY = dt.date(2024, 10, 11)  # the fake market's today: the 5 sessions 2024-10-07..11 are in the window


def _sessions() -> list[dt.date]:
    from stock_assets.lib import calendar

    return calendar.sessions_between(dt.date(2024, 10, 7), dt.date(2024, 10, 11))


def _serve(symbols, rate, latency, port_queue, stop_event) -> None:
    import json

    from stock_assets_tests.prices.fake_intraday import intraday_body
    from stock_assets_tests.prices.fake_yahoo import FakeYahoo

    with FakeYahoo() as fake:
        template = json.dumps(intraday_body("AAA", _sessions()))  # one body shape; symbol rewritten
        for s in symbols:
            fake.script.bodies[s] = (200, template.replace('"symbol": "AAA"', f'"symbol": "{s}"'))
        fake.script.rate_limit = rate
        fake.script.latency_s = latency
        port_queue.put((fake.url, None))
        stop_event.wait()
        port_queue.put((None, dict(fake.statuses)))


def run(n: int, rate: float, latency: float) -> dict:
    from benchmarks._harness import machine
    from stock_assets.defs.prices.yahoo import YahooPriceSource
    from stock_assets.lib import synthetic

    symbols = sorted({t.symbol for t in synthetic.tickers(n, seed=11)})
    queue, stop = mp.Queue(), mp.Event()
    server = mp.Process(target=_serve, args=(symbols, rate, latency, queue, stop), daemon=True)
    server.start()
    url, _ = queue.get(timeout=120)
    source = YahooPriceSource(base_url=url, cache_dir=tempfile.mkdtemp(prefix="yfc_bench_"),
                              retry_schedule_s=[1.0, 2.0, 4.0, 8.0], timeout_s=10.0)
    started = time.monotonic()
    result = source.fetch_intraday(symbols, _sessions(), {}, TODAY, log=lambda line: print("   ", line, flush=True))
    wall = time.monotonic() - started
    stop.set()
    _, statuses = queue.get(timeout=30)
    server.join(timeout=10)
    pairs = n * len(_sessions())
    stored = result.bars.select("symbol", "session").n_unique() if result.bars.height else 0
    optimum = n / rate
    return {"symbols": n, "sessions": len(_sessions()), "wall_s": round(wall, 1), "optimum_s": round(optimum, 1),
            "ratio": round(optimum / wall, 3), "bars": result.bars.height,
            "lost_symbol_sessions": pairs - stored - len(result.failures), "failed": len(result.failures),
            "http_429": statuses.get(429, 0), "requests": result.stats.get("requests"),
            "throttles": result.stats.get("throttles"), "machine": machine()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="the fake's limit, requests/s (the fetch is not told)")
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    print(run(args.symbols, args.rate, args.latency), flush=True)


if __name__ == "__main__":
    main()
