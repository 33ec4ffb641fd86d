"""Run config of the QA checks: the thresholds of lib/qa/catalog.py, overridable per run."""

import dagster as dg
from pydantic import Field

from stock_assets.lib.qa.catalog import Thresholds

_D = Thresholds()


class QaConfig(dg.Config):
    """Thresholds of the checks on daily_ohlcv (defaults: docs/quality.md)."""

    # Bounds: a share lies in [0, 1]; a window holds at least what its statistic needs (a
    # standard deviation needs two values); a threshold of 0 or less would flag every row.
    min_completeness: float = Field(default=_D.min_completeness, ge=0, le=1)
    max_lag_sessions: int = Field(default=_D.max_lag_sessions, ge=0)
    max_move: float = Field(default=_D.max_move, gt=0)
    split_tolerance: float = Field(default=_D.split_tolerance, gt=0, lt=1)
    iqr_multiplier: float = Field(default=_D.iqr_multiplier, gt=0)
    iqr_min_history: int = Field(default=_D.iqr_min_history, ge=1)
    volume_z: float = Field(default=_D.volume_z, gt=0)
    volume_window: int = Field(default=_D.volume_window, ge=2)
    max_fetch_error_share: float = Field(default=_D.max_fetch_error_share, ge=0, le=1)
    max_latency_p95_ms: float = Field(default=_D.max_latency_p95_ms, gt=0)
    lookback_sessions: int = Field(default=_D.lookback_sessions, ge=0)

    def thresholds(self) -> Thresholds:
        return Thresholds(**{k: getattr(self, k) for k in Thresholds.__dataclass_fields__})
