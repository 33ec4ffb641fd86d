"""Yahoo's batch quote endpoint through yfinance's session, against a fake Yahoo on 127.0.0.1."""

import datetime as dt
import shutil

import dagster as dg
import pytest

from stock_assets.defs.prices.quote_snapshots import quote_snapshots
from stock_assets.defs.prices.yahoo.quotes import YahooQuoteSource
from stock_assets.lib.errors import ErrorCode
from stock_assets_tests.prices.fake_yahoo import FakeYahoo

AT = dt.datetime(2024, 6, 10, 15, 0, tzinfo=dt.UTC)  # 11:00 ET on a Monday: XNYS in regular hours


@pytest.fixture
def fake():
    with FakeYahoo() as server:
        server.script.quote_time = AT.timestamp() - 60
        yield server


def source(fake: FakeYahoo, **overrides) -> YahooQuoteSource:
    return YahooQuoteSource(**{"base_url": fake.url, "timeout_s": 5.0, "breaker_cooldown_s": 0.2, **overrides})


def symbols(n: int) -> list[str]:
    return [f"Q{i:04d}" for i in range(n)]


def test_batches_at_a_limit_the_fetch_is_not_told_lose_nothing(fake):
    fake.script.rate_limit = 3  # requests per second, whatever their size; the fetch starts at 100/s
    wanted = symbols(1200)
    result = source(fake, batch_size=100).snapshot(wanted, AT, {s: True for s in wanted})
    assert result.failures == []
    assert sorted(result.rows["symbol"].to_list()) == wanted
    assert fake.quote_batches == [100] * 12  # each symbol asked once by an admitted request
    statuses = [status for _, status in fake.quote_arrivals]
    assert statuses.count(429) > 0  # it met the limit ...
    assert result.stats["requeued"] == statuses.count(429)  # ... and every throttled request went again
    assert 2 <= result.stats["limit_estimate"] <= 4


def test_a_length_limit_the_fetch_is_not_told_is_found_by_splitting(fake):
    fake.script.quote_max_symbols = 30
    wanted = symbols(100)
    result = source(fake, batch_size=100).snapshot(wanted, AT, {})
    assert result.failures == []
    assert sorted(result.rows["symbol"].to_list()) == wanted
    assert max(fake.quote_batches) <= 30 and sum(fake.quote_batches) == 100


def test_one_refused_symbol_costs_only_itself(fake):
    fake.script.quote_refuse = {"Q0042"}
    wanted = symbols(100)
    result = source(fake, batch_size=100).snapshot(wanted, AT, {})
    assert [(f.symbol, f.code) for f in result.failures] == [("Q0042", ErrorCode.YFHTTP4XX)]
    assert result.rows.height == 99


def test_an_outage_ends_coded_for_every_symbol_not_lost(fake):
    fake.script.error_share = 1.0  # every admitted request answers 500
    wanted = symbols(20)
    result = source(fake, batch_size=10, max_passes=2).snapshot(wanted, AT, {})
    assert result.rows.height == 0
    assert sorted(f.symbol for f in result.failures) == wanted
    assert {f.code for f in result.failures} == {ErrorCode.YFHTTP5XX}


@pytest.fixture
def yahoo_resources(universe_warehouse, offline_resources, data_dir, fake):
    shutil.copy(universe_warehouse, data_dir / "warehouse.duckdb")
    return {**offline_resources, "quotes": source(fake, batch_size=25)}


def test_materialize_through_yahoo_rejects_stale_quotes_and_records_every_failure(yahoo_resources, instance, fake,
                                                                                 warehouse, data_dir):
    active = warehouse.query("SELECT yahoo_symbol FROM universe.tickers WHERE status = 'active' ORDER BY 1")
    stale, fund, unknown, *rest = active["yahoo_symbol"].to_list()
    fake.script.quote_items = {stale: {"regularMarketTime": int(AT.timestamp()) - 6 * 60},
                               fund: {"regularMarketPrice": None, "currency": None, "quoteType": "MUTUALFUND"}}
    fake.script.quote_unknown = {unknown}
    result = dg.materialize([quote_snapshots], resources=yahoo_resources, instance=instance, run_config={
        "ops": {"quote_snapshots": {"config": {"snapshot_at": AT.isoformat(), "scope": "open"}}}})
    assert result.success
    errors = dict(warehouse.query("SELECT symbol, code FROM ops.fetch_errors").rows())
    assert errors == {stale: "YFSTALE", fund: "YFNOPRICE", unknown: "YFNOQUOTE"}
    stored = warehouse.query("SELECT symbol FROM prices.quote_snapshots ORDER BY 1")["symbol"].to_list()
    assert stored == sorted(rest)
    assert warehouse.count("universe.fundamentals") == len(rest)
    assert sum(fake.quote_batches) == len(active) and max(fake.quote_batches) <= 25
    mat = result.asset_materializations_for_node("quote_snapshots")[0]
    assert mat.metadata["failures_by_code"].value == {"YFNOPRICE": 1, "YFNOQUOTE": 1, "YFSTALE": 1}
    # the same old quote on a Saturday is the last trade of a closed market: stored, not stale
    saturday = AT + dt.timedelta(days=5)
    fake.script.quote_time = saturday.timestamp() - 60
    fake.script.quote_items[stale] = {"regularMarketTime": int(saturday.timestamp()) - 6 * 3600}
    assert dg.materialize([quote_snapshots], resources=yahoo_resources, instance=instance, run_config={
        "ops": {"quote_snapshots": {"config": {"snapshot_at": saturday.isoformat(), "scope": "all"}}}}).success
    assert warehouse.count("prices.quote_snapshots", "symbol = ?", [stale]) == 1


def test_quote_requests_go_through_the_proxy_pool_when_set(fake):
    from stock_assets_tests.prices.http_proxy import ForwardingProxy

    wanted = symbols(60)
    with ForwardingProxy() as one, ForwardingProxy() as two:
        result = source(fake, batch_size=10, proxies=f"{one.url},{two.url}").snapshot(wanted, AT, {})
    assert result.failures == [] and result.rows.height == 60
    assert fake.unproxied == 0, "a quote (or cookie/crumb) request reached Yahoo without a proxy"
    assert one.relayed > 0 and two.relayed > 0
