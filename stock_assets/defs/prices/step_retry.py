"""The fetch step's RetryPolicy, applied to transient failures only.

Why not `op_retry_policy` on the job: Dagster applies an op's RetryPolicy to *every*
exception and also to an interrupt (`execution/plan/utils.py`), so under the in-process
executor a Terminate from the UI became "retry in 2 minutes" and the run fetched again
instead of stopping, and a bug or a refused partition (an unclosed session) was retried
twice, six minutes for nothing. Raising `dg.RetryRequested` for the failures that a later
attempt can cure keeps the same schedule for those, lets a Terminate end the run CANCELED
at once, and lets the job run in process (one import of the code location per run, not
one per step: docs/performance.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import dagster as dg
import requests

from stock_assets.storage.warehouse import WarehouseLocked

# 2 retries, 2 then 6 minutes later (+/- 2 minutes of jitter; Dagster waits (2**n - 1) x delay), before the run fails and the alerts fire.
FETCH_RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=120, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS,
)

# What a later attempt can cure: the warehouse held past its lock wait by another run, the
# network (a listing or quote endpoint) down or slow. Per-symbol Yahoo failures never reach
# here: the fetch layer records them with a code (docs/error_codes.md) and goes on.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    WarehouseLocked, TimeoutError, ConnectionError,
    requests.ConnectionError, requests.Timeout,
)


def is_transient(err: BaseException) -> bool:
    return isinstance(err, TRANSIENT_ERRORS)


@contextlib.contextmanager
def retried_when_transient(context: dg.AssetExecutionContext,
                           policy: dg.RetryPolicy | None = None) -> Iterator[None]:
    """Turn a transient failure into a retry request on `policy`'s schedule; re-raise the rest."""
    policy = policy or FETCH_RETRY_POLICY
    try:
        yield
    except Exception as err:
        if not is_transient(err):
            raise
        attempt = context.retry_number + 1
        wait = policy.calculate_delay(attempt)
        context.log.warning(
            f"transient failure ({type(err).__name__}: {err}); attempt {attempt} of "
            f"{policy.max_retries} retries in {wait:.0f}s")
        raise dg.RetryRequested(max_retries=policy.max_retries, seconds_to_wait=wait) from err
