"""`lib/http.fetch_text`: file:// reads, retries of transient failures, SCRAPE_HTTP on the rest.

Against a 127.0.0.1 server the test starts; never the internet.
"""

import time

import pytest
import urllib3

from stock_assets.lib import http
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


# -- the body read piece by piece (a fake answer: no server needed) --


class _Raw:
    def __init__(self, pieces):
        self.pieces = list(pieces)

    def read1(self, _size, decode_content=True):
        piece = self.pieces.pop(0) if self.pieces else b""
        if isinstance(piece, Exception):
            raise piece
        return piece


class _Answer:
    def __init__(self, status, pieces, declared=None):
        self.status_code, self.raw = status, _Raw(pieces)
        self.headers = {"Content-Length": str(declared)} if declared is not None else {}

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return False


def _serve(monkeypatch, *answers):
    """requests.request answers with `answers` in turn; returns the list of calls made."""
    calls, queue = [], list(answers)

    def fake(method, url, **kwargs):
        calls.append((method, url, kwargs))
        return queue.pop(0) if len(queue) > 1 else queue[0]
    monkeypatch.setattr(http.requests, "request", fake)
    return calls


def test_a_body_of_exactly_the_cap_is_accepted_and_one_byte_more_is_not(monkeypatch):
    _serve(monkeypatch, _Answer(200, [b"1234", b"5678"]))
    assert http.request("GET", "http://x.test/", timeout=1, max_bytes=8) == http.Answer(200, b"12345678")
    _serve(monkeypatch, _Answer(200, [b"1234", b"56789"]))
    with pytest.raises(http.BodyTooLarge, match="cap of 8 bytes"):
        http.request("GET", "http://x.test/", timeout=1, max_bytes=8)


def test_an_error_answer_is_reported_by_its_status_whatever_length_it_declares(monkeypatch):
    """A 400 that declares a huge body is a 400 (the URL is wrong), not 'too large'."""
    _serve(monkeypatch, _Answer(400, [b"bad request"], declared=10**9))
    answer = http.request("GET", "http://x.test/", timeout=1, max_bytes=100)
    assert (answer.status, answer.body, answer.ok) == (400, b"bad request", False)
    _serve(monkeypatch, _Answer(200, [b"x"], declared=10**9))
    with pytest.raises(http.BodyTooLarge, match="says it is 1000000000 bytes"):
        http.request("GET", "http://x.test/", timeout=1, max_bytes=100)


def test_a_connection_broken_mid_body_is_retried_never_taken_as_the_whole_answer(monkeypatch):
    broken = urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead(10 bytes read)")
    calls = _serve(monkeypatch, _Answer(200, [b"Symbol|Sec", broken]), _Answer(200, [b"Symbol|Security Name\n"]))
    assert fetch_text("http://x.test/list.txt", policy=NO_WAIT) == "Symbol|Security Name\n"
    assert len(calls) == 2
    _serve(monkeypatch, *[_Answer(200, [b"Symbol|Sec", broken]) for _ in range(4)])
    with pytest.raises(CodedError, match=r"connection failed: connection broke while reading.*gave up after 4 attempts"):
        fetch_text("http://x.test/list.txt", policy=NO_WAIT)


def test_the_default_policy_retries_three_times_after_2_5_and_15_seconds(http_server):
    """docs/error_codes.md (SCRAPE_HTTP): 3 retries, 2, 5, 15 s (with +/- 20 % jitter)."""
    http_server.routes["/down"] = (503, "busy", 0)
    sleeps = []
    with pytest.raises(CodedError, match="gave up after 4 attempts"):
        fetch_text(http_server.url + "/down", sleep=sleeps.append)
    assert len(sleeps) == 3
    assert all(base * 0.8 <= s <= base * 1.2 for s, base in zip(sleeps, (2.0, 5.0, 15.0), strict=True))


def test_a_missing_file_names_the_path_and_the_cause(tmp_path):
    path = tmp_path / "nope.txt"
    with pytest.raises(CodedError) as err:
        fetch_text(path.as_uri())
    assert str(err.value).endswith(f"cannot read {path}: No such file or directory")
