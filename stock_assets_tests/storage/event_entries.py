"""Event-log entries as a single-run backfill's step stores them (tests and benchmarks/bench_event_log.py)."""

from __future__ import annotations

import time

import dagster as dg
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry


def materialization(run_id: str, partition: str) -> EventLogEntry:
    """One `daily_ohlcv` materialisation event of `run_id` for `partition`."""
    event = DagsterEvent(
        DagsterEventType.ASSET_MATERIALIZATION.value,
        "daily_prices_job",
        event_specific_data=StepMaterializationData(dg.AssetMaterialization("daily_ohlcv", partition=partition)),
    )
    return EventLogEntry(error_info=None, level="debug", user_message="", run_id=run_id,
                         timestamp=time.time(), dagster_event=event)
