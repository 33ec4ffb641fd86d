"""Price test fixtures: a fake Yahoo on 127.0.0.1 and a YahooPriceSource pointed at it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import pytest

from stock_assets.defs.prices.yahoo import YahooPriceSource
from stock_assets.defs.resources import build_resources
from stock_assets.settings import Settings
from stock_assets_tests.conftest import DEFAULT_TEST_TICKERS, materialize_universe, shared_data
from stock_assets_tests.prices.fake_yahoo import FakeYahoo

RECORDED = ("yahoo_json", "chart_v8_wrapped_node-yahoo-finance2")


@pytest.fixture(scope="session")
def yf_cache_dir(tmp_path_factory) -> str:
    """One yfinance cache dir per test session (yfinance binds its cache location once)."""
    return str(tmp_path_factory.mktemp("yfinance_cache"))


FAKE_TODAY = dt.date(2024, 6, 21)  # the fake market's today: answers stay small, like a nightly run's


@pytest.fixture
def fake_yahoo():
    with FakeYahoo() as fake:
        fake.script.today = FAKE_TODAY
        yield fake


def make_source(fake: FakeYahoo, cache_dir: str, **overrides) -> YahooPriceSource:
    """A source with tiny retry waits and a short timeout: the fault tests stay fast."""
    config = dict(base_url=fake.url, cache_dir=cache_dir, retry_schedule_s=[0.01, 0.02, 0.03],
                  retry_jitter=0.0, timeout_s=1.0, breaker_threshold=50, breaker_cooldown_s=0.3,
                  requests_per_second=500.0, batch_size=10, max_workers=2, threads_per_batch=4)
    config.update(overrides)
    return YahooPriceSource(**config)


@pytest.fixture
def yahoo_source(fake_yahoo, yf_cache_dir):
    return make_source(fake_yahoo, yf_cache_dir)


def recorded(name: str) -> tuple[int, object]:
    """(status, body) of one recorded chart response in ../shared/data (skips when absent)."""
    path: Path = shared_data(*RECORDED, name)
    response = json.loads(path.read_text())["response"]
    body = response.get("bodyJson")
    if body is None:
        body = response.get("body")
        try:
            body = json.loads(body)
        except (TypeError, ValueError):
            pass
    return response["status"], body


@pytest.fixture
def yahoo_resources(data_dir, instance, fake_yahoo, yf_cache_dir) -> dict:
    """Offline resources with a 20-ticker synthetic universe, the price source on the fake Yahoo."""
    settings = Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic", "STOCK_ASSETS_DATA_DIR": str(data_dir),
                                  "STOCK_ASSETS_SYNTHETIC_TICKERS": "20"})
    resources = build_resources(settings)
    materialize_universe(resources, instance)
    return {**resources, "source": make_source(fake_yahoo, yf_cache_dir)}


@pytest.fixture(scope="module")
def universe_warehouse(tmp_path_factory) -> Path:
    """The synthetic universe materialised once for the module (a warehouse file to copy)."""
    data = tmp_path_factory.mktemp("quotes_universe")
    settings = Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic", "STOCK_ASSETS_DATA_DIR": str(data),
                                  "STOCK_ASSETS_SYNTHETIC_TICKERS": str(DEFAULT_TEST_TICKERS)})
    with dg.instance_for_test() as instance:
        materialize_universe(build_resources(settings), instance)
    return data / "warehouse.duckdb"
