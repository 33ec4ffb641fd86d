"""Alert delivery that can fail: retried with a bound, then recorded as lost; secrets never shown;
a dripping or endless endpoint cut off; WARN lag and latency findings escalated by policy.

The defects: a failed POST counted as sent (the cursor moved on, the alert was gone); the webhook
URL (itself the credential) shown in the UI's resource config and in error logs; alert POSTs bound
only per read; WARN lag never alerted however many symbols lagged.
"""

import time

import dagster as dg

from stock_assets.defs.automation.alert_senders import HttpAlertSender, alert_sender
from stock_assets.defs.automation.alerts import asset_check_alerts, run_failure_alerts
from stock_assets.lib.alerting import MAX_DELIVERY_ATTEMPTS, Alert, AlertCursor, warn_escalation
from stock_assets.settings import Settings
from stock_assets_tests.automation.test_alerts import UI, definitions, fail_once, tick
from stock_assets_tests.automation.test_alerts import receiver  # noqa: F401 - a fixture
from stock_assets_tests.hostile_server import hostile_server  # noqa: F401 - a fixture

SECRET_PATH = "/services/T000/B000/SECRETPATH"
SECRET_QUERY = "token=SECRETQUERY"


def test_a_failed_delivery_is_retried_on_later_ticks_and_delivered(receiver, instance):
    receiver.status = 503
    defs = definitions(HttpAlertSender(webhook_url=f"{receiver.url}/hook", ui_base_url=UI, retry_delays=[0.0]))
    cursor = tick(run_failure_alerts, defs, instance, None)
    run_id = fail_once(defs, instance)
    cursor = tick(run_failure_alerts, defs, instance, cursor)
    assert len(receiver.posts) == 2  # the POST and its one in-call retry, both refused
    assert [p["alert"]["run_id"] for p in AlertCursor.load(cursor).pending] == [run_id]
    receiver.status = 200
    cursor = tick(run_failure_alerts, defs, instance, cursor)
    assert len(receiver.posts) == 3 and receiver.posts[-1][1]["run_id"] == run_id  # delivered on the next tick
    assert AlertCursor.load(cursor).pending == [] and AlertCursor.load(cursor).lost == []
    tick(run_failure_alerts, defs, instance, cursor)
    assert len(receiver.posts) == 3  # and only once


def test_an_alert_that_never_gets_through_is_recorded_as_lost_after_the_bound(receiver, instance, capfd):
    receiver.status = 500
    defs = definitions(HttpAlertSender(webhook_url=f"{receiver.url}/hook", ui_base_url=UI, retry_delays=[0.0]))
    cursor = tick(run_failure_alerts, defs, instance, None)
    run_id = fail_once(defs, instance)
    for _ in range(MAX_DELIVERY_ATTEMPTS + 2):
        cursor = tick(run_failure_alerts, defs, instance, cursor)
    state = AlertCursor.load(cursor)
    assert len(receiver.posts) == 2 * MAX_DELIVERY_ATTEMPTS  # bounded: no POST after the last attempt
    assert state.pending == []
    assert [(lost["key"], lost["run_id"], lost["attempts"]) for lost in state.lost] == [
        ("run:failing_job", run_id, MAX_DELIVERY_ATTEMPTS)]
    logged = capfd.readouterr().err  # the sensor's tick log
    assert f"alert LOST after {MAX_DELIVERY_ATTEMPTS} tries: run:failing_job" in logged and run_id in logged


def test_the_webhook_url_is_a_secret_env_var_and_redacted_from_errors(monkeypatch, data_dir, caplog):
    url = f"http://127.0.0.1:9{SECRET_PATH}?{SECRET_QUERY}"  # port 9: refused at once
    monkeypatch.setenv("STOCK_ASSETS_ALERT_WEBHOOK_URL", url)
    settings = Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic", "STOCK_ASSETS_DATA_DIR": str(data_dir),
                                  "STOCK_ASSETS_ALERT_WEBHOOK_URL": url, "STOCK_ASSETS_TELEGRAM_TOKEN": "123:TOKEN"})
    assert "SECRETPATH" not in repr(settings) and "123:TOKEN" not in repr(settings)
    sender = alert_sender(settings)
    assert isinstance(sender.webhook_url, dg.EnvVar)  # the UI shows the variable's name, not the URL
    live = HttpAlertSender(webhook_url=url, retry_delays=[0.0])
    deliveries = live.send(Alert(key="k", title="t", details="d"))
    assert [(d.target, d.ok) for d in deliveries] == [("webhook", False)]
    assert "alert to webhook failed" in caplog.text
    for secret in ("SECRETPATH", "SECRETQUERY"):
        assert secret not in caplog.text and secret not in deliveries[0].detail
    assert "SECRETPATH" not in repr(live)


def test_a_dripping_or_endless_endpoint_is_cut_off(hostile_server):
    sender = HttpAlertSender(webhook_url=hostile_server.url + "/drip", timeout_seconds=5.0, deadline_seconds=1.0,
                             retry_delays=[])
    started = time.monotonic()
    assert [d.ok for d in sender.send(Alert(key="k", title="t", details="d"))] == [False]
    assert time.monotonic() - started < 4.0  # a byte every 0.2 s: the 5 s read timeout alone never fires
    endless = HttpAlertSender(webhook_url=hostile_server.url + "/endless", timeout_seconds=5.0, retry_delays=[])
    (delivery,) = endless.send(Alert(key="k", title="t", details="d"))
    assert not delivery.ok and delivery.detail == "BodyTooLarge"


def test_warn_escalation_policy():
    assert warn_escalation("lag", {"lagging_symbols": 26, "universe_symbols": 500}) is not None  # 5.2 %
    assert warn_escalation("lag", {"lagging_symbols": 25, "universe_symbols": 500}) is None  # 5 %: not over
    assert warn_escalation("lag", {"lagging_symbols": 3}) is None  # no universe size: no judgement
    assert warn_escalation("fetch_errors", {"worst_latency_p95_ms": 10_001.0, "max_latency_p95_ms": 5000.0})
    assert warn_escalation("fetch_errors", {"worst_latency_p95_ms": 9_000.0, "max_latency_p95_ms": 5000.0}) is None
    assert warn_escalation("zero_volume", {"failed_rows": 10_000}) is None


@dg.asset(check_specs=[dg.AssetCheckSpec("lag", asset="lagged")])
def lagged(config: dg.PermissiveConfig):
    yield dg.MaterializeResult()
    lagging = int(config.lagging)
    yield dg.AssetCheckResult(check_name="lag", passed=lagging == 0, severity=dg.AssetCheckSeverity.WARN,
                              metadata={"lagging_symbols": lagging, "universe_symbols": 100, "failed_rows": lagging})


def test_a_warn_lag_over_five_percent_of_the_universe_alerts(receiver, instance):
    sender = HttpAlertSender(webhook_url=receiver.url, ui_base_url=UI, throttle_seconds=0)
    defs = dg.Definitions(assets=[lagged], sensors=[asset_check_alerts], resources={"alerts": sender})

    def lag(n):
        dg.materialize([lagged], instance=instance, run_config={"ops": {"lagged": {"config": {"lagging": n}}}})

    cursor = tick(asset_check_alerts, defs, instance, None)
    lag(3)
    cursor = tick(asset_check_alerts, defs, instance, cursor)
    assert receiver.posts == []  # 3 % of the universe: yellow, no alert
    lag(0)
    cursor = tick(asset_check_alerts, defs, instance, cursor)
    lag(6)
    tick(asset_check_alerts, defs, instance, cursor)
    assert len(receiver.posts) == 1
    body = receiver.posts[0][1]
    assert body["key"] == "check:lagged:lag" and "6 of 100" in body["details"] and "5%" in body["details"]
