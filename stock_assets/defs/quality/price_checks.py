"""The asset checks on `daily_ohlcv`: what is stored in the lake is whole, sane and plausible.

Why they read the lake rather than the frame in memory: they check what people will query,
so they also catch a partition damaged after it was written, and they can be re-run alone
from the UI. All rules run in DuckDB over the lake files (lib/qa/engine.py); the history
rules read a look-back window before the partition. ERROR checks are blocking: a failure
stops downstream assets (qa_summary, the dashboard) in the same run. Every evaluation is
recorded in qa.failures / qa.summary (recorder.py).
"""

import datetime as dt
import time

import dagster as dg

from stock_assets.defs.partitions import parse_partition_key, trading_days
from stock_assets.defs.quality import inputs, recorder
from stock_assets.defs.quality.config import QaConfig
from stock_assets.defs.quality.results import check_result
from stock_assets.lib import calendar
from stock_assets.lib.qa import fetch_errors as qa_fetch
from stock_assets.lib.qa.catalog import CHECKS, ENGINE_CHECKS
from stock_assets.lib.qa.engine import LakeQa
from stock_assets.storage.resource import WarehouseResource

ASSET = "daily_ohlcv"
LAKE_CHECKS = [name for name in ENGINE_CHECKS if name not in ("fetch_errors", "market_freshness")]


def spec(name: str) -> dg.AssetCheckSpec:
    info = CHECKS[name]
    return dg.AssetCheckSpec(name, asset=ASSET, blocking=info.blocking, partitions_def=trading_days,
                             description=f"[{info.severity}] {info.rule}",
                             metadata={"qa_severity": info.severity, "docs": "docs/quality.md#" + name})


@dg.multi_asset_check(
    specs=[spec(name) for name in ENGINE_CHECKS], can_subset=True, name="daily_ohlcv_checks",
    description="Every QA rule on daily_ohlcv except the GX suite, in one DuckDB pass over the lake.",
)
def daily_ohlcv_checks(context: dg.AssetCheckExecutionContext, config: QaConfig, warehouse: WarehouseResource):
    days = sorted(parse_partition_key(k) for k in context.partition_keys)
    t = config.thresholds()
    wh = warehouse.open()
    # the sessions of the markets in use (ADR 0019); each symbol is then judged on its own calendar
    first = next((d for d in days if any(calendar.is_session(d, n) for n in calendar.CALENDARS)), None)
    expected = inputs.expected_symbols(wh, first)
    calendars = inputs.calendars(wh, expected)
    in_use = set(calendars.values()) or {calendar.EXCHANGE}
    sessions = [d for d in days if any(calendar.is_session(d, n) for n in in_use)]
    selected = {key.name for key in context.selected_asset_check_keys}
    closed = [d.isoformat() for d in days if d not in sessions]
    extra = {"market_closed": dg.MetadataValue.json(closed)} if closed else {}
    evaluated = []
    started = time.monotonic()
    with LakeQa(inputs.lake_files(warehouse.lake), days[0], days[-1], t, splits=inputs.splits(wh),
                expected=expected, calendars=calendars) as qa:
        for name in LAKE_CHECKS:
            if name in selected:
                begun = time.monotonic()
                outcome = getattr(qa, name)()
                context.log.info(f"{name}: {'passed' if outcome.passed else 'FAILED'} "
                                 f"({outcome.offending.height} rows, {time.monotonic() - begun:.2f}s)")
                evaluated.append((name, CHECKS[name].severity, outcome))
    if "fetch_errors" in selected:
        outcome = qa_fetch.fetch_errors(inputs.fetch_reports(wh, days[0], days[-1]), sessions, t)
        evaluated.append(("fetch_errors", CHECKS["fetch_errors"].severity, outcome))
    if "market_freshness" in selected:
        outcome = inputs.market_freshness(wh, calendars, days[-1], _utcnow().replace(tzinfo=dt.UTC))
        evaluated.append(("market_freshness", CHECKS["market_freshness"].severity, outcome))
    recorder.record(wh, evaluated, days, context.run.run_id, _utcnow())
    context.log.info(f"{len(evaluated)} checks over {days[0]}..{days[-1]} in {time.monotonic() - started:.1f}s")
    for name, _, outcome in evaluated:
        yield check_result(name, outcome, extra=extra)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
