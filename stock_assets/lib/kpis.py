"""The seven dashboard KPIs: what each means, its thresholds, and its green/yellow/red status.

Why one module: the asset, the HTML page, the alert sensor and docs/dashboard.md must agree
on names, meanings and thresholds; each lives here once, and config overrides the numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

GREEN, YELLOW, RED = "green", "yellow", "red"
ABOVE, BELOW = "above", "below"  # bad when the value is at or above / at or below the bounds


@dataclass(frozen=True)
class Threshold:
    """`red_at` and `yellow_at` bounds; `direction` says which side of them is bad."""

    yellow_at: float | None
    red_at: float | None
    direction: str = ABOVE

    def status(self, value: float) -> str:
        """RED past `red_at`, else YELLOW past `yellow_at`, else GREEN (bounds inclusive)."""
        worse = (lambda v, bound: v >= bound) if self.direction == ABOVE else (lambda v, bound: v <= bound)
        if self.red_at is not None and worse(value, self.red_at):
            return RED
        if self.yellow_at is not None and worse(value, self.yellow_at):
            return YELLOW
        return GREEN


@dataclass(frozen=True)
class Kpi:
    """One KPI: its key (the `kpi` column, the metadata key), a label, what it means, its panel."""

    key: str
    label: str
    meaning: str
    panel: str
    default: Threshold


KPIS: tuple[Kpi, ...] = (
    Kpi("total_active_symbols", "Active symbols",
        "Symbols whose status in universe.tickers is active.",
        "universe", Threshold(yellow_at=None, red_at=0, direction=BELOW)),
    Kpi("new_30d", "New in 30 days",
        "Symbols first seen by a scrape in the 30 days up to the as-of session (the very first scrape, "
        "which sees everything, does not count).",
        "universe", Threshold(yellow_at=50, red_at=200)),
    Kpi("delisted_30d", "Delisted in 30 days",
        "Symbols whose delisted_on falls in the 30 days up to the as-of session.",
        "universe", Threshold(yellow_at=10, red_at=50)),
    Kpi("lagging_symbols", "Lagging > 2 sessions",
        "Active symbols whose newest bar is more than 2 sessions behind the as-of session (or that have "
        "no bar in the last year).",
        "timeliness", Threshold(yellow_at=1, red_at=10)),
    Kpi("missing_dates", "Missing dates",
        "(symbol, session) pairs with no bar inside a symbol's own span in the last 30 days: holes, not "
        "the lag at the end.",
        "completeness", Threshold(yellow_at=1, red_at=50)),
    Kpi("fetch_errors_last_night", "Fetch errors last night",
        "Rows in ops.fetch_errors for the as-of session (one per symbol that could not be fetched).",
        "fetch", Threshold(yellow_at=1, red_at=25)),
    Kpi("unexplained_jumps", "Unexplained price jumps",
        "Close-to-close moves larger than the QA price_jump threshold (75 %, measured in log terms) "
        "in the last 30 days that no split on that day explains.",
        "quality", Threshold(yellow_at=1, red_at=5)),
)
KPI_KEYS = tuple(k.key for k in KPIS)
BY_KEY = {k.key: k for k in KPIS}

KPI_COLUMNS = {
    "as_of": pl.Date, "kpi": pl.String, "value": pl.Float64, "status": pl.String,
    "yellow_at": pl.Float64, "red_at": pl.Float64, "run_id": pl.String,
    "computed_at": pl.Datetime("us"),
}


def statuses(values: dict[str, float], thresholds: dict[str, Threshold] | None = None) -> dict[str, str]:
    """The status of every KPI in `values`; `thresholds` overrides the defaults per key."""
    chosen = {k.key: k.default for k in KPIS} | (thresholds or {})
    return {key: chosen[key].status(value) for key, value in values.items()}


def kpi_rows(
    values: dict[str, float], as_of: dt.date, run_id: str, computed_at: dt.datetime,
    thresholds: dict[str, Threshold] | None = None,
) -> pl.DataFrame:
    """`dashboard.kpis` rows: one per KPI, in the order of KPIS, with status and bounds."""
    missing = [key for key in KPI_KEYS if key not in values]
    if missing:
        raise ValueError(f"no value for KPI(s) {', '.join(missing)}; every KPI needs one")
    chosen = {k.key: k.default for k in KPIS} | (thresholds or {})
    rows = [
        {
            "as_of": as_of, "kpi": key, "value": float(values[key]),
            "status": chosen[key].status(values[key]),
            "yellow_at": chosen[key].yellow_at, "red_at": chosen[key].red_at,
            "run_id": run_id, "computed_at": computed_at,
        }
        for key in KPI_KEYS
    ]
    return pl.DataFrame(rows, schema=KPI_COLUMNS)


def worst(status_values: list[str]) -> str:
    """The worst of a list of statuses (GREEN for none)."""
    for candidate in (RED, YELLOW):
        if candidate in status_values:
            return candidate
    return GREEN
