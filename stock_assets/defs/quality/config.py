"""Run config of the QA checks: the thresholds of lib/qa/catalog.py, overridable per run."""

import dagster as dg

from stock_assets.lib.qa.catalog import Thresholds

_D = Thresholds()


class QaConfig(dg.Config):
    """Thresholds of the checks on daily_ohlcv (defaults: docs/quality.md)."""

    min_completeness: float = _D.min_completeness
    max_lag_sessions: int = _D.max_lag_sessions
    max_move: float = _D.max_move
    split_tolerance: float = _D.split_tolerance
    iqr_multiplier: float = _D.iqr_multiplier
    iqr_min_history: int = _D.iqr_min_history
    volume_z: float = _D.volume_z
    volume_window: int = _D.volume_window
    max_fetch_error_share: float = _D.max_fetch_error_share
    max_latency_p95_ms: float = _D.max_latency_p95_ms
    lookback_sessions: int = _D.lookback_sessions

    def thresholds(self) -> Thresholds:
        return Thresholds(**{k: getattr(self, k) for k in Thresholds.__dataclass_fields__})
