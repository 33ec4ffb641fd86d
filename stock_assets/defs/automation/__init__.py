"""Automation: jobs, schedules, sensors and alerts."""

import dagster as dg

from stock_assets.defs.automation.alerts import asset_check_alerts, run_failure_alerts
from stock_assets.defs.automation.compaction import lake_compaction_job
from stock_assets.defs.automation.dead_runs import dead_run_reaper
from stock_assets.defs.automation.intraday_bars_automation import intraday_bars_nightly, intraday_retention_sensor
from stock_assets.defs.automation.jobs import (
    daily_prices_job,
    intraday_job,
    qa_recheck_job,
    quote_snapshots_job,
    universe_job,
)
from stock_assets.defs.automation.maintenance import weekly_maintenance_job
from stock_assets.defs.automation.markets_schedule import markets_evening_schedule
from stock_assets.defs.automation.quotes_automation import quote_automation
from stock_assets.defs.automation.schedules import (
    nightly_prices_schedule,
    weekly_maintenance_schedule,
    weekly_qa_recheck_schedule,
)
from stock_assets.defs.automation.stream_sensor import stream_staleness_sensor
from stock_assets.settings import Settings

quote_snapshots_sensor, quote_snapshots_daily = quote_automation(Settings.from_env())

defs = dg.Definitions(
    jobs=[universe_job, daily_prices_job, intraday_job, quote_snapshots_job, qa_recheck_job, weekly_maintenance_job,
          lake_compaction_job],
    schedules=[nightly_prices_schedule, weekly_maintenance_schedule, weekly_qa_recheck_schedule,
               markets_evening_schedule, intraday_bars_nightly, quote_snapshots_daily],
    sensors=[quote_snapshots_sensor, run_failure_alerts, asset_check_alerts, dead_run_reaper, intraday_retention_sensor,
             stream_staleness_sensor],
)
