"""The alert rules without a daemon: crossings, throttling, cursor round trips, message shape."""

import json

from stock_assets.lib.alerting import QUIET, SEND, THROTTLED, Alert, AlertCursor

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
