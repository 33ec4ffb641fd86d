"""`stream_staleness_sensor`: alert when the price stream goes stale in market hours, and say how to restart it.

Every minute it observes the stream (defs/prices/stream_prices.observe): in its markets' hours
it records an observation of `stream_prices` and the `stream_fresh` check, and when the stream
turns stale it sends one alert through the project's alert senders (Telegram / webhook / log),
naming the cause and the restart command (`systemctl restart stock-assets-stream` when the
stream runs as the documented unit). The alert is sent on the crossing into stale, throttled
like the other alerts; state lives in the sensor cursor (lib/alerting.AlertCursor). Outside
hours, or where no stream has ever run, it skips with the reason.
"""

from __future__ import annotations

import time

import dagster as dg

from stock_assets.defs.automation.alert_senders import AlertSender
from stock_assets.defs.automation.alerts import _deliver, _retry_pending
from stock_assets.defs.prices.stream_prices import ASSET, CHECK, StreamMonitor, fresh_check, observe
from stock_assets.lib.alerting import Alert, AlertCursor

ALERT_KEY = "stream:stream_prices"
EVERY_SECONDS = 60


def stale_alert(reason: str, hint: str) -> Alert:
    return Alert(key=ALERT_KEY, title="Price stream stale: stream_prices", details=f"{reason}. To fix, {hint}.",
                 kind="stream_stale")


@dg.sensor(
    name="stream_staleness_sensor",
    minimum_interval_seconds=EVERY_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Every minute in market hours: observes stream_prices (heartbeat, newest minute, lag) and alerts once when "
        "the stream (python -m stock_assets.stream) has had no message for 180 s or its process is gone, saying how "
        "to restart it (systemctl restart stock-assets-stream). Skips outside hours and where no stream ever ran."
        " Missed ticks: nothing to replay; the next tick judges the stream as it is then (a stale stream is "
        "alerted then, one that recovered meanwhile is not), and the minutes the stream wrote are in the lake."
    ),
)
def stream_staleness_sensor(context: dg.SensorEvaluationContext, stream_monitor: StreamMonitor, alerts: AlertSender):
    now = time.time()
    state = AlertCursor.load(context.cursor)
    sent = _retry_pending(context, alerts, state)
    if not stream_monitor.lake.heartbeat_path.exists():  # cheap: no calendar loaded where no stream runs
        context.update_cursor(state.dump(now, alerts.throttle_seconds))
        return dg.SkipReason(f"no stream heartbeat at {stream_monitor.lake.heartbeat_path}: the stream has never run "
                             f"on this data dir, nothing to watch ({stream_monitor.restart_hint(None)})")
    obs = observe(stream_monitor)
    decision = state.on_status(ALERT_KEY, obs.status.stale, now, alerts.throttle_seconds)
    if obs.status.stale:
        sent += _deliver(context, alerts, stale_alert(obs.status.reason, stream_monitor.restart_hint(obs.heartbeat)),
                         decision, state)
    context.update_cursor(state.dump(now, alerts.throttle_seconds))
    if not obs.status.in_hours:
        return dg.SkipReason(obs.status.reason)
    check = fresh_check(obs, stream_monitor)
    events = [
        dg.AssetObservation(asset_key=ASSET, metadata=obs.metadata, tags={"dagster/data_version": obs.data_version}),
        dg.AssetCheckEvaluation(asset_key=ASSET, check_name=CHECK, passed=check.passed, severity=check.severity,
                                description=check.description, metadata=check.metadata),
    ]
    verdict = "STALE" if obs.status.stale else "fresh"
    return dg.SensorResult(asset_events=events,
                           skip_reason=f"stream {verdict}: {obs.status.reason}; {sent} alert(s) sent")
