"""The proxy pool's rules (lib/proxies.py), on an injected clock: rotation, eviction, re-admission."""

from __future__ import annotations

import pytest

from stock_assets.lib.proxies import (ERROR, OK, THROTTLED, TIMEOUT, PoolExhausted, ProxyConfigError, ProxyPool,
                                      parse_proxy_list)

A, B, C = "http://10.0.0.1:3128", "http://10.0.0.2:3128", "http://10.0.0.3:3128"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_round_robin_over_the_proxies_in_rotation():
    pool = ProxyPool([A, B, C], clock=Clock())
    assert [pool.choose() for _ in range(6)] == [A, B, C, A, B, C]


def test_consecutive_transport_failures_evict_and_a_success_resets_the_count():
    clock = Clock()
    pool = ProxyPool([A, B], max_consecutive_failures=3, clock=clock)
    assert not pool.report(A, TIMEOUT) and not pool.report(A, ERROR)
    assert not pool.report(A, OK)  # the run of failures is broken
    assert not pool.report(A, TIMEOUT) and not pool.report(A, TIMEOUT)
    assert pool.report(A, ERROR)  # third in a row: out
    assert [pool.choose() for _ in range(3)] == [B, B, B]
    assert pool.summary()[0] == {"proxy": A, "requests": 6, "ok": 1, "throttled": 0, "timeouts": 3,
                                "errors": 2, "success_share": round(1 / 6, 3), "evictions": 1,
                                "state": "evicted"}


def test_a_proxy_yahoo_throttles_is_evicted_by_its_success_share_once_its_window_is_full():
    pool = ProxyPool([A, B], window=10, min_success_share=0.5, clock=Clock())
    for _ in range(5):
        assert not pool.report(A, OK)
    for _ in range(4):
        assert not pool.report(A, THROTTLED)  # 429s are not transport failures: no consecutive count
    assert not pool.report(A, OK)  # window full at 6/10 = 0.6: stays
    assert not pool.report(A, THROTTLED)  # the oldest OK drops out: 5/10 = 0.5, not below
    assert pool.report(A, THROTTLED)  # 4/10: below half
    assert pool.summary()[0]["throttled"] == 6


def test_readmission_after_the_cooldown_which_doubles_at_each_eviction_up_to_the_cap():
    clock = Clock()
    pool = ProxyPool([A], max_consecutive_failures=1, cooldown_s=60, max_cooldown_s=200, clock=clock)
    waits = []
    for _ in range(4):
        assert pool.report(pool.choose(), TIMEOUT)
        with pytest.raises(PoolExhausted) as err:
            pool.choose()
        waits.append(err.value.retry_in_s)
        clock.now += err.value.retry_in_s - 0.001
        with pytest.raises(PoolExhausted):
            pool.choose()  # not a moment early
        clock.now += 0.001
    assert waits == [60, 120, 200, 200]
    assert pool.choose() == A and pool.summary()[0]["state"] == "in rotation"


def test_a_readmitted_proxy_starts_with_a_clean_window_and_late_answers_do_not_count():
    clock = Clock()
    pool = ProxyPool([A, B], max_consecutive_failures=2, cooldown_s=10, clock=clock)
    pool.report(A, TIMEOUT)
    assert pool.report(A, TIMEOUT)
    assert not pool.report(A, TIMEOUT)  # an answer of a request sent before the eviction
    assert pool.summary()[0]["timeouts"] == 2
    clock.now += 10
    assert {pool.choose(), pool.choose()} == {A, B}
    assert not pool.report(A, TIMEOUT)  # one failure after re-admission: the old two are forgotten


def test_the_exhausted_pool_says_when_the_first_proxy_comes_back():
    clock = Clock()
    pool = ProxyPool([A, B], max_consecutive_failures=1, cooldown_s=30, clock=clock)
    pool.report(A, ERROR)
    clock.now += 10
    pool.report(B, ERROR)
    with pytest.raises(PoolExhausted, match="all 2 proxies are evicted.*in 20s") as err:
        pool.choose()
    assert err.value.retry_in_s == 20


def test_proxy_lists_are_validated_and_credentials_never_shown():
    assert parse_proxy_list("http://a:1, socks5://b:2\nhttp://a:1 # again\n#comment") == ("http://a:1", "socks5://b:2")
    for bad, why in [("ftp://a:1", "scheme"), ("http://a", "host and a port"), ("http://:8", "host and a port"),
                     ("http://u:pw@a:notaport", "host and a port")]:
        with pytest.raises(ProxyConfigError, match=why) as err:
            parse_proxy_list(bad)
        assert "pw" not in str(err.value)
    pool = ProxyPool(["http://user:pw@10.0.0.9:8080"], clock=Clock())
    assert pool.summary()[0]["proxy"] == "http://10.0.0.9:8080"
    with pytest.raises(ProxyConfigError):
        ProxyPool([])
    with pytest.raises(ProxyConfigError):
        ProxyPool([A], min_success_share=1.5)
