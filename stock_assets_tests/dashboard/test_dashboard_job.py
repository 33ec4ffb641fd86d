"""`daily_prices_job` builds the dashboard too: one day, partitioned steps then the dashboard.

The job runs in process here (the CLI path of the same job is .ci/run's smoke step, which
now also writes the dashboard); the code location is the real one with offline resources.
"""

import re

import dagster as dg

from stock_assets.defs import automation, dashboard, prices, quality, universe
from stock_assets.lib import kpis
from stock_assets.storage.warehouse import Warehouse


def test_daily_prices_job_refreshes_kpis_and_page(data_dir, offline_resources, instance):
    defs = dg.Definitions.merge(universe.defs, prices.defs, quality.defs, dashboard.defs, automation.defs,
                                dg.Definitions(resources=offline_resources))
    universe_run = defs.resolve_job_def("universe_job").execute_in_process(
        instance=instance, run_config={"ops": {"ticker_universe": {"config": {"as_of": "2024-06-03"}}}})
    assert universe_run.success
    # The job's own definition, less the QA layer's checks (Great Expectations alone takes ~5-12 s;
    # the QA helper's tests run those): prices, then the unpartitioned dashboard and its KPI checks.
    job = defs.resolve_job_def("daily_prices_job")
    keep = {dg.AssetKey(k) for k in ("daily_ohlcv", "corporate_actions", "dashboard_kpis", "dashboard_html")}
    kpi_checks = {key for key in job.asset_layer.asset_graph.asset_check_keys
                  if key.asset_key == dg.AssetKey("dashboard_kpis")}
    result = job.get_subset(asset_selection=keep, asset_check_selection=kpi_checks).execute_in_process(
        instance=instance, partition_key="2024-06-14")
    assert result.success
    assert len(result.get_asset_check_evaluations()) == len(kpis.KPI_KEYS)  # only the KPI checks ran
    kpi_event = result.asset_materializations_for_node("dashboard_kpis")[0]
    assert kpi_event.partition is None  # unpartitioned, run once after the day's partitioned steps
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    rows = wh.query("SELECT kpi, value, run_id FROM dashboard.kpis WHERE as_of = DATE '2024-06-14'")
    assert sorted(rows["kpi"].to_list()) == sorted(kpis.KPI_KEYS)
    values = dict(rows.select("kpi", "value").iter_rows())
    assert values["total_active_symbols"] == 59  # 60 synthetic tickers, one listed only on 2024-06-24
    page = (data_dir / "dashboard" / "index.html").read_text()
    assert re.search(r'data-run-id="([0-9a-f-]+)"', page).group(1) == rows["run_id"][0] == result.run_id
    assert 'data-kpi="total_active_symbols" data-value="59"' in page
