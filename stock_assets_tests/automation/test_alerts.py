"""Alert sensors end to end: real runs and check evaluations in an instance, alerts POSTed to a
local HTTP server on 127.0.0.1 (the webhook and a stand-in Telegram Bot API), cursors reloaded."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from stock_assets.defs.automation.alert_senders import HttpAlertSender, LoggingAlertSender, alert_sender
from stock_assets.defs.automation.alerts import asset_check_alerts, run_failure_alerts
from stock_assets.defs.partitions import trading_days
from stock_assets.lib.alerting import Alert
from stock_assets.settings import Settings

UI = "http://dagster.example:3000"


class Receiver:
    """A local HTTP endpoint that records every JSON POST (path, body) and answers `status`."""

    def __init__(self):
        self.posts: list[tuple[str, dict]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                receiver.posts.append((self.path, json.loads(self.rfile.read(length) or b"{}")))
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


# -- a tiny code location: a partitioned job that writes rows then fails, an asset with a check --
@dg.asset(partitions_def=trading_days)
def wrote_rows() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 3})


@dg.asset(partitions_def=trading_days, deps=[wrote_rows])
def breaks():
    raise RuntimeError("Yahoo answered 503 three times")


class WidgetConfig(dg.Config):
    ok: bool = True
    severity: str = "ERROR"


@dg.asset(check_specs=[dg.AssetCheckSpec("rows_ok", asset="widget")])
def widget(config: WidgetConfig):
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(check_name="rows_ok", passed=config.ok,
                              severity=dg.AssetCheckSeverity(config.severity),
                              metadata={"failed_rows": 0 if config.ok else 12})


failing_job = dg.define_asset_job("failing_job", selection=[wrote_rows, breaks])


def definitions(sender) -> dg.Definitions:
    return dg.Definitions(assets=[wrote_rows, breaks, widget], jobs=[failing_job],
                          sensors=[run_failure_alerts, asset_check_alerts], resources={"alerts": sender})


def tick(sensor, defs, instance, cursor):
    """One sensor evaluation, as the daemon does it; returns the new cursor."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                     resources=dict(defs.resources))
    data = sensor.evaluate_tick(context)
    return data.cursor


def fail_once(defs, instance, day="2024-06-14"):
    result = defs.resolve_job_def("failing_job").execute_in_process(
        instance=instance, partition_key=day, raise_on_error=False)
    assert not result.success
    return result.run_id


def check_once(defs, instance, ok: bool, severity: str = "ERROR"):
    dg.materialize([widget], instance=instance, resources=defs.resources,
                   run_config={"ops": {"widget": {"config": {"ok": ok, "severity": severity}}}})


def test_run_failure_alerts_once_throttled_and_not_resent(receiver, instance):
    defs = definitions(HttpAlertSender(webhook_url=f"{receiver.url}/hook", ui_base_url=UI, retry_delays=[0.05]))
    old_failure = fail_once(defs, instance, "2024-06-13")
    c0 = tick(run_failure_alerts, defs, instance, None)  # baseline: history is not alerted
    assert receiver.posts == [] and old_failure
    run_id = fail_once(defs, instance)
    c1 = tick(run_failure_alerts, defs, instance, c0)
    assert len(receiver.posts) == 1
    path, body = receiver.posts[0]
    assert path == "/hook" and body["kind"] == "run_failure" and body["key"] == "run:failing_job"
    assert body["partition"] == "2024-06-14" and body["rows"] == 3 and body["run_id"] == run_id
    assert body["url"] == f"{UI}/runs/{run_id}"
    assert "breaks" in body["details"] and "503" in body["details"]
    assert body["title"] in body["text"] and body["url"] in body["text"]

    assert tick(run_failure_alerts, defs, instance, c1) is not None
    assert len(receiver.posts) == 1  # a daemon restart resumes from the cursor: nothing resent
    fail_once(defs, instance)
    tick(run_failure_alerts, defs, instance, c1)
    assert len(receiver.posts) == 1  # same job within the window: throttled

    eager = definitions(HttpAlertSender(webhook_url=f"{receiver.url}/hook", ui_base_url=UI, throttle_seconds=0))
    tick(run_failure_alerts, eager, instance, c1)
    assert len(receiver.posts) == 2  # with no window, the second failure is its own alert


def test_check_alerts_only_on_crossing_into_red(receiver, instance):
    defs = definitions(HttpAlertSender(webhook_url=receiver.url, ui_base_url=UI))
    cursor = tick(asset_check_alerts, defs, instance, None)
    check_once(defs, instance, ok=True)
    cursor = tick(asset_check_alerts, defs, instance, cursor)
    assert receiver.posts == []
    check_once(defs, instance, ok=False)
    after_red = cursor = tick(asset_check_alerts, defs, instance, cursor)
    assert len(receiver.posts) == 1
    body = receiver.posts[0][1]
    assert body["kind"] == "check_failure" and body["key"] == "check:widget:rows_ok" and body["rows"] == 12
    assert body["url"].startswith(f"{UI}/runs/")
    check_once(defs, instance, ok=False)
    cursor = tick(asset_check_alerts, defs, instance, cursor)
    assert len(receiver.posts) == 1  # still red: not a new crossing
    check_once(defs, instance, ok=True)
    cursor = tick(asset_check_alerts, defs, instance, cursor)
    check_once(defs, instance, ok=False)
    tick(asset_check_alerts, defs, instance, cursor)
    assert len(receiver.posts) == 1  # red again within the window: throttled
    check_once(defs, instance, ok=False, severity="WARN")
    tick(asset_check_alerts, definitions(HttpAlertSender(webhook_url=receiver.url, throttle_seconds=0)),
         instance, after_red)
    assert len(receiver.posts) == 1  # a WARN failure is yellow, not red


def test_telegram_payload_shape(receiver):
    sender = HttpAlertSender(telegram_token="123:ABC", telegram_chat_id="-1001", telegram_api_base=receiver.url)
    alert = Alert(key="run:daily_prices_job", title="Run failed: daily_prices_job", details="step x failed",
                  partition="2024-06-14", rows=0, run_id="r1", url=sender.run_url("r1"))
    deliveries = sender.send(alert)
    assert [d.ok for d in deliveries] == [True]
    path, body = receiver.posts[0]
    assert path == "/bot123:ABC/sendMessage"
    assert body["chat_id"] == "-1001" and body["disable_web_page_preview"] is True
    assert body["text"].splitlines()[1:] == ["step x failed", "partition: 2024-06-14", "rows: 0", "run: r1",
                                            "http://localhost:3000/runs/r1"]


def test_a_failing_endpoint_is_logged_and_never_raises(receiver, instance, caplog):
    receiver.status = 500
    sender = HttpAlertSender(webhook_url=receiver.url, telegram_token="123:SECRET", telegram_chat_id="1",
                             telegram_api_base="http://127.0.0.1:9", retry_delays=[0.05])
    deliveries = sender.send(Alert(key="k", title="t", details="d"))
    assert [(d.target, d.ok) for d in deliveries] == [("telegram", False), ("webhook", False)]
    assert len(receiver.posts) == 2  # the 500 was retried once
    assert "SECRET" not in caplog.text and "alert to webhook" in caplog.text
    defs = definitions(sender)
    cursor = tick(run_failure_alerts, defs, instance, None)
    fail_once(defs, instance)
    assert tick(run_failure_alerts, defs, instance, cursor)  # the tick itself succeeds


def test_without_targets_alerts_are_logged_only(caplog, data_dir):
    sender = alert_sender(Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic", "STOCK_ASSETS_DATA_DIR": str(data_dir)}))
    assert isinstance(sender, LoggingAlertSender)
    assert [d.target for d in sender.send(Alert(key="k", title="Run failed: x", details="d"))] == ["log"]
    assert "logged only" in caplog.text and "Run failed: x" in caplog.text
    live = alert_sender(Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic", "STOCK_ASSETS_DATA_DIR": str(data_dir),
                                           "STOCK_ASSETS_ALERT_WEBHOOK_URL": "http://127.0.0.1:1/x"}))
    assert isinstance(live, HttpAlertSender) and live.webhook_url == "http://127.0.0.1:1/x"


def test_a_token_from_the_environment_stays_an_env_var_and_resolves(receiver, instance, monkeypatch, data_dir):
    monkeypatch.setenv("STOCK_ASSETS_TELEGRAM_TOKEN", "999:FROMENV")
    settings = Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic", "STOCK_ASSETS_DATA_DIR": str(data_dir),
                                  "STOCK_ASSETS_TELEGRAM_TOKEN": "999:FROMENV", "STOCK_ASSETS_TELEGRAM_CHAT_ID": "7"})
    sender = alert_sender(settings)
    assert isinstance(sender.telegram_token, dg.EnvVar)  # the UI shows the variable's name, not the secret
    assert sender.telegram_chat_id == "7"
    defs = definitions(HttpAlertSender(telegram_token=dg.EnvVar("STOCK_ASSETS_TELEGRAM_TOKEN"),
                                       telegram_chat_id="7", telegram_api_base=receiver.url))
    cursor = tick(run_failure_alerts, defs, instance, None)
    fail_once(defs, instance)
    tick(run_failure_alerts, defs, instance, cursor)
    assert [p for p, _ in receiver.posts] == ["/bot999:FROMENV/sendMessage"]


def test_an_ad_hoc_materialisation_is_named_by_its_assets(receiver, instance):
    defs = definitions(HttpAlertSender(webhook_url=receiver.url))
    cursor = tick(run_failure_alerts, defs, instance, None)
    result = dg.materialize([wrote_rows, breaks], instance=instance, partition_key="2024-06-14", raise_on_error=False)
    assert not result.success
    tick(run_failure_alerts, defs, instance, cursor)
    assert receiver.posts[0][1]["title"] == "Run failed: materialisation of breaks, wrote_rows"
