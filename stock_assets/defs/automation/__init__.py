"""Automation: jobs, schedules, sensors and alerts."""

import dagster as dg

from stock_assets.defs.automation.jobs import daily_prices_job, universe_job

defs = dg.Definitions(jobs=[universe_job, daily_prices_job])
