"""The alert rules without a daemon: crossings, throttling, cursor round trips, message shape."""

import json

from stock_assets.lib.alerting import (
    MAX_DELIVERY_ATTEMPTS,
    QUIET,
    SEND,
    THROTTLED,
    Alert,
    AlertCursor,
    warn_escalation,
)

HOUR = 3600.0


def test_status_alerts_only_on_crossing_into_red_and_throttle_per_key():
    c = AlertCursor()
    assert c.on_status("check:a:x", False, now=0, window=HOUR) == QUIET
    assert c.on_status("check:a:x", True, now=10, window=HOUR) == SEND
    assert c.on_status("check:a:x", True, now=20, window=HOUR) == QUIET  # still red
    assert c.on_status("check:b:y", True, now=25, window=HOUR) == SEND  # another key is not throttled
    assert c.on_status("check:a:x", False, now=30, window=HOUR) == QUIET
    assert c.on_status("check:a:x", True, now=40, window=HOUR) == THROTTLED  # crossing again within the window
    assert c.on_status("check:a:x", False, now=50, window=HOUR) == QUIET
    assert c.on_status("check:a:x", True, now=10 + HOUR, window=HOUR) == SEND  # window over


def test_event_alerts_are_throttled_per_key():
    c = AlertCursor()
    assert [c.on_event("run:j", t, HOUR) for t in (0, 100, HOUR - 1, HOUR)] == [SEND, THROTTLED, THROTTLED, SEND]


def test_cursor_round_trip_keeps_state_and_forgets_expired_sends():
    c = AlertCursor(marks={"after": 12.5, "seen": ["r1"]})
    c.on_status("check:a:x", True, now=0, window=HOUR)
    c.on_event("run:old", now=-2 * HOUR, window=HOUR)
    text = c.dump(now=10, window=HOUR)
    again = AlertCursor.load(text)
    assert again.red == ["check:a:x"] and again.marks == {"after": 12.5, "seen": ["r1"]}
    assert set(again.sent) == {"check:a:x"}  # the old send no longer throttles anything
    assert again.on_status("check:a:x", True, now=20, window=HOUR) == QUIET  # reloaded: no resend
    assert AlertCursor.load(None).red == [] and json.loads(text)["marks"]["after"] == 12.5


def test_message_says_what_where_how_many_and_links():
    alert = Alert(key="check:daily_ohlcv:completeness", title="Check failed: daily_ohlcv / completeness",
                  details="check failed with severity ERROR", partition="2024-06-14", rows=17, run_id="abc",
                  url="http://ui:3000/runs/abc", kind="check_failure")
    lines = alert.text().splitlines()
    assert lines[0].endswith("Check failed: daily_ohlcv / completeness")
    assert lines[1:] == ["check failed with severity ERROR", "partition: 2024-06-14", "rows: 17", "run: abc",
                         "http://ui:3000/runs/abc"]
    payload = alert.payload()
    assert payload["kind"] == "check_failure" and payload["rows"] == 17 and payload["text"] == alert.text()
    assert json.loads(json.dumps(payload)) == payload


def test_a_failed_delivery_is_pending_until_the_last_try_then_lost():
    c = AlertCursor()
    alert = Alert(key="run:j", title="Run failed: j", details="boom", run_id="r1")
    assert c.after_delivery(alert, [], attempts=1, now=0) == "delivered"
    assert c.pending == [] and c.lost == []
    for attempt in range(1, MAX_DELIVERY_ATTEMPTS):
        assert c.after_delivery(alert, ["webhook"], attempts=attempt, now=attempt) == "pending"
        [(again, targets, tries)] = c.take_pending()  # taken out: the next tick tries it again
        assert (again, targets, tries) == (alert, ["webhook"], attempt) and c.pending == []
    assert c.after_delivery(alert, ["webhook", "telegram"], attempts=MAX_DELIVERY_ATTEMPTS, now=99) == "lost"
    assert c.pending == [] and c.lost == [{"key": "run:j", "title": "Run failed: j", "run_id": "r1",
                                           "targets": ["webhook", "telegram"], "attempts": MAX_DELIVERY_ATTEMPTS,
                                           "at": 99}]


def test_pending_alerts_survive_a_cursor_round_trip_and_only_the_newest_lost_are_kept():
    """docs/alerts.md: a lost alert is kept in the cursor's `lost` list, the newest 20."""
    c = AlertCursor()
    c.after_delivery(Alert(key="check:a:x", title="t", details="d", rows=3), ["telegram"], attempts=2, now=0)
    for n in range(25):
        c.after_delivery(Alert(key=f"run:{n}", title="t", details="d"), ["webhook"], MAX_DELIVERY_ATTEMPTS, now=n)
    again = AlertCursor.load(c.dump(now=0, window=HOUR))
    assert again.take_pending() == [(Alert(key="check:a:x", title="t", details="d", rows=3), ["telegram"], 2)]
    assert [lost["key"] for lost in again.lost] == [f"run:{n}" for n in range(5, 25)]


def test_warn_findings_that_alert_say_why():
    assert warn_escalation("lag", {"lagging_symbols": 26, "universe_symbols": 500}) == (
        "26 of 500 symbols lag (5.2%), over the 5% of the universe that alerts")
    assert warn_escalation("fetch_errors", {"worst_latency_p95_ms": 10_001.0, "max_latency_p95_ms": 5000.0}) == (
        "API latency p95 10001 ms, over 2x its threshold of 5000 ms")
    assert warn_escalation("lag", {"worst_latency_p95_ms": 10_001.0, "max_latency_p95_ms": 5000.0}) is None
    assert warn_escalation("fetch_errors", {"lagging_symbols": 26, "universe_symbols": 500}) is None
