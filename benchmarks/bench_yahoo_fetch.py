"""Benchmark: YahooPriceSource against a fake Yahoo whose limit it is not told, over a sweep.

Charter: never tune to one setting of your own fake. Each condition draws, from a printed
seed, the fake's limit (2-60 requests/s, log-uniform), its latency (0-300 ms), its way of
throttling (token bucket or fixed one-second window), whether it sends `Retry-After`, a
share of 500 answers (0-5 %) and the data shape (1, 20 or 250 sessions per symbol); the
corners (2 and 60 requests/s at 0 and 300 ms) are always in. The source runs with its
shipped defaults, pointed at the fake; nothing in its config knows the limit.

Efficiency = rate-bound optimum / wall time, where the optimum is requests needed / limit
+ one latency, and requests needed = one chart request per symbol (timezones are seeded;
a 500 answered by yfinance's own second try, or a 429 requeued, is *not* needed: it counts
against us). The fake's bucket starts full (one second's worth), so a perfect client can
beat the optimum by up to 1 s: ratios slightly above 1 are possible and honest.

CPU bounds the client before 60 requests/s for long histories (yfinance's parsing per
symbol): a no-limit baseline per data shape measures that bound, and `vs bound` divides by
the larger of the two optima. Each condition needs `--seconds` (default 20) at its limit;
the fake runs in its own process so its CPU does not compete with the client's.

    .venv/bin/python benchmarks/bench_yahoo_fetch.py [--seed N] [--random 8] [--seconds 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import multiprocessing as mp
import os
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SPANS = (1, 20, 250)  # sessions per symbol: one day, a month, a year


def _serve(script: dict, port_queue, stop_event) -> None:
    from stock_assets_tests.prices.fake_yahoo import FakeYahoo

    with FakeYahoo() as fake:
        for key, value in script.items():
            setattr(fake.script, key, value)
        port_queue.put((fake.url, None))
        stop_event.wait()
        port_queue.put((None, {"statuses": dict(fake.statuses), "chart_requests": fake.chart_requests}))


def _sessions(span: int) -> list[dt.date]:
    from stock_assets.lib import calendar

    last = calendar.latest_closed_session(dt.datetime.now(dt.UTC))
    return calendar.sessions_between(last - dt.timedelta(days=int(span * 1.6) + 10), last)[-span:]


def run(cond: dict) -> dict:
    """One condition: start the fake, fetch, measure."""
    from stock_assets.defs.prices.yahoo import YahooPriceSource

    sessions = _sessions(cond["span"])
    script = {"today": sessions[-1], "latency_s": cond["latency"], "rate_limit": cond["limit"],
              "limit_style": cond["style"], "retry_after": cond["retry_after"],
              "error_share": cond["errors"], "seed": cond["seed"]}
    queue, stop = mp.Queue(), mp.Event()
    server = mp.Process(target=_serve, args=(script, queue, stop), daemon=True)
    server.start()
    url, _ = queue.get(timeout=60)
    symbols = [f"B{cond['id']:02d}{i:04d}" for i in range(cond["symbols"])]
    source = YahooPriceSource(base_url=url, cache_dir=tempfile.mkdtemp(prefix="yfc_bench_"), progress_every_s=60.0)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    result = source.fetch_range(symbols, sessions, log=lambda line: None)
    wall = time.monotonic() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    stop.set()
    _, served = queue.get(timeout=60)
    server.join(timeout=10)
    stored = set(result.bars["symbol"].unique())
    failed = {f.symbol for f in result.failures}
    n = len(symbols)
    limit = cond["limit"]
    optimum = n / limit + cond["latency"] if limit else None
    cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {**cond, "wall_s": round(wall, 2), "optimum_s": round(optimum, 2) if optimum else None,
            "efficiency": round(optimum / wall, 3) if optimum else None,
            "symbols_per_s": round(n / wall, 1), "lost": n - len(stored | failed), "failed": len(failed),
            "requests": served["chart_requests"], "http_429": served["statuses"].get(429, 0),
            "http_500": served["statuses"].get(500, 0), "requeued": result.stats["requeued"],
            "paused_s": result.stats["paused_s"], "limit_learnt": result.stats["limit_estimate"],
            "retry_passes": result.stats["retries"], "cpu_ms_per_symbol": round(1000 * cpu_s / n, 1),
            "load_1m": round(os.getloadavg()[0], 2)}


def conditions(seed: int, count: int, seconds: float) -> list[dict]:
    rng = random.Random(seed)

    def draw(limit=None, latency=None) -> dict:
        limit = limit or round(math.exp(rng.uniform(math.log(2), math.log(60))))
        latency = rng.uniform(0.0, 0.3) if latency is None else latency
        return {"limit": limit, "latency": round(latency, 3), "style": rng.choice(("bucket", "window")),
                "retry_after": rng.random() < 0.5, "errors": round(rng.uniform(0.0, 0.05), 3),
                "span": rng.choice(SPANS), "seed": rng.randrange(1 << 30),
                "symbols": max(20, round(limit * seconds))}

    corners = [draw(limit, latency) for limit in (2, 60) for latency in (0.0, 0.3)]
    out = corners + [draw() for _ in range(count)]
    for i, cond in enumerate(out):
        cond["id"] = i
        cond["kind"] = "corner" if i < len(corners) else "random"
    return out


def baseline(span: int, symbols: int) -> dict:
    """No limit, no latency, no errors: how fast the client parses (the CPU bound)."""
    return run({"id": 90 + SPANS.index(span), "kind": "no limit", "limit": None, "latency": 0.0,
                "style": "bucket", "retry_after": False, "errors": 0.0, "span": span, "seed": 0,
                "symbols": symbols})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=None, help="draws the conditions (default: random, printed)")
    parser.add_argument("--random", type=int, default=8, help="random conditions besides the four corners")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds each condition needs at its limit")
    parser.add_argument("--baseline-symbols", type=int, default=200)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 20)
    print(f"# {platform.uname()}")
    print(f"# nproc {os.cpu_count()}, load average {os.getloadavg()}, seed {seed}", flush=True)
    from stock_assets.defs.prices.yahoo.fetch import import_yfinance

    import_yfinance()  # the one-off import is not part of any condition
    started = time.monotonic()
    bounds = {}
    for span in SPANS:
        row = baseline(span, args.baseline_symbols)
        bounds[span] = row["symbols_per_s"]
        print(row, flush=True)
    rows = []
    for cond in conditions(seed, args.random, args.seconds):
        row = run(cond)
        cpu_optimum = row["symbols"] / bounds[row["span"]]
        row["vs_bound"] = round(max(row["optimum_s"], cpu_optimum) / row["wall_s"], 3)
        rows.append(row)
        print(row, flush=True)
    effs = [r["efficiency"] for r in rows]
    print(f"# {len(rows)} conditions in {time.monotonic() - started:.0f}s: efficiency min {min(effs):.3f}, "
          f"median {sorted(effs)[len(effs) // 2]:.3f}; vs bound min {min(r['vs_bound'] for r in rows):.3f}; "
          f"lost {sum(r['lost'] for r in rows)}, failed {sum(r['failed'] for r in rows)}; "
          f"load average now {os.getloadavg()}")


if __name__ == "__main__":
    main()
