"""A reader holding its read open across a whole `daily_prices_job` run, in another process.

What issue 13 asks: a notebook, a BI tool or the dashboard reading for hours never delays a
run by more than seconds and never fails one, and sees the new day once the run is done.
The reader here holds `read.connect()` (the published copy) for the whole run and keeps
calling `read.bars` while the run writes; the run goes through `dagster job execute`, as CI
and users run it. Before ADR 0013 the README's advice (the warehouse open read-only) held
DuckDB's lock: the run waited out its 120 s lock wait and failed or retried for minutes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from stock_assets.storage.warehouse import LOCK_WAIT_SECONDS
from stock_assets_tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.slow

FIRST, NEW = "2024-06-03", "2024-06-04"
RUN_TIMEOUT = 2 * LOCK_WAIT_SECONDS  # a run stuck behind a lock fails the test, it does not hang it

READER = textwrap.dedent("""
    import datetime as dt, json, pathlib, sys, time
    from stock_assets import read
    stop, new = pathlib.Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2])
    held = read.connect()  # a notebook or BI tool's connection, held across the whole run
    count = "SELECT count(*) FROM prices.daily_ohlcv WHERE date = ?"
    before = {"held": held.execute(count, [new]).fetchone()[0], "bars": read.bars(None, new, new).height}
    print(json.dumps(before), flush=True)
    reads = 0
    while not stop.exists():  # keep reading while the run writes
        read.bars(None, start=new - dt.timedelta(days=7), end=new)
        held.execute(count, [new]).fetchone()
        reads += 1
        time.sleep(0.5)
    after = {"held": held.execute(count, [new]).fetchone()[0], "bars": read.bars(None, new, new).height,
             "adjusted": read.bars(None, new, new, adjusted=True).height, "reads": reads}
    print(json.dumps(after), flush=True)
    held.close()
""")


def _day(env: dict, day: str) -> float:
    """`dagster job execute` of daily_prices_job for `day`; its wall time, having succeeded."""
    started = time.monotonic()
    done = run_cli(["job", "execute", "-m", "stock_assets.definitions", "-j", "daily_prices_job",
                    "--tags", json.dumps({"dagster/partition": day})], env, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr[-3000:]
    return time.monotonic() - started


def test_a_reader_held_open_across_a_run_neither_delays_it_nor_misses_the_new_day(cli_env, tmp_path):
    config = tmp_path / "universe.yaml"
    config.write_text(f'ops:\n  ticker_universe:\n    config:\n      as_of: "{FIRST}"\n')
    done = run_cli(["job", "execute", "-m", "stock_assets.definitions", "-j", "universe_job", "-c", str(config)],
                   cli_env)
    assert done.returncode == 0, done.stderr[-3000:]
    normal = _day(cli_env, FIRST)  # the run's normal time, nobody reading

    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(stop), NEW], cwd=REPO_ROOT, env=cli_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        before = json.loads(reader.stdout.readline())
        assert before == {"held": 0, "bars": 0}
        beside = _day(cli_env, NEW)
        assert reader.poll() is None, "the reader was still holding its connection when the run ended"
        stop.touch()
        after = json.loads(reader.stdout.readline())
        assert reader.wait(timeout=60) == 0, reader.stderr.read()
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait(timeout=30)
    # "normal": what the same run takes with nobody reading, give or take a loaded machine;
    # a run that waited for the reader would take the lock wait (120 s) and more.
    print(f"daily_prices_job: {normal:.1f}s alone, {beside:.1f}s beside the reader ({after['reads']} reads)")
    assert beside < max(2 * normal, normal + 60), (normal, beside)
    assert after["reads"] > 0  # it kept reading during the run
    assert after["held"] == after["bars"] == after["adjusted"] > 0, after
