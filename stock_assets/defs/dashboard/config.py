"""Launchpad config of the dashboard assets: the as-of session, the rules and the KPI thresholds."""

from __future__ import annotations

import datetime as dt

import dagster as dg
from pydantic import Field, field_validator

from stock_assets.defs.dashboard.snapshot import SnapshotRules
from stock_assets.lib import config_checks, dashboard_metrics as metrics, kpis


class ThresholdConfig(dg.Config):
    """Bounds of one KPI: at or past `red_at` it is red, at or past `yellow_at` yellow (None: never)."""

    yellow_at: float | None = None
    red_at: float | None = None


class DashboardConfig(dg.Config):
    """Defaults are the documented thresholds (docs/dashboard.md); override any per run."""

    as_of: str | None = None  # YYYY-MM-DD; default: the newest session in the lake
    window_days: int = Field(default=metrics.DEFAULT_WINDOW_DAYS, ge=1)
    max_behind_sessions: int = Field(default=metrics.DEFAULT_MAX_BEHIND, ge=0)
    jump_threshold: float = Field(default=metrics.DEFAULT_JUMP_THRESHOLD, gt=0)
    thresholds: dict[str, ThresholdConfig] = {}  # KPI key -> bounds, e.g. {"lagging_symbols": {"red_at": 20}}

    _as_of = field_validator("as_of")(config_checks.iso_date)

    def rules(self) -> SnapshotRules:
        return SnapshotRules(window_days=self.window_days, max_behind=self.max_behind_sessions,
                             jump_threshold=self.jump_threshold)

    def as_of_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.as_of) if self.as_of else None

    def chosen_thresholds(self) -> dict[str, kpis.Threshold]:
        """The defaults with this config's overrides; an unknown KPI key is an error, not ignored."""
        unknown = sorted(set(self.thresholds) - set(kpis.KPI_KEYS))
        if unknown:
            raise dg.Failure(f"unknown KPI key(s) in thresholds: {', '.join(unknown)}; "
                             f"known: {', '.join(kpis.KPI_KEYS)}")
        out = {}
        for kpi in kpis.KPIS:
            override = self.thresholds.get(kpi.key)
            out[kpi.key] = (kpis.Threshold(override.yellow_at, override.red_at, kpi.default.direction)
                            if override else kpi.default)
        return out
