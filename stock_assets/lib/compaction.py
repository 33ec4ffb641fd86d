"""Which periods of the daily lake to compact, and what a read takes from where (ADR 0025).

Why: a read of one symbol over the date-partitioned lake opens one file per session (2,516
files for ten years: 1.7 s). Closed periods are therefore also kept as one file each, sorted
by (symbol, date), so that the same read opens a file per period and a few row groups. The
daily files stay the unit of writing and the source of truth; a compacted file only stands
in for the days of its period that were not written again after it was built (`overrides`).

Pure logic: no files, no Dagster. `storage/compaction.py` does the I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

# A period is compacted once its last day is this many days old: the nightly run heals the
# recent past (ADR 0014), so a younger period would be written again at once.
SETTLE_DAYS = 10


@dataclass(frozen=True)
class Period:
    """A calendar year ('2024') or month ('2026-03') and its first and last calendar day."""

    key: str
    first: dt.date
    last: dt.date

    def holds(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Entry:
    """One compacted file as the manifest lists it.

    `overrides`: the days of its period written again after it was built; a reader takes
    them from their daily files. `retired`: replaced by a newer file, kept only so that a
    reader that planned with the older manifest (or a view built from it) can finish.
    """

    file: str
    period: str
    first: dt.date
    last: dt.date
    rows: int
    overrides: frozenset[dt.date] = field(default_factory=frozenset)
    retired_at: dt.datetime | None = None

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


def year(y: int) -> Period:
    return Period(f"{y:04d}", dt.date(y, 1, 1), dt.date(y, 12, 31))


def month(y: int, m: int) -> Period:
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return Period(f"{y:04d}-{m:02d}", dt.date(y, m, 1), nxt - dt.timedelta(days=1))


def closed_periods(days: list[dt.date], today: dt.date, settle_days: int = SETTLE_DAYS) -> list[Period]:
    """The periods holding `days` (stored days) that are closed by `today`: a whole year once
    it is settled, else each settled month of it. Oldest first."""
    settled = today - dt.timedelta(days=settle_days)
    out: dict[str, Period] = {}
    for day in days:
        y = year(day.year)
        period = y if y.last <= settled else month(day.year, day.month)
        if period.last <= settled:
            out[period.key] = period
    return sorted(out.values(), key=lambda p: p.first)


def to_compact(periods: list[Period], entries: list[Entry]) -> list[Period]:
    """The closed periods without an up-to-date file: none yet, one with overrides to fold in,
    or other files over its days (months of a year that has since closed)."""
    current = [e for e in entries if not e.retired]
    todo = []
    for period in periods:
        mine = [e for e in current if e.period == period.key]
        others = [e for e in current if e.period != period.key and e.first <= period.last and e.last >= period.first]
        if len(mine) != 1 or mine[0].overrides or others:
            todo.append(period)
    return todo


def mark_overrides(entries: list[Entry], days: list[dt.date]) -> tuple[list[Entry], bool]:
    """`entries` with each of `days` marked as written again in every file whose period holds
    it (retired ones too: a reader may still use them); whether anything changed."""
    out, changed = [], False
    for entry in entries:
        hit = {d for d in days if entry.first <= d <= entry.last} - entry.overrides
        if hit:
            entry = replace(entry, overrides=entry.overrides | hit)
            changed = True
        out.append(entry)
    return out, changed


def covered(entries: list[Entry], day: dt.date) -> Entry | None:
    """The current file that serves `day`, or None when the day is read from its daily file."""
    for entry in entries:
        if not entry.retired and entry.first <= day <= entry.last and day not in entry.overrides:
            return entry
    return None


def current_ranges(entries: list[Entry]) -> list[tuple[dt.date, dt.date]]:
    """The date ranges current files cover (overrides aside), oldest first."""
    return sorted((e.first, e.last) for e in entries if not e.retired)
