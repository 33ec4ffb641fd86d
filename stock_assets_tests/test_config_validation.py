"""Run config and resource config refuse values that do harm, with a message naming the field.

Each value below was accepted before: `retention_days=-1` deleted every snapshot (now
`quote_retention_days`: 0 keeps every day, a negative value is refused),
`max_shrink_share` outside (0, 1) refused every scrape or switched the guard off, a timeout of
0 waited forever, a negative window broke the checks, a bad date said only "month must be in 1..12".
"""


import dagster as dg
import pytest
from pydantic import ValidationError

from stock_assets.defs.automation.maintenance import DeadLetterRetryConfig, RunRetentionConfig, TidyConfig
from stock_assets.defs.dashboard.config import DashboardConfig
from stock_assets.defs.prices.quote_snapshots import QuoteSnapshotConfig
from stock_assets.defs.prices.yahoo.quotes import YahooQuoteSource
from stock_assets.defs.prices.yahoo.source import YahooPriceSource
from stock_assets.defs.quality.config import QaConfig
from stock_assets.defs.universe.assets import UniverseConfig, ticker_universe
from stock_assets.defs.universe.live import LiveUniverseSource
from stock_assets.defs.universe.new_listings import NewListingHistoryConfig
from stock_assets.lib import synthetic

CASES = [
    (UniverseConfig, "max_shrink_share", 0.0), (UniverseConfig, "max_shrink_share", 1.0),
    (UniverseConfig, "max_shrink_share", 1.5), (UniverseConfig, "max_shrink_share", -0.1),
    (UniverseConfig, "max_growth_share", 0.0), (UniverseConfig, "archive_after_days", -1),
    (UniverseConfig, "as_of", "2024-13-01"), (UniverseConfig, "as_of", "yesterday"),
    (UniverseConfig, "as_of", "20240102"),
    (NewListingHistoryConfig, "lookback_days", 0), (NewListingHistoryConfig, "as_of", "2024-02-30"),
    (QuoteSnapshotConfig, "max_age_minutes", 0), (QuoteSnapshotConfig, "max_age_minutes", -5),
    (QuoteSnapshotConfig, "snapshot_at", "noon"), (QuoteSnapshotConfig, "scope", "everything"),
    (TidyConfig, "quote_retention_days", -1),
    (RunRetentionConfig, "keep_days", -1), (RunRetentionConfig, "max_runs", 0),
    (DeadLetterRetryConfig, "session", "2024-6-3"),
    (QaConfig, "min_completeness", 1.5), (QaConfig, "max_lag_sessions", -1), (QaConfig, "max_move", 0.0),
    (QaConfig, "iqr_multiplier", -1.0), (QaConfig, "iqr_min_history", 0), (QaConfig, "volume_z", 0.0),
    (QaConfig, "volume_window", 1), (QaConfig, "volume_window", -5), (QaConfig, "lookback_sessions", -1),
    (QaConfig, "max_fetch_error_share", -0.1), (QaConfig, "max_latency_p95_ms", 0.0),
    (DashboardConfig, "window_days", 0), (DashboardConfig, "max_behind_sessions", -1),
    (DashboardConfig, "jump_threshold", 0.0), (DashboardConfig, "as_of", "2024-13-01"),
]
REQUIRED = {NewListingHistoryConfig: {"symbols": ["AAPL"]}}


@pytest.mark.parametrize("cls, field, value", CASES, ids=[f"{c.__name__}.{f}={v!r}" for c, f, v in CASES])
def test_harmful_run_config_is_refused_naming_the_field(cls, field, value):
    with pytest.raises(ValidationError) as err:
        cls(**REQUIRED.get(cls, {}), **{field: value})
    assert err.value.errors()[0]["loc"] == (field,)
    assert str(err.value).splitlines()[1] == field


@pytest.mark.parametrize("cls", sorted({c for c, _, _ in CASES}, key=lambda c: c.__name__))
def test_the_defaults_are_valid(cls):
    cls(**REQUIRED.get(cls, {}))


@pytest.mark.parametrize("make, field", [
    (lambda: YahooPriceSource(timeout_s=0), "timeout_s"),
    (lambda: YahooQuoteSource(timeout_s=0), "timeout_s"),
    (lambda: YahooQuoteSource(batch_size=0), "batch_size"),
    (lambda: YahooQuoteSource(batch_size=5000), "batch_size"),
    (lambda: LiveUniverseSource(sources=["sp500"], timeout_seconds=0), "timeout_seconds"),
    (lambda: LiveUniverseSource(sources=["sp500"], retry_delays_seconds=[2.0, -1.0]), "retry_delays_seconds"),
])
def test_harmful_resource_config_is_refused_naming_the_field(make, field):
    with pytest.raises(ValidationError) as err:
        make()
    assert err.value.errors()[0]["loc"] == (field,)


def test_a_bad_as_of_fails_the_step_naming_the_field_before_any_write(offline_resources, instance, warehouse):
    result = dg.materialize(
        [ticker_universe], resources=offline_resources, instance=instance, raise_on_error=False,
        run_config={"ops": {"ticker_universe": {"config": {"as_of": "2024-13-01"}}}},
    )
    assert not result.success
    message = result.failure_data_for_node("ticker_universe").error.cause.message
    assert "as_of" in message and "'2024-13-01' is not a date written YYYY-MM-DD" in message
    assert warehouse.count("universe.tickers") == 0


def test_the_synthetic_market_refuses_more_tickers_than_its_symbol_space():
    with pytest.raises(ValueError, match="only 474552"):
        synthetic.tickers(synthetic.SYMBOL_SPACE + 1)
