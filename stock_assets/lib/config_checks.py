"""Checks of run config and resource config values that types alone let through.

Why: Dagster's config schema checks types, not meaning; a date string such as `2024-13-01`
only failed deep inside with "month must be in 1..12", naming no field. These checks run as
pydantic validators on the `dg.Config` / `ConfigurableResource` classes, so a bad value stops
the step before any work, and pydantic's message starts with the field's name.
"""

from __future__ import annotations

import datetime as dt


def iso_date(value: str | None) -> str | None:
    """`value` if it is empty/None or a calendar date written YYYY-MM-DD; else ValueError saying why."""
    if not value:
        return value
    try:
        dt.date.fromisoformat(value)
    except ValueError as err:
        raise ValueError(f"{value!r} is not a date written YYYY-MM-DD ({err})") from None
    if len(value) != 10:
        raise ValueError(f"{value!r} is not a date written YYYY-MM-DD")
    return value


def iso_instant(value: str) -> str:
    """`value` if it is empty or an ISO date-time (e.g. 2024-06-03T15:30:00); else ValueError."""
    if not value:
        return value
    try:
        dt.datetime.fromisoformat(value)
    except ValueError as err:
        raise ValueError(f"{value!r} is not an ISO date-time such as 2024-06-03T15:30:00 ({err})") from None
    return value


def non_negative_delays(values: list[float]) -> list[float]:
    """Retry waits: every one >= 0 (a negative wait is a mistake, not 'no wait')."""
    bad = [v for v in values if v < 0]
    if bad:
        raise ValueError(f"waits must be >= 0 seconds, got {bad}")
    return values
