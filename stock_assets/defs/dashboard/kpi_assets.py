"""`dashboard_kpis`: the seven KPIs as of the newest session, in `dashboard.kpis` and in the UI.

Why also asset checks: each KPI gets a check that fails (WARN) when yellow and (ERROR) when
red, so the UI shows the state at a glance and the asset-check alert sensor hears a KPI
crossing into red the same way it hears any other failing check.
"""

import datetime as dt

import dagster as dg
import polars as pl

from stock_assets.defs.dashboard import snapshot
from stock_assets.defs.dashboard.config import DashboardConfig
from stock_assets.lib import kpis, markdown
from stock_assets.storage.resource import WarehouseResource

OWNERS = ["team:data-platform"]
UPSTREAM = ["ticker_universe", "daily_ohlcv", "corporate_actions", "qa_summary"]

KPI_CHECKS = [
    dg.AssetCheckSpec(f"kpi_{k.key}", asset="dashboard_kpis", blocking=False,
                      description=f"{k.label}: fails as WARN when yellow, as ERROR when red. {k.meaning}")
    for k in kpis.KPIS
]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dg.asset(
    group_name="dashboard",
    description=(
        "The seven dashboard KPIs as of the newest session in the lake, each with a green / yellow / "
        "red status from configurable thresholds (docs/dashboard.md). One row per as-of session per "
        "KPI in `dashboard.kpis`; a rerun for the same session replaces its rows. The values are also "
        "numeric metadata, so the UI plots them over time."
    ),
    deps=UPSTREAM,
    kinds={"polars", "duckdb"},
    owners=OWNERS,
    tags={"domain": "dashboard"},
    metadata={"dagster/table_name": "dashboard.kpis"},
    check_specs=KPI_CHECKS,
)
def dashboard_kpis(context: dg.AssetExecutionContext, config: DashboardConfig, warehouse: WarehouseResource):
    wh = warehouse.open()
    wh.ensure_schema()
    now = _utcnow()
    as_of = config.as_of_date() or snapshot.latest_session(wh, now)
    thresholds = config.chosen_thresholds()
    snap = snapshot.build(wh, as_of, config.rules())
    rows = kpis.kpi_rows(snap.values, as_of, context.run.run_id, now, thresholds)
    wh.replace_rows("dashboard.kpis", rows, "as_of = ?", [as_of])
    context.log.info(f"KPIs as of {as_of}: " + ", ".join(f"{k}={int(v)} ({s})" for k, v, s in
                                                        rows.select("kpi", "value", "status").iter_rows()))
    yield dg.MaterializeResult(metadata=_metadata(rows, snap))
    for kpi, value, status, yellow_at, red_at in rows.select("kpi", "value", "status", "yellow_at", "red_at").iter_rows():
        yield dg.AssetCheckResult(
            check_name=f"kpi_{kpi}", passed=status == kpis.GREEN,
            severity=dg.AssetCheckSeverity.ERROR if status == kpis.RED else dg.AssetCheckSeverity.WARN,
            metadata={"value": dg.MetadataValue.int(int(value)), "status": status,
                      "yellow_at": _bound(yellow_at), "red_at": _bound(red_at), "as_of": as_of.isoformat(),
                      "failed_rows": dg.MetadataValue.int(int(value) if status != kpis.GREEN else 0)},
        )


def _bound(value: float | None) -> dg.MetadataValue:
    return dg.MetadataValue.float(value) if value is not None else dg.MetadataValue.text("-")


def _metadata(rows: pl.DataFrame, snap: snapshot.Snapshot) -> dict:
    table = rows.select(
        pl.col("kpi").replace_strict({k.key: k.label for k in kpis.KPIS}).alias("KPI"),
        pl.col("value").cast(pl.Int64).alias("value"), "status", "yellow_at", "red_at",
    )
    meta = {key: dg.MetadataValue.int(int(v)) for key, v in rows.select("kpi", "value").iter_rows()}
    meta.update({
        "as_of": dg.MetadataValue.text(snap.as_of.isoformat()),
        "worst_status": dg.MetadataValue.text(kpis.worst(rows["status"].to_list())),
        "kpis": dg.MetadataValue.md(markdown.table(table)),
        "lagging": dg.MetadataValue.md(markdown.table(snap.lagging)),
        "markets": dg.MetadataValue.md(markdown.table(snap.markets)),
        "unexplained_jumps_table": dg.MetadataValue.md(
            markdown.table(snap.jumps.filter(~pl.col("explained")))),
        "dagster/row_count": dg.MetadataValue.int(rows.height),
    })
    return meta
