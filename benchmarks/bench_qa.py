"""Benchmark: every QA rule over ~22 M synthetic rows (8,782 symbols x 10 years) on this machine.

Run: `.venv/bin/python benchmarks/bench_qa.py` (builds the lake once, ~1-3 min, cached under
$STOCK_ASSETS_BENCH_DIR or the temp dir). The QA is measured in a fresh child process so its
peak memory (ru_maxrss) is the QA's alone. Target (issue 6): <= 30 s, <= 2 GB on 2 cores.
Prints the machine, the load average (other work on the machine inflates wall time; CPU
seconds are printed beside it), per-check seconds, and one nightly partition with GX.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_SECONDS, TARGET_MB = 30.0, 2048


def measure() -> dict:
    """In the child: run every engine check over the whole cached range; seconds and peak MB."""
    import polars as pl

    from bench_data import FIRST, LAST, SYMBOLS, build
    from stock_assets.lib import synthetic
    from stock_assets.lib.qa.catalog import ENGINE_CHECKS
    from stock_assets.lib.qa.engine import LakeQa

    lake, actions = build(log=lambda *_: None)
    files = dict(zip(lake.partition_days("daily_ohlcv"), lake.partition_files("daily_ohlcv")))
    splits = actions.filter(pl.col("kind") == "split").select("symbol", "ex_date", "value")
    expected = [t.symbol for t in synthetic.tickers(SYMBOLS)]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    per_check, per_check_cpu, rows = {}, {}, {}
    with LakeQa(files, FIRST, LAST, splits=splits, expected=expected) as qa:
        for name in (n for n in ENGINE_CHECKS if n != "fetch_errors"):
            t, c = time.perf_counter(), time.process_time()
            outcome = getattr(qa, name)()
            per_check[name] = round(time.perf_counter() - t, 2)
            per_check_cpu[name] = round(time.process_time() - c, 2)
            rows[name] = outcome.offending.height
        scanned = qa.conn.execute("SELECT count(*) FROM cur").fetchone()[0]
    return {"rows": int(scanned), "files": len(files), "wall_s": round(time.perf_counter() - wall0, 2),
            "cpu_s": round(time.process_time() - cpu0, 2),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "per_check_s": per_check, "per_check_cpu_s": per_check_cpu, "offending_rows": rows}


def nightly() -> dict:
    """In the child: one partition (the last session) with its look-back, and the GX suite."""
    import polars as pl

    from bench_data import LAST, build
    from stock_assets.lib.qa import gx as qa_gx
    from stock_assets.lib.qa.catalog import ENGINE_CHECKS
    from stock_assets.lib.qa.engine import LakeQa
    from stock_assets.lib.schema import DAILY_OHLCV

    lake, actions = build(log=lambda *_: None)
    files = dict(zip(lake.partition_days("daily_ohlcv"), lake.partition_files("daily_ohlcv")))
    t = time.perf_counter()
    with LakeQa(files, LAST, LAST, splits=actions.filter(pl.col("kind") == "split")) as qa:
        qa.run([n for n in ENGINE_CHECKS if n != "fetch_errors"])
    engine = time.perf_counter() - t
    t = time.perf_counter()
    import great_expectations  # noqa: F401  (the import the check pays once per process)
    gx_import = time.perf_counter() - t
    frame = lake.read_partition("daily_ohlcv", LAST, DAILY_OHLCV)
    t = time.perf_counter()
    outcome = qa_gx.run_suite(frame)
    return {"engine_s": round(engine, 2), "gx_import_s": round(gx_import, 2),
            "gx_suite_s": round(time.perf_counter() - t, 2), "gx_rows": frame.height, "gx_passed": outcome.passed}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_mb": mem, "load_avg": os.getloadavg()}


def child(mode: str) -> dict:
    out = subprocess.run([sys.executable, __file__, mode], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from bench_data import build

    started = time.perf_counter()
    build()
    print(f"lake ready in {time.perf_counter() - started:.0f}s")
    before = machine()
    full = child("--measure")
    night = child("--nightly")
    after = machine()
    print(f"machine: {before['nproc']} cores, {before['cpu']}, {before['ram_mb']} MB RAM; "
          f"load average before {before['load_avg'][0]:.1f}, after {after['load_avg'][0]:.1f}")
    print(f"QA over {full['rows']:,} rows in {full['files']} daily files: {full['wall_s']} s wall, "
          f"{full['cpu_s']} s CPU, peak {full['peak_mb']} MB "
          f"(target <= {TARGET_SECONDS:.0f} s, <= {TARGET_MB} MB: "
          f"{'met' if full['wall_s'] <= TARGET_SECONDS and full['peak_mb'] <= TARGET_MB else 'NOT met'})")
    print("| check | wall s | CPU s | offending rows |\n|---|---|---|---|")
    for name, secs in full["per_check_s"].items():
        print(f"| {name} | {secs} | {full['per_check_cpu_s'][name]} | {full['offending_rows'][name]:,} |")
    print(f"one nightly partition: engine {night['engine_s']} s (with its look-back), GX import "
          f"{night['gx_import_s']} s, GX suite {night['gx_suite_s']} s on {night['gx_rows']:,} rows")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("--measure", "--nightly"):
        print(json.dumps(measure() if sys.argv[1] == "--measure" else nightly()))
    else:
        main()
