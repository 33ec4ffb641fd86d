"""`lib/http.fetch_text`: file:// reads, retries of transient failures, SCRAPE_HTTP on the rest.

Against a 127.0.0.1 server the test starts; never the internet.
"""

import time

import pytest

from stock_assets.lib.errors import CodedError, ErrorCode
from stock_assets.lib.http import USER_AGENT, fetch_text
from stock_assets.lib.retry import RetryPolicy
from stock_assets_tests.hostile_server import hostile_server  # noqa: F401 - a fixture

NO_WAIT = RetryPolicy(schedule=(0.0, 0.0, 0.0))


def test_file_url_reads_from_disk(tmp_path):
    path = tmp_path / "a b.txt"
    path.write_text("Symbol|x\n")
    assert fetch_text(path.as_uri()) == "Symbol|x\n"


def test_missing_file_is_scrape_http(tmp_path):
    with pytest.raises(CodedError) as err:
        fetch_text((tmp_path / "nope.txt").as_uri())
    assert err.value.code == ErrorCode.SCRAPE_HTTP


def test_ok_sends_user_agent(http_server):
    http_server.routes["/ok"] = (200, "hello", 0)
    assert fetch_text(http_server.url + "/ok", policy=NO_WAIT) == "hello"
    assert http_server.agents == [USER_AGENT]


def test_500_is_retried_three_times_then_scrape_http(http_server):
    http_server.routes["/down"] = (500, "oops", 0)
    with pytest.raises(CodedError) as err:
        fetch_text(http_server.url + "/down", policy=NO_WAIT)
    assert err.value.code == ErrorCode.SCRAPE_HTTP
    assert "HTTP 500" in str(err.value) and "4 attempts" in str(err.value)
    assert http_server.hits["/down"] == 4


def test_404_is_not_retried(http_server):
    with pytest.raises(CodedError, match="HTTP 404"):
        fetch_text(http_server.url + "/missing", policy=NO_WAIT)
    assert http_server.hits["/missing"] == 1


def test_timeout_is_retried_then_scrape_http(http_server):
    http_server.routes["/slow"] = (200, "late", 1.0)
    with pytest.raises(CodedError) as err:
        fetch_text(http_server.url + "/slow", timeout=0.2, policy=RetryPolicy(schedule=(0.0,)))
    assert err.value.code == ErrorCode.SCRAPE_HTTP and "timed out" in str(err.value)
    assert http_server.hits["/slow"] == 2


def test_unsupported_scheme():
    with pytest.raises(CodedError, match="unsupported URL scheme"):
        fetch_text("ftp://example.invalid/x")


# -- an overall deadline and a size cap (a server dripping one byte at a time, or without end) --


def test_a_dripping_server_is_cut_off_at_the_overall_deadline(hostile_server):
    started = time.monotonic()
    with pytest.raises(CodedError) as err:
        fetch_text(hostile_server.url + "/drip", timeout=5.0, deadline=1.0, policy=NO_WAIT)
    elapsed = time.monotonic() - started
    assert err.value.code == ErrorCode.SCRAPE_HTTP and "deadline" in str(err.value)
    assert elapsed < 4.0  # bytes kept arriving: a per-read timeout of 5 s alone never fires
    assert hostile_server.hits["/drip"] == 1  # not retried: a deadline is not a blip


def test_an_endless_body_is_cut_off_at_the_size_cap(hostile_server):
    with pytest.raises(CodedError) as err:
        fetch_text(hostile_server.url + "/endless", timeout=5.0, max_bytes=1_000_000, policy=NO_WAIT)
    assert err.value.code == ErrorCode.SCRAPE_HTTP and "1000000 bytes" in str(err.value)


def test_a_server_that_stalls_mid_body_is_a_coded_timeout_and_retried(hostile_server):
    # The body is read piece by piece: a read timeout there must surface as requests' own, coded.
    with pytest.raises(CodedError) as err:
        fetch_text(hostile_server.url + "/stall", timeout=1.0, policy=RetryPolicy(schedule=(0.0,)))
    assert err.value.code == ErrorCode.SCRAPE_HTTP and "timed out" in str(err.value)
    assert hostile_server.hits["/stall"] == 2
