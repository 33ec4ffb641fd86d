"""Turn a pure rule's Outcome into an AssetCheckResult a person can read in the UI."""

from __future__ import annotations

import dagster as dg

from stock_assets.lib import markdown
from stock_assets.lib.validation import Outcome


def check_result(
    name: str, outcome: Outcome, asset: str = "daily_ohlcv",
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR, extra: dict | None = None,
) -> dg.AssetCheckResult:
    metadata = {key: _value(v) for key, v in outcome.numbers.items()}
    metadata["failed_rows"] = outcome.offending.height if not outcome.passed else 0
    if outcome.description:
        metadata["details"] = outcome.description
    if not outcome.passed and outcome.offending.height:
        metadata["offending_rows"] = dg.MetadataValue.md(markdown.table(outcome.offending))
    metadata.update(extra or {})
    return dg.AssetCheckResult(
        asset_key=asset, check_name=name, passed=outcome.passed, severity=severity, metadata=metadata,
    )


def _value(v):
    if isinstance(v, bool):
        return dg.MetadataValue.bool(v)
    if isinstance(v, int):
        return dg.MetadataValue.int(v)
    if isinstance(v, float):
        return dg.MetadataValue.float(v)
    return dg.MetadataValue.text(str(v))
