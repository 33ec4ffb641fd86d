"""A do-nothing Dagster job: the baseline that bench_one_day.py divides by.

Benchmark-only (not part of the code location). It uses the same in-process executor as
the stock_assets code location, so the ratio measures what our code adds on top of
Dagster's own start-up and run bookkeeping, not a different executor.
"""

import dagster as dg


@dg.op
def noop() -> None:
    """Does nothing."""


@dg.job(executor_def=dg.in_process_executor)
def noop_job():
    noop()


defs = dg.Definitions(jobs=[noop_job])
