"""The code location the end-to-end `dagster dev` loads: stock_assets.definitions, two knobs added.

Everything is the project's own definitions (assets, checks, jobs, schedules, sensors,
resources, executor) except that the offline price source accepts `seconds_per_symbol` and
`failing_symbols` (0 and [] by default, so it behaves exactly like `SyntheticPriceSource`).
The graceful-stop test sets the first in the run config to make a fetch slow enough to be
terminated half-way, as a Yahoo fetch of thousands of symbols is; the self-healing test sets
the second to make a symbol fail one night, as Yahoo sometimes does.
"""

import datetime as dt
import time
from collections.abc import Sequence

import dagster as dg

from stock_assets import definitions as project
from stock_assets.defs.prices.sources import FetchFailure, FetchResult, ProgressLog
from stock_assets.defs.prices.synthetic import SyntheticPriceSource
from stock_assets.lib.errors import ErrorCode
from stock_assets.settings import Settings

BATCH = 5


class SlowSyntheticPriceSource(SyntheticPriceSource):
    """The synthetic source, optionally sleeping `seconds_per_symbol` per symbol, in batches."""

    seconds_per_symbol: float = 0.0
    failing_symbols: list[str] = []  # answered as Yahoo's empty frame (YFEMPTY) in this run

    def fetch_range(self, symbols: Sequence[str], sessions: Sequence[dt.date],
                    log: ProgressLog | None = None) -> FetchResult:
        if self.seconds_per_symbol > 0:
            for start in range(0, len(symbols), BATCH):
                if log:
                    log(f"slow synthetic: batch {start // BATCH + 1}/{-(-len(symbols) // BATCH)}")
                time.sleep(self.seconds_per_symbol * len(symbols[start:start + BATCH]))
        failing = [s for s in symbols if s in set(self.failing_symbols)]
        result = super().fetch_range([s for s in symbols if s not in set(failing)], sessions, log)
        failed = [FetchFailure(symbol=s, code=ErrorCode.YFEMPTY, message="no bars returned (e2e: failing_symbols)",
                               session=max(sessions)) for s in failing]
        return FetchResult(bars=result.bars, actions=result.actions, failures=result.failures + failed,
                           stats=result.stats)


_settings = Settings.from_env()
defs = dg.Definitions(
    assets=list(project.defs.assets or []),
    asset_checks=list(project.defs.asset_checks or []),
    jobs=list(project.defs.jobs or []),
    schedules=list(project.defs.schedules or []),
    sensors=list(project.defs.sensors or []),
    resources={**(project.defs.resources or {}),
               "source": SlowSyntheticPriceSource(ticker_count=_settings.synthetic_tickers)},
    executor=project.defs.executor,  # in process, recording each run's process (ADR 0010, 0012)
)
