"""The staleness guard: a nightly run with a universe older than 35 days fails, with an alert,
unless a person allows it in that run's config (ADR 0014). The universe here is scraped as of
2024-06-03, so a night in mid-July finds it 42 days old."""

import dagster as dg

from stock_assets.defs.automation.alert_senders import LoggingAlertSender
from stock_assets.defs.automation.alerts import run_failure_alert
from stock_assets.defs.prices.assets import daily_prices
from stock_assets.lib import self_heal

NIGHTLY = {self_heal.TRIGGER_TAG: self_heal.NIGHTLY_TRIGGER}
STALE_NIGHT = "2024-07-15"  # 42 days after the scrape


def _run(resources, instance, tags: dict, run_config: dict | None = None):
    return dg.materialize([daily_prices], partition_key=STALE_NIGHT, tags=tags, resources=resources,
                          instance=instance, raise_on_error=False, run_config=run_config)


def test_a_nightly_run_with_a_stale_universe_fails_and_is_alerted(universe_ready, instance, data_dir):
    result = _run(universe_ready, instance, NIGHTLY)
    assert not result.success
    assert not (data_dir / "lake" / "daily_ohlcv" / f"date={STALE_NIGHT}").exists()  # nothing fetched or stored
    assert universe_ready["warehouse"].open().count("ops.fetch_reports") == 0
    # The run_failure_alerts sensor builds this alert for every failed run: it carries the reason.
    alert = run_failure_alert(instance, instance.get_run_by_id(result.run_id), LoggingAlertSender())
    assert alert.partition == STALE_NIGHT
    assert "ticker universe is 42 days old (last refreshed 2024-06-03" in alert.details
    assert "allow_stale_universe" in alert.details


def test_a_person_can_allow_the_stale_universe_for_one_run(universe_ready, instance):
    allow = {"ops": {"daily_prices": {"config": {"allow_stale_universe": True}}}}
    result = _run(universe_ready, instance, NIGHTLY, run_config=allow)
    assert result.success
    assert universe_ready["warehouse"].open().count("prices.daily_ohlcv", "date = ?", [STALE_NIGHT]) > 0


def test_runs_not_launched_by_the_nightly_schedule_are_not_guarded(universe_ready, instance):
    """A backfill of past sessions is not about today's listings."""
    assert _run(universe_ready, instance, {}).success
