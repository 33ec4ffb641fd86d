"""Dashboard summaries: KPI assets and the static HTML dashboard."""

import dagster as dg

defs = dg.Definitions()
