"""Benchmark: YahooPriceSource against a fake Yahoo with a fixed rate limit and latency.

Prints, per universe size: wall time, symbols/s achieved, the rate-bound optimum (the fake's
limit in requests/s divided by requests per symbol: 1 once timezones are known), their
ratio (goal >= 0.9), symbols lost (goal 0: every symbol is stored or coded), 429s seen, and
the refetch share (per-symbol fallbacks / symbols). The fake runs in its own process so its
CPU does not compete with the client's.

    .venv/bin/python benchmarks/bench_yahoo_fetch.py [--rate 25] [--latency 0.05] [--sizes 500 8782]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _serve(rate: float, latency: float, today: dt.date, port_queue, stop_event) -> None:
    from stock_assets_tests.prices.fake_yahoo import FakeYahoo

    with FakeYahoo() as fake:
        fake.script.rate_limit = rate
        fake.script.latency_s = latency
        fake.script.today = today
        port_queue.put((fake.url, None))
        stop_event.wait()
        port_queue.put((None, dict(fake.statuses)))


def run(size: int, rate: float, latency: float, workers: int, threads: int) -> dict:
    from stock_assets.defs.prices.yahoo import YahooPriceSource
    from stock_assets.lib import calendar, synthetic

    session = calendar.latest_closed_session(dt.datetime.now(dt.UTC))
    queue, stop = mp.Queue(), mp.Event()
    server = mp.Process(target=_serve, args=(rate, latency, session, queue, stop), daemon=True)
    server.start()
    url, _ = queue.get(timeout=30)
    symbols = sorted({t.symbol.replace(".", "-") for t in synthetic.tickers(size, seed=11)})
    source = YahooPriceSource(base_url=url, cache_dir=tempfile.mkdtemp(prefix="yfc_bench_"),
                              requests_per_second=rate, max_workers=workers, threads_per_batch=threads,
                              retry_schedule_s=[1.0, 2.0, 4.0], timeout_s=10.0, progress_every_s=15.0)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    result = source.fetch_range(symbols, [session], log=lambda line: print("   ", line, flush=True))
    wall = time.monotonic() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    stop.set()
    _, statuses = queue.get(timeout=30)
    server.join(timeout=10)
    stored = set(result.bars["symbol"].unique())
    failed = {f.symbol for f in result.failures}
    achieved = size / wall
    return {"symbols": size, "wall_s": round(wall, 1), "symbols_per_s": round(achieved, 2),
            "optimum_per_s": rate, "ratio": round(achieved / rate, 3),
            "lost": size - len(stored | failed), "failed": len(failed),
            "http_429": statuses.get(429, 0), "requests": result.stats["requests"],
            "refetch_share": round(result.stats["fallbacks"] / size, 4),
            "client_cpu_ms_per_symbol": round(1000 * cpu_s / size, 1), "load_avg_1m": os.getloadavg()[0],
            "latency_p50_ms": round(sorted(result.stats["latency_ms"])[len(result.stats["latency_ms"]) // 2], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=25.0, help="fake Yahoo's limit, requests/s")
    parser.add_argument("--latency", type=float, default=0.05, help="fake Yahoo's answer latency, s")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 8782])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    print(f"# {platform.uname()}")
    print(f"# nproc {os.cpu_count()}; rate {args.rate}/s, latency {args.latency}s, "
          f"{args.workers} workers x {args.threads} threads")
    for size in args.sizes:
        print(run(size, args.rate, args.latency, args.workers, args.threads), flush=True)


if __name__ == "__main__":
    main()
