"""Month files of intraday bars: a read-side copy of a closed month's session files (ADR 0023).

Why: the session files (`intraday_bars/interval=<i>/date=YYYY-MM-DD/data.parquet`) are the unit
of writing, and the truth; but a year of one symbol's 1h bars opened 252 of them (0.3 s in a new
process, goal 50 ms). So once a month has closed, its session files of an interval are copied
into ONE file, `interval=<i>/month=YYYY-MM/data.parquet`, sorted by symbol and ts in small row
groups: a one-symbol read opens 12 footers for a year and skips, by the row groups' statistics,
every row group without that symbol.

A month file is a cache that can never be stale in a read: its Parquet key-value metadata
(`MANIFEST_KEY`) names each session file it holds by identity (inode, size, mtime in ns, taken
from the open file before reading it). A reader serves a session from the month file only while
that session's file still has that identity; a session file rewritten since (a re-fetched day)
or added since is read from the session file, at once. Each session comes from exactly one of
the two, so no row is read twice and none is missed. `compact_closed` (run by every
`intraday_bars` run) rebuilds a month file whose manifest no longer matches, atomically (temp
file, fsync, rename), so the next read is fast again.

The warehouse view `prices.intraday_bars` reads the session files only (`date=*`): the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from pathlib import Path

import polars as pl

from stock_assets.lib.intraday.schema import INTRADAY_BARS
from stock_assets.lib.intraday.sessions import INTERVALS
from stock_assets.lib.processes import ProcessId, identify, is_gone
from stock_assets.lib.schema import conform

TABLE = "intraday_bars"
FILE_NAME = "data.parquet"
MANIFEST_KEY = "stock_assets.session_files"
# Rows per row group: a symbol's month of 1m bars (~8,200 rows) spans one or two groups, its
# month of 1h bars (~150) one; small enough that a one-symbol read decodes little.
ROW_GROUP_ROWS = 16_384
# Up to this many calendar days, the session files of a range are looked up day by day
# (one stat each); a longer or open range lists the interval's folder once.
LOOKUP_DAYS_MAX = 400
# A temp month file whose writer cannot be checked is swept once this old.
TEMP_ORPHAN_SECONDS = 3600.0

Identity = tuple[int, int, int]  # (inode, size, mtime_ns): a session file as it is now


def interval_dir(lake_root: Path, interval: str) -> Path:
    if interval not in INTERVALS:
        raise ValueError(f"interval {interval!r} is not one of {', '.join(INTERVALS)}")
    return Path(lake_root) / TABLE / f"interval={interval}"


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_path(lake_root: Path, interval: str, month: dt.date) -> Path:
    return interval_dir(lake_root, interval) / f"month={month:%Y-%m}" / FILE_NAME


def _identity(st: os.stat_result) -> Identity:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def session_files(lake_root: Path, interval: str, start: dt.date | None = None,
                  end: dt.date | None = None) -> dict[dt.date, tuple[str, Identity]]:
    """The session files of `interval` dated start..end (None: open), by day, with their
    identities. Plain strings and `os.stat`: pathlib cost more than the stats on a year."""
    base = str(interval_dir(lake_root, interval))
    if start is not None and end is not None and (end - start).days <= LOOKUP_DAYS_MAX:
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    else:
        try:
            days = sorted(dt.date.fromisoformat(e.name[5:]) for e in os.scandir(base) if e.name.startswith("date="))
        except FileNotFoundError:
            return {}
        days = [d for d in days if (start is None or d >= start) and (end is None or d <= end)]
    found: dict[dt.date, tuple[str, Identity]] = {}
    for day in days:
        path = f"{base}/date={day.isoformat()}/{FILE_NAME}"
        try:
            found[day] = (path, _identity(os.stat(path)))
        except FileNotFoundError:
            continue
    return found


def manifest(path: Path) -> dict[dt.date, Identity]:
    """The session files a month file holds (empty when there is no month file)."""
    try:
        meta = pl.read_parquet_metadata(path)
    except (FileNotFoundError, OSError, pl.exceptions.PolarsError):
        return {}
    raw = json.loads(meta.get(MANIFEST_KEY, "{}"))
    return {dt.date.fromisoformat(day): tuple(ident) for day, ident in raw.items()}


def _read_session(path: str) -> tuple[pl.DataFrame, Identity] | None:
    """A session file's rows and the identity of exactly the file read (None: gone meanwhile)."""
    try:
        with open(path, "rb") as handle:
            ident = _identity(os.fstat(handle.fileno()))
            return conform(pl.read_parquet(handle), INTRADAY_BARS), ident
    except FileNotFoundError:
        return None


def build_month(lake_root: Path, interval: str, month: dt.date) -> int:
    """(Re)write the month file of `interval` and `month` from its session files; rows written."""
    last = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    frames, held = [], {}
    for day, (path, _) in session_files(lake_root, interval, month, last).items():
        read = _read_session(path)
        if read is not None:
            frames.append(read[0])
            held[day.isoformat()] = list(read[1])
    if not held:
        return 0
    rows = pl.concat(frames, how="vertical_relaxed").sort("symbol", "ts")
    target = month_path(lake_root, interval, month)
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep(target.parent)
    tmp = target.parent / f".{FILE_NAME}.{_writer_tag()}.{uuid.uuid4().hex}.tmp"
    try:
        rows.write_parquet(tmp, compression="zstd", statistics=True, row_group_size=ROW_GROUP_ROWS,
                           metadata={MANIFEST_KEY: json.dumps(held, sort_keys=True)})
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return rows.height


def compact_closed(lake_root: Path, today: dt.date, intervals=tuple(INTERVALS)) -> dict[str, list[str]]:
    """Build every month file whose month ended before `today` and that is missing or no longer
    matches its session files; interval -> the months (YYYY-MM) rebuilt."""
    rebuilt: dict[str, list[str]] = {}
    for interval in intervals:
        by_month: dict[dt.date, dict[dt.date, Identity]] = {}
        for day, (_, ident) in session_files(lake_root, interval).items():
            by_month.setdefault(month_of(day), {})[day] = ident
        for month, current in sorted(by_month.items()):
            closed = (month + dt.timedelta(days=32)).replace(day=1) <= today
            if closed and manifest(month_path(lake_root, interval, month)) != current:
                build_month(lake_root, interval, month)
                rebuilt.setdefault(interval, []).append(f"{month:%Y-%m}")
    return rebuilt


def _writer_tag() -> str:
    """This process, as a file-name piece (`/` made `~`): a sweep can tell a dead writer's temp."""
    return identify().text().replace("/", "~")


def _sweep(folder: Path) -> None:
    """Delete the temp month files of writers that died (a live writer's are left alone)."""
    for tmp in folder.glob(f".{FILE_NAME}.*.tmp"):
        middle = tmp.name.removeprefix(f".{FILE_NAME}.").removesuffix(".tmp")
        writer = ProcessId.parse(middle.rsplit(".", 1)[0].replace("~", "/")) if "." in middle else None
        gone = is_gone(writer) if writer else None
        try:
            if gone or (gone is None and time.time() - tmp.stat().st_mtime > TEMP_ORPHAN_SECONDS):
                tmp.unlink(missing_ok=True)
        except FileNotFoundError:
            continue


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
