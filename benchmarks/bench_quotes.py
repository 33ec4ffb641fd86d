"""Benchmark: quotes with fundamentals of N symbols (default 8,782) from a fake Yahoo whose rate
limit the fetch is NOT told (the source keeps its default start rate, 100/s, and learns the limit
from the 429s).

Prints, per condition: wall time, the rate-bound optimum (requests needed / the limit: the
batches of `batch_size` symbols), their ratio, symbols quoted, lost (neither quoted nor coded:
goal 0), 429s, requests, the batch size. Goal (issue 16): 8,782 quotes at 2 requests/s in
<= 15 s. `--sweep` adds limits and limiter styles not chosen to fit (and a latency). The fake
runs in its own process, as Yahoo would. The clock starts after `import yfinance` (once per
run process) and includes yfinance's cookie and crumb handshake.

    .venv/bin/python benchmarks/bench_quotes.py [--symbols 8782] [--rate 2] [--batch-size 500] [--sweep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SWEEP = [  # (limit req/s, style, latency s, Retry-After): not tuned to; the fetch is told none of them
    (1.0, "bucket", 0.0, False), (2.0, "window", 0.05, False), (2.0, "bucket", 0.2, True),
    (3.5, "bucket", 0.05, False), (7.0, "window", 0.1, True),
]


def _serve(rate, style, latency, retry_after, port_queue, stop_event) -> None:
    from stock_assets_tests.prices.fake_yahoo import FakeYahoo

    with FakeYahoo() as fake:
        fake.script.rate_limit = rate
        fake.script.limit_style = style
        fake.script.latency_s = latency
        fake.script.retry_after = retry_after
        port_queue.put((fake.url, None))
        stop_event.wait()
        port_queue.put((None, dict(fake.statuses)))


def run(n: int, rate: float, batch_size: int, style: str = "bucket", latency: float = 0.05,
        retry_after: bool = False) -> dict:
    from stock_assets.defs.prices.yahoo.quotes import YahooQuoteSource

    symbols = [f"S{i:05d}" for i in range(n)]
    queue, stop = mp.Queue(), mp.Event()
    server = mp.Process(target=_serve, args=(rate, style, latency, retry_after, queue, stop), daemon=True)
    server.start()
    url, _ = queue.get(timeout=120)
    source = YahooQuoteSource(base_url=url, batch_size=batch_size)
    from stock_assets.defs.prices.yahoo.fetch import import_yfinance

    import_yfinance()  # paid once per run process (~1 s, more on a loaded machine): not the fetch's time
    at = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    result = source.snapshot(symbols, at, {s: True for s in symbols}, log=lambda line: print("   ", line, flush=True))
    wall = time.monotonic() - started
    stop.set()
    _, statuses = queue.get(timeout=30)
    server.join(timeout=10)
    needed = -(-n // batch_size)
    optimum = needed / rate
    quoted = result.rows.height
    return {"symbols": n, "limit": rate, "style": style, "latency_s": latency, "retry_after": retry_after,
            "batch_size": batch_size, "wall_s": round(wall, 2), "optimum_s": round(optimum, 2),
            "ratio": round(optimum / wall, 3), "quoted": quoted, "failed": len(result.failures),
            "lost": n - quoted - len(result.failures), "http_429": statuses.get(429, 0),
            "requests": result.stats.get("requests"), "limit_learnt": result.stats.get("limit_estimate")}


def main() -> None:
    from benchmarks._harness import machine

    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=8782)
    parser.add_argument("--rate", type=float, default=2.0, help="the fake's limit, requests/s (the fetch is not told)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--sweep", action="store_true", help="also run the SWEEP conditions")
    args = parser.parse_args()
    print("machine:", machine(), flush=True)
    rows = [run(args.symbols, args.rate, args.batch_size)]
    if args.sweep:
        rows += [run(args.symbols, rate, args.batch_size, style, latency, ra) for rate, style, latency, ra in SWEEP]
    print("| limit/s | style | latency | Retry-After | batch | wall s | optimum s | ratio | quoted | lost | 429s | requests |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['limit']:g} | {r['style']} | {r['latency_s'] * 1000:.0f} ms | {'yes' if r['retry_after'] else 'no'} | "
              f"{r['batch_size']} | {r['wall_s']} | {r['optimum_s']} | {r['ratio']} | {r['quoted']} | {r['lost']} | "
              f"{r['http_429']} | {r['requests']} |")
    print("machine:", machine(), flush=True)


if __name__ == "__main__":
    main()
