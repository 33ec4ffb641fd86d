"""Dashboard summaries: KPI assets and the static HTML dashboard."""

import dagster as dg

from stock_assets.defs.dashboard.html_asset import dashboard_html
from stock_assets.defs.dashboard.kpi_assets import dashboard_kpis

defs = dg.Definitions(assets=[dashboard_kpis, dashboard_html])
