"""Alert sensors: a run failed, or an asset check crossed into red (ERROR failure).

Why plain sensors reading the instance rather than `@run_failure_sensor`: the throttle
state (which keys are red, when each last alerted) must live in the sensor's own cursor so
a daemon restart neither forgets nor resends; a plain sensor owns its whole cursor. The
first tick only takes a baseline: history from before the sensor ran is not alerted.

A delivery that fails is not counted as sent: the alert waits in the cursor and is tried again
on the next ticks (only at the targets that failed), at most MAX_DELIVERY_ATTEMPTS tries in all;
then it is logged as LOST and kept in the cursor's `lost` list. A WARN check failure alerts
like a red one when the policy of `lib/alerting.warn_escalation` says so (lag over 5 % of the
universe, latency p95 over twice its threshold).
"""

import datetime as dt
import time

import dagster as dg
from dagster import DagsterEventType
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus  # no public alias in 1.13

from stock_assets.defs.automation.alert_senders import AlertSender
from stock_assets.lib.alerting import MAX_DELIVERY_ATTEMPTS, SEND, THROTTLED, Alert, AlertCursor, warn_escalation

MAX_RUNS_PER_TICK = 50
PARTITION_TAG = "dagster/partition"
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def _partition(tags: dict) -> str | None:
    if tags.get(PARTITION_TAG):
        return tags[PARTITION_TAG]
    start, end = (tags.get(t) for t in RANGE_TAGS)
    return f"{start}...{end}" if start and end else None


def _deliver(context: dg.SensorEvaluationContext, alerts: AlertSender, alert: Alert, decision: str,
             state: AlertCursor, attempts: int = 1, targets: list[str] | None = None) -> int:
    """Send `alert` (try number `attempts`); 1 when every target took it, else 0 (retried or lost)."""
    if decision == THROTTLED:
        context.log.info(f"throttled (already alerted within the window): {alert.key}")
        return 0
    if decision != SEND:
        return 0
    failed = []
    for delivery in alerts.send(alert, context.log, targets=targets):
        context.log.info(f"alert {alert.key} -> {delivery.target}: {'ok' if delivery.ok else 'FAILED'} {delivery.detail}")
        if not delivery.ok:
            failed.append(delivery.target)
    outcome = state.after_delivery(alert, failed, attempts, time.time())
    if outcome == "pending":
        context.log.warning(f"alert {alert.key} not delivered to {', '.join(failed)} (try {attempts} of "
                            f"{MAX_DELIVERY_ATTEMPTS}): tried again on the next tick")
    elif outcome == "lost":
        context.log.error(f"alert LOST after {attempts} tries: {alert.key} ({alert.title}, run {alert.run_id}) "
                          f"never reached {', '.join(failed)}; kept in the sensor cursor's 'lost' list")
    return 1 if outcome == "delivered" else 0


def _retry_pending(context: dg.SensorEvaluationContext, alerts: AlertSender, state: AlertCursor) -> int:
    """Try again every alert whose delivery failed on an earlier tick; how many got through."""
    return sum(_deliver(context, alerts, alert, SEND, state, attempts + 1, targets)
               for alert, targets, attempts in state.take_pending())


def run_failure_alert(instance: dg.DagsterInstance, run: dg.DagsterRun, alerts: AlertSender) -> Alert:
    """What failed (the first failing step and its error), which partition, rows written, the link."""
    failures = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
    if failures:
        first = failures[0]
        what = f"step {first.step_key} failed: " + _failure_reason(first.dagster_event.step_failure_data)
    else:
        run_failed = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
        what = run_failed[0].message if run_failed else "the run failed"
    rows = 0
    for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        count = entry.asset_materialization.metadata.get("dagster/row_count") if entry.asset_materialization else None
        rows += int(count.value) if count is not None else 0
    return Alert(
        key=f"run:{run.job_name}", title=f"Run failed: {_run_name(instance, run)}", details=what[:600],
        partition=_partition(run.tags), rows=rows, run_id=run.run_id, url=alerts.run_url(run.run_id),
        kind="run_failure",
    )


def _run_name(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """The job's name, or for an ad-hoc materialisation (`__ASSET_JOB`) the assets it planned."""
    if not run.job_name.startswith("__"):
        return run.job_name
    keys = {key.to_user_string() for key in (run.asset_selection or [])}
    if not keys:
        planned = instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
        keys = {e.dagster_event.asset_key.to_user_string() for e in planned if e.dagster_event and e.dagster_event.asset_key}
    keys = sorted(keys)
    return f"materialisation of {', '.join(keys[:5]) or 'assets'}" + (" ..." if len(keys) > 5 else "")


def _failure_reason(data) -> str:
    """A dg.Failure's description, else the root cause's first line (not Dagster's wrapper)."""
    user = getattr(data, "user_failure_data", None)
    if user is not None and user.description:
        return user.description.strip()
    error = data.error
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[0] if error is not None and error.message else "(no message)"


@dg.sensor(
    name="run_failure_alerts",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Sends an alert (Telegram and/or webhook, else the log) for every failed run, at most one per job "
        "per throttle window. Targets: STOCK_ASSETS_TELEGRAM_TOKEN/_CHAT_ID, STOCK_ASSETS_ALERT_WEBHOOK_URL "
        "(docs/alerts.md)."
        " Missed ticks: none lost; the cursor remembers the last failure it saw, so after a daemon outage the "
        "next ticks report every run that failed meanwhile (50 per tick)."
    ),
)
def run_failure_alerts(context: dg.SensorEvaluationContext, alerts: AlertSender):
    now = time.time()
    window = alerts.throttle_seconds
    state = AlertCursor.load(context.cursor)
    if "after" not in state.marks:
        state.marks = {"after": now, "seen": []}
        context.update_cursor(state.dump(now, window))
        return dg.SkipReason("baseline taken: runs that failed before now are not alerted")
    after = dt.datetime.fromtimestamp(state.marks["after"] - 1, dt.UTC)
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE], updated_after=after),
        order_by="update_timestamp", ascending=True, limit=MAX_RUNS_PER_TICK,
    )
    seen = set(state.marks.get("seen", []))
    sent = _retry_pending(context, alerts, state)
    mark, mark_ids = state.marks["after"], list(seen)
    for record in records:
        stamp = record.update_timestamp.timestamp()
        if record.dagster_run.run_id in seen or stamp < state.marks["after"]:
            continue
        alert = run_failure_alert(context.instance, record.dagster_run, alerts)
        sent += _deliver(context, alerts, alert, state.on_event(alert.key, now, window), state)
        if stamp > mark:
            mark, mark_ids = stamp, []
        mark_ids.append(record.dagster_run.run_id)
    state.marks = {"after": mark, "seen": mark_ids}
    context.update_cursor(state.dump(now, window))
    return dg.SkipReason(f"{sent} alert(s) sent for {len(records)} failed run(s) since the last tick")


def _check_alert(record, alerts: AlertSender) -> tuple[bool, Alert]:
    key = record.key
    evaluation = record.event.dagster_event.event_specific_data if record.event and record.event.dagster_event else None
    failed_rows = None
    if evaluation is not None and getattr(evaluation, "metadata", None):
        value = evaluation.metadata.get("failed_rows")
        failed_rows = int(value.value) if value is not None and value.value is not None else None
    # A check that could not run at all fails its run: the run-failure sensor reports that one.
    severity = getattr(evaluation, "severity", dg.AssetCheckSeverity.ERROR)
    failed = record.status == AssetCheckExecutionRecordStatus.FAILED
    escalated = (warn_escalation(key.name, getattr(evaluation, "metadata", None) or {})
                 if failed and severity == dg.AssetCheckSeverity.WARN else None)
    is_red = failed and (severity == dg.AssetCheckSeverity.ERROR or escalated is not None)
    desc = getattr(evaluation, "description", None)
    what = f"check failed with severity {severity.value}" + (f": {desc}" if desc else "")
    if escalated:
        what = f"{what}. Alerted by policy: {escalated}"
    asset = key.asset_key.to_user_string()
    return is_red, Alert(
        key=f"check:{asset}:{key.name}", title=f"Check failed: {asset} / {key.name}", details=what,
        partition=record.partition, rows=failed_rows, run_id=record.run_id, url=alerts.run_url(record.run_id),
        kind="check_failure",
    )


@dg.sensor(
    name="asset_check_alerts",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Sends an alert when an asset check crosses into red (an ERROR-severity failure, including the "
        "dashboard's KPI checks turning red), at most one per check per throttle window; a check that stays "
        "red is not re-alerted. Targets as for run_failure_alerts (docs/alerts.md)."
        " Missed ticks: after a daemon outage each check's latest result is compared with the last one seen; "
        "a check red now that was not before is alerted, one that went red and back to green meanwhile is not."
    ),
)
def asset_check_alerts(context: dg.SensorEvaluationContext, alerts: AlertSender):
    now = time.time()
    window = alerts.throttle_seconds
    state = AlertCursor.load(context.cursor)
    baseline = "checks" not in state.marks
    marks = dict(state.marks.get("checks", {}))
    keys = list(context.repository_def.asset_graph.asset_check_keys)
    summaries = context.instance.event_log_storage.get_asset_check_summary_records(keys)
    sent = 0 if baseline else _retry_pending(context, alerts, state)
    for key in sorted(keys, key=lambda k: k.to_user_string()):
        summary = summaries.get(key)
        record = summary.last_completed_check_execution_record if summary else None
        if record is None or marks.get(key.to_user_string()) == record.id:
            continue
        marks[key.to_user_string()] = record.id
        is_red, alert = _check_alert(record, alerts)
        if baseline:
            if is_red:
                state.red.append(alert.key)  # already red before the sensor ran: no crossing to report
            continue
        sent += _deliver(context, alerts, alert, state.on_status(alert.key, is_red, now, window), state)
    state.marks = {"checks": marks}
    context.update_cursor(state.dump(now, window))
    return dg.SkipReason("baseline taken" if baseline else f"{sent} alert(s) sent")
