"""`dashboard_html`: one self-contained page at `<data>/dashboard/index.html`.

Why it reads the KPIs back from `dashboard.kpis` instead of recomputing them: the page must
show exactly what the table (and the UI's KPI metadata) says for that session.
"""

import datetime as dt
import os
from pathlib import Path

import dagster as dg
import polars as pl

from stock_assets.defs.dashboard import render, snapshot
from stock_assets.defs.dashboard.config import DashboardConfig
from stock_assets.lib.kpis import KPI_KEYS
from stock_assets.storage.resource import WarehouseResource

OWNERS = ["team:data-platform"]


class DashboardPageConfig(DashboardConfig):
    """The dashboard's rules plus the drill-down's size (each symbol adds ~3 KB to the page)."""

    drilldown_max_symbols: int = 120


def dashboard_path(warehouse: WarehouseResource) -> Path:
    """`<data>/dashboard/index.html`: beside the warehouse file, as DESIGN.md lays out `<data>`."""
    return Path(warehouse.database).parent / "dashboard" / "index.html"


@dg.asset(
    group_name="dashboard",
    description=(
        "The static HTML dashboard at `<data>/dashboard/index.html`: KPI cards coloured by status, "
        "universe health, timeliness, completeness, volume and price quality, fetch errors and API "
        "health, and a per-symbol drill-down. One self-contained file (inline CSS, JS and SVG, no CDN) "
        "that works from file:// and offline; publish it anywhere."
    ),
    deps=["dashboard_kpis"],
    kinds={"html", "duckdb"},
    owners=OWNERS,
    tags={"domain": "dashboard"},
)
def dashboard_html(context: dg.AssetExecutionContext, config: DashboardPageConfig,
                   warehouse: WarehouseResource) -> dg.MaterializeResult:
    wh = warehouse.open()
    wh.ensure_schema()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    as_of = config.as_of_date() or wh.scalar("SELECT max(as_of) FROM dashboard.kpis") or snapshot.latest_session(wh, now)
    kpi_rows = wh.query("SELECT kpi, value, status, yellow_at, red_at, run_id FROM dashboard.kpis WHERE as_of = ?",
                        [as_of])
    if kpi_rows.height == 0:
        raise dg.Failure(description=f"dashboard.kpis has no rows for {as_of}: materialise dashboard_kpis first "
                                     "(or pick an as_of it has).", metadata={"as_of": as_of.isoformat()})
    snap = snapshot.build(wh, as_of, config.rules())
    symbols = render.drilldown_symbols(snap, config.drilldown_max_symbols)
    intraday = snapshot.intraday_last_session(wh, as_of)
    symbols += [s for s in dict.fromkeys(intraday["symbol"].to_list()) if s not in symbols]  # futures too
    history = snapshot.price_history(wh, symbols, as_of)
    html = render.render(snap, _in_kpi_order(kpi_rows), history, context.run.run_id, now, symbols, intraday)
    path = dashboard_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)  # a reader never sees half a page
    context.log.info(f"wrote {path} ({len(html) / 1024:.0f} KiB, {len(symbols)} drill-down symbols)")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(path)),
        "url": dg.MetadataValue.url(path.as_uri()),
        "as_of": dg.MetadataValue.text(as_of.isoformat()),
        "size_kib": dg.MetadataValue.float(round(len(html) / 1024, 1)),
        "drilldown_symbols": dg.MetadataValue.int(len(symbols)),
        "kpi_run_id": dg.MetadataValue.text(str(kpi_rows["run_id"][0])),
    })


def _in_kpi_order(rows: pl.DataFrame) -> pl.DataFrame:
    order = {k: i for i, k in enumerate(KPI_KEYS)}
    return rows.filter(pl.col("kpi").is_in(KPI_KEYS)).sort(pl.col("kpi").replace_strict(order, return_dtype=pl.Int64))
