"""Every Yahoo request through the proxy pool: real HTTP proxies on 127.0.0.1 in front of a fake Yahoo.

What a user configuring `STOCK_ASSETS_PROXIES` relies on: the requests are spread over the
proxies, a dead proxy is taken out without losing a symbol, their own address never reaches
Yahoo unless they allow it, and the fetch report says how each proxy did.
"""

from __future__ import annotations

import datetime as dt

import pytest

from stock_assets.lib import calendar
from stock_assets.lib.errors import ErrorCode
from stock_assets.lib.proxies import ProxyConfigError
from stock_assets_tests.prices.conftest import make_source
from stock_assets_tests.prices.http_proxy import ForwardingProxy

SESSIONS = calendar.sessions_between(dt.date(2024, 6, 10), dt.date(2024, 6, 12))
SYMBOLS = [f"P{i:02d}" for i in range(12)]


def _source(fake, cache_dir, proxies, **overrides):
    # a generous timeout: on a loaded machine a slow answer must not look like a failing proxy
    config = dict(proxies=",".join(p.url for p in proxies), batch_size=0, max_workers=2, threads_per_batch=2,
                  timeout_s=10.0)
    config.update(overrides)
    return make_source(fake, cache_dir, **config)


def test_requests_are_spread_over_the_proxies_and_none_goes_direct(fake_yahoo, yf_cache_dir):
    with ForwardingProxy() as one, ForwardingProxy() as two:
        result = _source(fake_yahoo, yf_cache_dir, [one, two]).fetch_range(SYMBOLS, SESSIONS)
    assert result.failures == []
    assert result.bars.height == len(SYMBOLS) * len(SESSIONS)
    assert fake_yahoo.unproxied == 0, "a request reached Yahoo without a proxy"
    assert one.relayed > 0 and two.relayed > 0
    assert abs(one.relayed - two.relayed) <= 2, (one.relayed, two.relayed)  # round-robin
    figures = {p["proxy"]: p for p in result.stats["proxies"]}
    assert figures[one.url]["requests"] == one.relayed and figures[two.url]["requests"] == two.relayed
    assert all(p["state"] == "in rotation" and p["evictions"] == 0 for p in figures.values())


@pytest.mark.parametrize("mode", ["refuse", "bad_gateway"])
def test_a_dead_proxy_is_evicted_and_no_symbol_is_lost(fake_yahoo, yf_cache_dir, mode):
    with ForwardingProxy() as good, ForwardingProxy(mode=mode) as dead:
        lines: list[str] = []
        result = _source(fake_yahoo, yf_cache_dir, [dead, good]).fetch_range(SYMBOLS, SESSIONS, log=lines.append)
    assert result.failures == []
    assert result.bars.height == len(SYMBOLS) * len(SESSIONS)
    assert result.stats["retries"] == 0, "a request the dead proxy failed went through the next one at once"
    figures = {p["proxy"]: p for p in result.stats["proxies"]}
    assert figures[dead.url]["state"] == "evicted" and figures[dead.url]["evictions"] == 1
    assert figures[dead.url]["ok"] == 0 and figures[dead.url]["requests"] == 3  # three failures in a row, then out
    assert figures[good.url]["requests"] == good.relayed > 0
    assert fake_yahoo.unproxied == 0
    assert any("taken out of the rotation" in line and dead.url in line for line in lines)


def test_a_dead_pool_never_goes_direct_unless_allowed(fake_yahoo, yf_cache_dir):
    with ForwardingProxy(mode="refuse") as dead:
        refused = _source(fake_yahoo, yf_cache_dir, [dead], proxy_wait_s=0.0, proxy_cooldown_s=30.0,
                          retry_schedule_s=[0.01]).fetch_range(SYMBOLS[:3], SESSIONS)
        assert fake_yahoo.unproxied == 0 and fake_yahoo.chart_requests == 0
        assert refused.bars.height == 0
        assert {f.symbol: f.code for f in refused.failures} == {s: ErrorCode.YFPROXY for s in SYMBOLS[:3]}
        assert "direct connection is not allowed" in refused.failures[0].message

        allowed = _source(fake_yahoo, yf_cache_dir, [dead], proxy_wait_s=0.0, proxy_cooldown_s=30.0,
                          proxy_fallback_direct=True).fetch_range(SYMBOLS[:3], SESSIONS)
    assert allowed.failures == [] and allowed.bars.height == 3 * len(SESSIONS)
    assert allowed.stats["direct_requests"] == fake_yahoo.unproxied > 0


def test_the_fetch_report_row_keeps_the_per_proxy_figures(fake_yahoo, yf_cache_dir, tmp_path):
    import json

    from stock_assets.defs.prices.records import record_fetch
    from stock_assets.storage.warehouse import Warehouse

    with ForwardingProxy() as one:
        result = _source(fake_yahoo, yf_cache_dir, [one]).fetch_range(SYMBOLS[:2], SESSIONS)
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.ensure_schema()
    report = record_fetch(wh, result, [], "run1", "yahoo", list(SESSIONS), 2, 1.0, dt.datetime(2024, 6, 12, 22))
    stored = json.loads(wh.query("SELECT proxies FROM ops.fetch_reports WHERE run_id = 'run1'").item())
    assert stored == report["proxies"] == result.stats["proxies"]
    assert stored[0]["proxy"] == one.url and stored[0]["ok"] == one.relayed


def test_a_bad_proxy_list_fails_the_run_naming_the_entry(fake_yahoo, yf_cache_dir, tmp_path):
    with pytest.raises(ProxyConfigError, match="ftp://10.0.0.1:21"):
        make_source(fake_yahoo, yf_cache_dir, proxies="http://127.0.0.1:3128,ftp://10.0.0.1:21").proxy_pool()
    listing = tmp_path / "proxies.txt"
    listing.write_text("# office proxies\nhttp://user:secret@127.0.0.1:3128\n\nhttp://127.0.0.1:3129  # spare\n")
    pool = make_source(fake_yahoo, yf_cache_dir, proxies=f"file://{listing}").proxy_pool()
    assert [p["proxy"] for p in pool.summary()] == ["http://127.0.0.1:3128", "http://127.0.0.1:3129"]
    assert "secret" not in repr(pool.summary())
