"""Frames, the backoff schedule, chunks, the heartbeat and the staleness rule (pure, injected clocks)."""

import datetime as dt
import inspect
import random

import pytest
import yfinance.live

from stock_assets.lib.stream import messages, status
from stock_assets.lib.stream.backoff import Backoff, GaveUp, chunks
from stock_assets.stream.runner import DEFAULT_URL
from stock_assets_tests.conftest import shared_data

OPEN_MONDAY = dt.datetime(2024, 6, 3, 14, 30, tzinfo=dt.UTC)  # 10:30 New York, a session
SATURDAY = dt.datetime(2024, 6, 8, 15, 0, tzinfo=dt.UTC)


def test_the_real_yahoo_message_decodes_to_the_values_yfinance_expects():
    text = shared_data("yahoo_ws", "BTC-USD_2025-01-10_PricingData.b64.txt").read_text()
    tick = messages.decode('{"type": "pricing", "message": "%s"}' % text)
    assert tick == messages.Tick("BTC-USD", dt.datetime(2025, 1, 10, 11, 39, tzinfo=dt.UTC), 94745.08,
                                 59712028672, "USD", "CCC")


def test_our_frames_round_trip_and_match_yfinance_protocol():
    assert DEFAULT_URL == inspect.signature(yfinance.live.WebSocket).parameters["url"].default
    frame = messages.encode("AAPL", OPEN_MONDAY, 191.25, 1234)
    assert messages.decode(frame) == messages.Tick("AAPL", OPEN_MONDAY, 191.25, 1234)
    assert yfinance.live.BaseWebSocket()._decode_message(__import__("json").loads(frame)["message"])["id"] == "AAPL"
    assert messages.subscribe_message(["A", "B"]) == '{"subscribe": ["A", "B"]}'


@pytest.mark.parametrize("frame, kind", [
    ("not json at all", messages.NOT_JSON),
    ('{"type": "heartbeat"}', messages.NOT_PRICING),
    ('{"type": "pricing", "message": "@@not base64@@"}', messages.BAD_BASE64),
    ('{"type": "pricing", "message": "/////w=="}', messages.BAD_PROTOBUF),
    ('{"type": "pricing", "message": ""}', messages.INCOMPLETE),
])
def test_garbage_is_named_never_raised(frame, kind):
    assert messages.decode(frame).kind == kind


def test_backoff_is_jittered_capped_and_bounded():
    backoff = Backoff(base_seconds=1, cap_seconds=8, jitter=0.5, max_attempts=6, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(6)]
    ceilings = [1, 2, 4, 8, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == 6  # jittered
    with pytest.raises(GaveUp, match="6 connection attempts"):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 1



@pytest.mark.parametrize("bad", [dict(base_seconds=0), dict(cap_seconds=0.5), dict(factor=0.9), dict(jitter=1.1),
                                 dict(jitter=-0.1), dict(max_attempts=0)])
def test_an_unusable_schedule_is_refused(bad):
    with pytest.raises(ValueError, match="not a usable schedule"):
        Backoff(**bad)


def test_without_jitter_the_schedule_is_exact_and_the_edges_are_allowed():
    backoff = Backoff(base_seconds=1, cap_seconds=1, factor=1, jitter=0, max_attempts=1)
    assert backoff.next_delay() == 1.0


def test_chunks():
    assert list(chunks(["A", "B", "C", "D", "E"], 2)) == [["A", "B"], ["C", "D"], ["E"]]
    with pytest.raises(ValueError):
        list(chunks(["A"], 0))


def beat(**kw):
    base = dict(written_at=OPEN_MONDAY, pid=1, state=status.STREAMING, connected=True,
                last_message_at=OPEN_MONDAY, calendars=("XNYS",))
    return status.Heartbeat(**{**base, **kw})


def test_heartbeat_round_trips():
    hb = beat(counts={"added": 3}, service="stock-assets-stream")
    assert status.Heartbeat.from_json(hb.to_json()) == hb


def test_the_stream_is_never_stale_outside_its_markets_hours():
    verdict = status.judge(None, SATURDAY)
    assert not verdict.stale and not verdict.in_hours and "next open 2024-06-10 13:30" in verdict.reason


def test_stale_in_hours_when_silent_dead_or_never_run():
    later = OPEN_MONDAY + dt.timedelta(seconds=200)
    assert not status.judge(beat(), OPEN_MONDAY + dt.timedelta(seconds=100)).stale
    silent = status.judge(beat(written_at=later), later)
    assert silent.stale and "no message for 200 s" in silent.reason
    dead = status.judge(beat(), later)
    assert dead.stale and "has not written its heartbeat for 200 s" in dead.reason
    assert status.judge(None, OPEN_MONDAY).stale


def test_the_open_counts_as_a_fresh_start():
    yesterday = OPEN_MONDAY - dt.timedelta(days=3)
    just_opened = dt.datetime(2024, 6, 3, 13, 31, tzinfo=dt.UTC)  # one minute after the 9:30 open
    assert not status.judge(beat(written_at=just_opened, last_message_at=yesterday), just_opened).stale
    assert status.judge(beat(written_at=just_opened + dt.timedelta(minutes=4), last_message_at=yesterday),
                        just_opened + dt.timedelta(minutes=4)).stale


def test_cme_evening_counts_as_market_hours():
    sunday_evening = dt.datetime(2024, 6, 2, 23, 0, tzinfo=dt.UTC)  # 18:00 CT: Monday's Globex session
    assert [w.calendar for w in status.open_windows(("XNYS", "CMES"), sunday_evening)] == ["CMES"]
