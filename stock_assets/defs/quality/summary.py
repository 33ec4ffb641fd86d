"""`qa_summary`: the QA verdict of each partition, gathered for people to query.

The checks record their own rows in qa.failures and qa.summary as they run (recorder.py),
because blocking ERROR checks stop this asset when they fail. What this asset adds, once a
partition passed its blocking checks, is the partition's overall row in qa.summary
(`check_name = 'overall'`: passed when every check passed, the worst severity that failed,
the failed rows of all checks), and a view of the open failures in the UI. Reruns replace
the partition's overall rows.
"""

import datetime as dt

import dagster as dg
import polars as pl

from stock_assets.defs.partitions import trading_days, window_days
from stock_assets.lib import markdown
from stock_assets.lib.qa import records as qa_records
from stock_assets.lib.qa.catalog import CHECKS, ERROR, INFO, WARN
from stock_assets.storage.resource import WarehouseResource

OVERALL = "overall"
MAX_LOGGED_DAYS = 20  # a ten-year backfill logs the first failing days, not 2,500 lines
_RANK = {ERROR: 3, WARN: 2, INFO: 1}


@dg.asset(
    partitions_def=trading_days,
    group_name="quality",
    deps=[dg.AssetDep("daily_ohlcv")],
    description=(
        "QA verdict per trading day: `qa.summary` (one row per partition per check, plus the "
        "`overall` row this asset writes) and `qa.failures` (one row per offending date and symbol, "
        "resolved by a later passing run). Blocked when an ERROR check on daily_ohlcv fails."
    ),
    kinds={"duckdb"},
    owners=["team:data-platform"],
    tags={"domain": "quality"},
    metadata={"dagster/table_name": "qa.summary"},
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def qa_summary(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    days = window_days(context)
    wh = warehouse.open()
    wh.ensure_schema()
    checks = list(CHECKS)
    rows = wh.query(
        f"""SELECT date, check_name, severity, passed, failed_rows, run_id FROM qa.summary
            WHERE date BETWEEN ? AND ? AND check_name IN ({', '.join('?' * len(checks))})
            ORDER BY date, check_name""", [days[0], days[-1], *checks])
    failed = rows.filter(~pl.col("passed"))
    worst = (failed.with_columns(rank=pl.col("severity").replace_strict(_RANK, default=0))
             .group_by("date").agg(pl.col("failed_rows").sum(), pl.col("rank").max()))
    by_day = {d: (n, r) for d, n, r in worst.iter_rows()}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rank_to_severity = {r: sev for sev, r in _RANK.items()}
    overall = pl.DataFrame({
        "date": days, "check_name": OVERALL,
        "severity": [rank_to_severity.get(by_day.get(d, (0, 0))[1], INFO) for d in days],
        "passed": [d not in by_day for d in days],
        "failed_rows": [int(by_day.get(d, (0, 0))[0]) for d in days],
        "run_id": context.run.run_id, "checked_at": now,
    }, schema=qa_records.SUMMARY)
    wh.replace_rows("qa.summary", overall, "check_name = ? AND date BETWEEN ? AND ?", [OVERALL, days[0], days[-1]])
    severity = rank_to_severity.get(max((v[1] for v in by_day.values()), default=0), INFO)
    for day in [d for d in days if d in by_day][:MAX_LOGGED_DAYS]:
        context.log.info(f"{day}: {_verdict(day, by_day, rows)}")
    open_failures = wh.query(
        """SELECT check_name, severity, count(*) AS open_failures, min(first_seen) AS oldest
           FROM qa.failures WHERE NOT resolved AND date BETWEEN ? AND ?
           GROUP BY ALL ORDER BY check_name""", [days[0], days[-1]])
    checked = rows.select("check_name").unique().height
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(rows.height + len(days)),
        "checks_recorded": dg.MetadataValue.int(checked),
        "checks_failed": dg.MetadataValue.int(failed.select("check_name").unique().height),
        "failed_rows": dg.MetadataValue.int(int(failed["failed_rows"].sum()) if failed.height else 0),
        "worst_severity": dg.MetadataValue.text(severity if failed.height else "none"),
        "per_check": dg.MetadataValue.md(markdown.table(
            rows.group_by("check_name", "severity").agg(
                pl.col("passed").all(), pl.col("failed_rows").sum()).sort("check_name"), max_rows=40)),
        "open_failures": dg.MetadataValue.md(markdown.table(open_failures)),
        "query": dg.MetadataValue.md(
            "```sql\nSELECT * FROM qa.failures WHERE NOT resolved ORDER BY date DESC, check_name;\n"
            "SELECT * FROM qa.summary WHERE date = DATE '" + days[-1].isoformat() + "';\n```"),
    })


def _verdict(day: dt.date, by_day: dict, rows: pl.DataFrame) -> str:
    if day not in by_day:
        n = rows.filter(pl.col("date") == day).height
        return f"all {n} checks passed"
    names = rows.filter((pl.col("date") == day) & ~pl.col("passed"))["check_name"].to_list()
    return "failed: " + ", ".join(names)
