"""`stream_prices`: Dagster's view of the price stream that runs beside it (`python -m stock_assets.stream`).

The stream is a long-running process, not a run, so the asset is observed, not materialised:
an observation reads the stream's heartbeat and its newest minute file and reports what
people need (the last minute stored, how many symbols, the lag, whether it is connected) with
a data version that changes with every new minute.

Why a check rather than a FreshnessPolicy: Dagster 1.13 judges a `FreshnessPolicy` by the last
*materialisation* only (`freshness_evaluator.py` reads `last_materialization`), so an observed
asset would always read as stale. The freshness expectation is the check `stream_fresh`,
evaluated with every observation: during its markets' hours the stream must have received a
message within `stale_after_seconds`; outside them it passes with the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from stock_assets.lib.stream import status
from stock_assets.storage.stream_lake import StreamLake

ASSET = dg.AssetKey("stream_prices")
CHECK = "stream_fresh"
START_HINT = "start it: `uv run python -m stock_assets.stream` from the repo (docs/deployment.md, section 5)"


class StreamMonitor(dg.ConfigurableResource):
    """Where the stream writes, when it counts as stale, and how it is restarted."""

    data_dir: str
    stale_after_seconds: float = Field(default=status.DEFAULT_STALE_AFTER_SECONDS, gt=0, description=(
        "Seconds without a message, in market hours, after which the stream is stale."))
    service: str | None = Field(default=None, description=(
        "The systemd unit the stream runs as (STOCK_ASSETS_STREAM_SERVICE), named in alerts."))

    def now(self) -> dt.datetime:
        """The clock the judgement uses (tests give a fixed one)."""
        return dt.datetime.now(dt.UTC)

    @property
    def lake(self) -> StreamLake:
        return StreamLake(Path(self.data_dir))

    def restart_hint(self, heartbeat: status.Heartbeat | None) -> str:
        unit = (heartbeat.service if heartbeat else None) or self.service
        how = f"restart it: `systemctl restart {unit}`" if unit else START_HINT
        return f"{how} (runbook: docs/runbooks/stream_stale.md)"


@dataclass(frozen=True)
class Observation:
    heartbeat: status.Heartbeat | None
    status: status.StreamStatus
    newest_minute: dt.datetime | None
    data_version: str
    metadata: dict


def observe(monitor: StreamMonitor) -> Observation:
    """The stream's state now: heartbeat, newest minute, lag, and the staleness judgement."""
    now = monitor.now()
    lake = monitor.lake
    beat = lake.read_heartbeat()
    verdict = status.judge(beat, now, monitor.stale_after_seconds)
    newest = lake.newest_minute()
    minute, path = newest if newest else (None, None)
    symbols = pl.scan_parquet(path).select(pl.len()).collect().item() if path else 0
    metadata = {
        "last_minute_stored": minute.isoformat() if minute else "none yet",
        "symbols_in_last_minute": symbols,
        "lag_seconds": round((now - minute - dt.timedelta(minutes=1)).total_seconds(), 1) if minute else None,
        "connected": bool(beat and beat.connected),
        "state": beat.state if beat else "no heartbeat",
        "detail": beat.detail if beat else "",
        "symbols_subscribed": beat.subscribed if beat else 0,
        "last_message_at": beat.last_message_at.isoformat() if beat and beat.last_message_at else "never",
        "heartbeat_age_seconds": round((now - beat.written_at).total_seconds(), 1) if beat else None,
        "reconnects": beat.reconnects if beat else 0,
        "in_market_hours": verdict.in_hours,
        "stale": verdict.stale,
        "reason": verdict.reason,
        "path": dg.MetadataValue.path(str(lake.table_dir)),
    }
    version = minute.strftime("%Y-%m-%dT%H:%MZ") if minute else "empty"
    return Observation(beat, verdict, minute, version, metadata)


def fresh_check(obs: Observation, monitor: StreamMonitor) -> dg.AssetCheckResult:
    """`stream_fresh`: WARN when stale in market hours (the staleness sensor sends the alert)."""
    text = obs.status.reason if not obs.status.stale else f"{obs.status.reason}; {monitor.restart_hint(obs.heartbeat)}"
    return dg.AssetCheckResult(asset_key=ASSET, check_name=CHECK, passed=not obs.status.stale,
                               severity=dg.AssetCheckSeverity.WARN, description=text,
                               metadata={"in_market_hours": obs.status.in_hours, "reason": obs.status.reason})


@dg.multi_observable_source_asset(
    name="observe_stream_prices",
    specs=[dg.AssetSpec(
        ASSET, group_name="prices", kinds={"parquet", "websocket"},
        description=("1-minute bars streamed from Yahoo's WebSocket by `python -m stock_assets.stream` (a "
                     "service beside the daemon, ADR 0027) into lake/stream_prices/date=D/HHMM.parquet; view "
                     "prices.stream_prices. Observed, not materialised: each observation reads the stream's "
                     "heartbeat and newest minute."),
        metadata={"dagster/table_name": "prices.stream_prices"},
    )],
    check_specs=[dg.AssetCheckSpec(CHECK, asset=ASSET, description=(
        "During its markets' hours the stream received a message within stale_after_seconds (180 s) and its "
        "process is alive; outside hours it passes with the reason. WARN: stream_staleness_sensor alerts."))],
)
def observe_stream_prices(context, stream_monitor: StreamMonitor):
    obs = observe(stream_monitor)
    context.log.info(f"stream_prices: {obs.status.reason}; last minute {obs.metadata['last_minute_stored']}")
    yield dg.ObserveResult(asset_key=ASSET, data_version=dg.DataVersion(obs.data_version), metadata=obs.metadata,
                           check_results=[fresh_check(obs, stream_monitor)])
