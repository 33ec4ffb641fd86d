"""The weekly maintenance job: give dead-lettered symbols another chance, tidy the warehouse.

Why a job of ops rather than assets: nothing here produces data people read; it changes
the state the nightly run starts from. The weekly schedule launches it together with a
`qa_recheck_job` run over the past week's partitions (schedules.py).
"""

import datetime as dt

import dagster as dg
from pydantic import Field, field_validator

from stock_assets.defs.automation.compaction import compact_daily_lake
from stock_assets.defs.prices.sources import PriceSource
from stock_assets.lib import calendar, config_checks
from stock_assets.storage import dead_letter, quote_store
from stock_assets.storage.resource import WarehouseResource


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DeadLetterRetryConfig(dg.Config):
    """Which session to probe the dead symbols on; empty means the latest closed session."""

    session: str = ""

    _session = field_validator("session")(config_checks.iso_date)


@dg.op(description=(
    "Ask the price source once more for every dead-lettered symbol, on the latest closed "
    "session; release those that answer (the nightly run fetches them again), keep the rest."
))
def retry_dead_letters(
    context: dg.OpExecutionContext, config: DeadLetterRetryConfig, source: PriceSource,
    warehouse: WarehouseResource,
) -> list[str]:
    wh = warehouse.open()
    wh.ensure_schema()
    dead = dead_letter.dead_symbols(wh)
    session = (dt.date.fromisoformat(config.session) if config.session
               else calendar.latest_closed_session(_utcnow()))
    if not dead:
        context.log.info("dead-letter queue is empty: nothing to retry")
        context.add_output_metadata({"dead": 0, "released": 0, "session": session.isoformat()})
        return []
    result = source.fetch_day(dead, session, log=context.log.info)
    answered = sorted(set(result.bars["symbol"].to_list()))
    released = dead_letter.release(wh, answered, reason=f"weekly maintenance: answered for {session}")
    still_dead = sorted(set(dead) - set(answered))
    context.log.info(f"{len(dead)} dead symbols probed on {session}: {released} released, {len(still_dead)} still dead")
    context.add_output_metadata({
        "dead": len(dead), "released": released, "session": session.isoformat(),
        "released_symbols": dg.MetadataValue.json(answered),
        "still_dead": dg.MetadataValue.json(still_dead[:200]),
    })
    return answered


DEFAULT_QUOTE_RETENTION_DAYS = 30


class TidyConfig(dg.Config):
    quote_retention_days: int = Field(default=DEFAULT_QUOTE_RETENTION_DAYS, ge=0, description=(
        "Quote snapshot days (lake/quote_snapshots/date=D) older than this many days are deleted; "
        "0 keeps every one, a negative value is refused. universe.fundamentals keeps each symbol's newest."))


@dg.op(description=(
    "Prune quote snapshot days past their retention, then CHECKPOINT and VACUUM the DuckDB warehouse so that "
    "deleted rows give their space back; reports the file size before and after."
))
def tidy_warehouse(
    context: dg.OpExecutionContext, config: TidyConfig, warehouse: WarehouseResource,
    released: list[str],
) -> dict:
    wh = warehouse.open()
    wh.ensure_schema()
    before = wh.path.stat().st_size
    pruned_days = quote_store.prune(warehouse.lake_dir, config.quote_retention_days, _utcnow().date())
    if pruned_days:
        wh.refresh_views()  # the view over the snapshot files must not point at a glob that emptied
    with wh.connect() as conn:
        conn.execute("VACUUM")
        conn.execute("CHECKPOINT")
    after = wh.path.stat().st_size
    context.log.info(f"warehouse {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB; {len(pruned_days)} quote snapshot days pruned "
                     f"(kept {config.quote_retention_days or 'all'} days)")
    report = {"bytes_before": before, "bytes_after": after, "quote_days_pruned": len(pruned_days),
              "dead_letters_released": len(released)}
    context.add_output_metadata(report)
    return report


class RunRetentionConfig(dg.Config):
    keep_days: int = Field(default=90, ge=0, description=(
        "Finished runs older than this many days are deleted (0: every finished run)."))
    max_runs: int = Field(default=1000, ge=1, description=(
        "Runs deleted per week at most: a first purge of a long history is spread over weeks."))


FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


@dg.op(description=(
    "Delete finished runs (and their event logs) older than `keep_days` from the instance "
    "storage: Dagster keeps them forever otherwise. Asset materialisations stay in the lake."
))
def purge_old_runs(context: dg.OpExecutionContext, config: RunRetentionConfig, report: dict) -> int:
    cutoff = _utcnow() - dt.timedelta(days=config.keep_days)
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(created_before=cutoff, statuses=FINISHED), limit=config.max_runs,
    )
    for record in records:
        context.instance.delete_run(record.dagster_run.run_id)
    context.log.info(f"{len(records)} runs older than {config.keep_days} days deleted")
    context.add_output_metadata({"runs_deleted": len(records), "cutoff": cutoff.isoformat()})
    return len(records)


@dg.job(
    description=(
        "Weekly maintenance: retry dead-lettered symbols, prune quote snapshots past their retention (30 days), vacuum and "
        "checkpoint the warehouse, delete runs older than 90 days, compact the closed periods of the daily lake "
        "(lake_compaction_job alone). The weekly schedule also re-runs the QA checks over the "
        "past week (qa_recheck_job)."
    ),
    tags={"domain": "operations"},
)
def weekly_maintenance_job():
    purge_old_runs(tidy_warehouse(retry_dead_letters()))
    compact_daily_lake()
