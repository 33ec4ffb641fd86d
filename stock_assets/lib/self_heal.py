"""What the nightly run heals, and when it must refuse to run: pure rules, no Dagster.

Why the nightly run looks back: a night the daemon missed, a symbol Yahoo failed, or a run
that failed would otherwise stay missing until a person backfilled it. The nightly run
covers tonight's session and the `lookback` sessions before it, as ONE partition-range run
(ADR 0014). That costs no extra request: the price asset asks each symbol once, from its
first missing session (ADR 0008), and a symbol complete for the older sessions is asked
only for tonight, as before.

Why a staleness guard: the universe is refreshed on the first weekday of each month. If
that scrape failed (or never ran), every night would quietly fetch last month's symbols;
older than `MAX_UNIVERSE_AGE_DAYS` the nightly run stops and says why, unless a person
allows it for that run.
"""

from __future__ import annotations

import datetime as dt

from stock_assets.lib import calendar

DEFAULT_LOOKBACK_SESSIONS = 5  # a whole week of missed nights heals by itself
MAX_UNIVERSE_AGE_DAYS = 35  # a monthly refresh plus a few days of slack
TRIGGER_TAG = "stock_assets/trigger"
NIGHTLY_TRIGGER = "nightly_prices_schedule"
OVERRIDE_CONFIG = "ops: {daily_prices: {config: {allow_stale_universe: true}}}"


def window_start(session: dt.date, lookback: int) -> dt.date:
    """The first session of the nightly window: `lookback` XNYS sessions before `session`."""
    if lookback < 0:
        raise ValueError(f"lookback must be >= 0 sessions, got {lookback}")
    first = session
    for _ in range(lookback):
        if first <= calendar.FIRST_SESSION:
            break
        first = calendar.previous_session(first)
    return max(first, calendar.FIRST_SESSION)


def universe_age_days(refreshed_at: dt.datetime | dt.date, session: dt.date) -> int:
    """Whole days from the last universe refresh to `session` (negative if refreshed later).

    Measured against the session being fetched, not the wall clock: for the nightly run it is
    today, and a replayed night (a test, a re-execution) is judged as it would have been.
    """
    refreshed = refreshed_at.date() if isinstance(refreshed_at, dt.datetime) else refreshed_at
    return (session - refreshed).days


def stale_universe(refreshed_at: dt.datetime | dt.date | None, session: dt.date,
                   max_age_days: int = MAX_UNIVERSE_AGE_DAYS) -> str | None:
    """Why the universe is too old to fetch `session` with, or None when it is fresh enough."""
    if refreshed_at is None:
        return None  # no universe at all: the price asset says so itself (UniverseMissing)
    age = universe_age_days(refreshed_at, session)
    if age <= max_age_days:
        return None
    return (
        f"the ticker universe is {age} days old (last refreshed {refreshed_at:%Y-%m-%d}, session {session}; "
        f"limit {max_age_days} days): the monthly universe scrape failed or did not run, so tonight would "
        f"fetch a stale list of symbols. Refresh it (run universe_job; docs/runbooks/scrape_failure.md) and "
        f"re-execute, or to fetch with this universe anyway relaunch this run with run config `{OVERRIDE_CONFIG}`."
    )
