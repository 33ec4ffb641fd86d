"""Turn a rule's Outcome into an AssetCheckResult a person can read in the UI."""

import dagster as dg
import polars as pl

from stock_assets.lib import markdown
from stock_assets.lib.qa.catalog import CHECKS, ERROR
from stock_assets.lib.validation import Outcome


def check_result(
    name: str, outcome: Outcome, asset: str = "daily_ohlcv",
    severity: dg.AssetCheckSeverity | None = None, extra: dict | None = None,
) -> dg.AssetCheckResult:
    """The result with the offending rows (first 20) and the rule's numbers as metadata.

    Dagster has two severities; INFO checks are reported as WARN with `qa_severity: INFO`.
    """
    qa_severity = CHECKS[name].severity if name in CHECKS else ERROR
    if severity is None:
        severity = dg.AssetCheckSeverity.ERROR if qa_severity == ERROR else dg.AssetCheckSeverity.WARN
    metadata = {key: _value(v) for key, v in outcome.numbers.items()}
    metadata["failed_rows"] = dg.MetadataValue.int(outcome.offending.height if not outcome.passed else 0)
    metadata["qa_severity"] = dg.MetadataValue.text(qa_severity)
    if outcome.threshold is not None:
        metadata["threshold"] = dg.MetadataValue.float(float(outcome.threshold))
    if outcome.description:
        metadata["details"] = dg.MetadataValue.text(outcome.description)
    if not outcome.passed and outcome.offending.height:
        metadata["offending_rows"] = dg.MetadataValue.md(markdown.table(outcome.offending))
    metadata.update(extra or {})
    return dg.AssetCheckResult(
        asset_key=asset, check_name=name, passed=outcome.passed, severity=severity, metadata=metadata,
        description=CHECKS[name].rule if name in CHECKS else None,
    )


def _value(v):
    if isinstance(v, pl.DataFrame):
        return dg.MetadataValue.md(markdown.table(v, max_rows=40))
    if isinstance(v, dict):
        return dg.MetadataValue.json(v)
    if isinstance(v, bool):
        return dg.MetadataValue.bool(v)
    if isinstance(v, int):
        return dg.MetadataValue.int(v)
    if isinstance(v, float):
        return dg.MetadataValue.float(v)
    return dg.MetadataValue.text(str(v))
