"""Shared pieces of the benchmarks: a temp DAGSTER_HOME + data dir, timed `dagster` calls, the machine."""

from __future__ import annotations

import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DAGSTER = Path(sys.executable).parent / "dagster"


class Workspace:
    """A throw-away Dagster instance and data dir with the synthetic source of `tickers` symbols."""

    def __init__(self, tickers: int):
        self.root = Path(tempfile.mkdtemp(prefix="stock_assets_bench_"))
        self.home, self.data = self.root / "home", self.root / "data"
        self.home.mkdir()
        self.data.mkdir()
        shutil.copy(REPO / "dagster.yaml", self.home / "dagster.yaml")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("STOCK_ASSETS_")}
        self.env.update(DAGSTER_HOME=str(self.home), STOCK_ASSETS_SOURCE="synthetic",
                        STOCK_ASSETS_DATA_DIR=str(self.data), STOCK_ASSETS_SYNTHETIC_TICKERS=str(tickers))

    def dagster(self, *args: str) -> float:
        """Run `dagster ARGS` from the repo root; wall seconds. Fails loudly with the log."""
        started = time.perf_counter()
        done = subprocess.run([str(DAGSTER), *args], cwd=REPO, env=self.env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0 or "RUN_FAILURE" in done.stderr:
            sys.stderr.write(done.stderr[-6000:])
            raise SystemExit(f"benchmark step failed: dagster {' '.join(args)}")
        self.last_log = done.stderr
        return seconds

    def step_seconds(self) -> dict[str, float]:
        """Seconds per step of the last run, from Dagster's STEP_SUCCESS events."""
        out = {}
        pattern = r'Finished execution of step "([^"]+)" in (?:(\d+)m)?([0-9.]+)(ms|s)\.'
        for step, minutes, amount, unit in re.findall(pattern, self.last_log):
            out[step] = int(minutes or 0) * 60 + float(amount) / (1000 if unit == "ms" else 1)
        return out

    def universe(self, as_of: str) -> float:
        config = self.root / "universe.yaml"
        config.write_text(f'ops:\n  ticker_universe:\n    config:\n      as_of: "{as_of}"\n')
        return self.dagster("job", "execute", "-m", "stock_assets.definitions", "-j", "universe_job", "-c", str(config))

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def peak_child_rss_mb() -> float:
    """Largest resident set of any child process waited for so far (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")
