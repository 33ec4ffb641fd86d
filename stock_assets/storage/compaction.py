"""The compacted layer of the daily lake: closed periods as files sorted by (symbol, date).

Layout (ADR 0025): `<lake>/daily_ohlcv_compacted/<period>.<id>.parquet` (a year, or a month
of the open year), listed in `<lake>/daily_ohlcv_compacted/manifest.jsonl`. The daily files
stay the unit of writing and the source of truth; the manifest says which days a compacted
file serves. Every change is a rename:

- a compacted file is written under a temp name, fsync'ed and renamed to a new, unique name
  (never over another file): a reader holding an older manifest keeps reading the file it
  named. A file is listed only once it is complete, and deleted a day after it is retired.
- the manifest is replaced whole (temp, fsync, rename, fsync the folder), under a lock
  (`flock` on `<lake>/daily_ohlcv/.compaction-manifest.lock`), which the kernel releases
  when its holder dies, even by SIGKILL (ADR 0012).
- a daily write takes that lock around its renames (`writing`, called by ParquetLake) and
  first marks its days as overridden in every file that holds them: from then on readers
  take those days from the daily files, so a re-fetched day is visible as soon as it is
  renamed into place, and never served twice.
- a compaction stats a period's daily files before reading them and again under the lock
  when it lists the new file: a day written in between is listed as an override of it.

A SIGKILL at any step leaves either an unlisted file or a temp file (the next compaction,
which alone writes here, deletes both) or a complete manifest; readers never see either.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import polars as pl

from stock_assets.lib import compaction as plan
from stock_assets.lib.compaction import Entry
from stock_assets.lib.schema import DAILY_OHLCV, conform
from stock_assets.storage.lake import ParquetLake, _fsync

TABLE = "daily_ohlcv"
DIR_NAME = "daily_ohlcv_compacted"
# JSON lines, not Parquet: DuckDB reads a Parquet file's footer when it binds a query and its
# pages when it runs it; a manifest renamed in between gave "TProtocolException: Invalid
# data" to a reader during compaction. A text file has no offsets to go stale.
MANIFEST = "manifest.jsonl"
MANIFEST_LOCK = ".compaction-manifest.lock"
COMPACTION_LOCK = ".compaction.lock"
# 16k rows: one symbol's year sits in one or two row groups, and a footer stays small (on one
# year of the bench lake DuckDB read one symbol faster at 16k than at 4k; not tuned further).
ROW_GROUP_ROWS = 16_384
# How long a daily write or a compaction waits for the manifest lock: it is held for a
# manifest rewrite and a batch of renames, milliseconds each, so only a stuck process is slower.
LOCK_WAIT_SECONDS = 120.0
# A retired file is deleted this long after it was replaced (a published copy of the
# warehouse whose views name it, or a long read that planned with it, can finish).
RETIRED_KEEP = dt.timedelta(days=1)


class CompactionBusy(RuntimeError):
    """Another compaction of this lake is running (one at a time)."""


class ManifestLocked(RuntimeError):
    """The manifest lock stayed held longer than LOCK_WAIT_SECONDS."""


def directory(lake_root: Path | str) -> Path:
    return Path(lake_root) / DIR_NAME


def manifest_path(lake_root: Path | str) -> Path:
    return directory(lake_root) / MANIFEST


def read_manifest(lake_root: Path | str) -> list[Entry]:
    """Every listed file, current and retired; [] before the first compaction.

    Parsed once per process per content: the bytes (a few KB) are read every time and
    compared with the last ones parsed.
    """
    path = manifest_path(lake_root)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    cached = _MANIFESTS.get(str(path))
    if cached is not None and cached[0] == data:
        return list(cached[1])
    entries = [_entry(json.loads(line)) for line in data.decode().splitlines() if line.strip()]
    _MANIFESTS[str(path)] = (data, tuple(entries))
    return entries


def _entry(row: dict) -> Entry:
    return Entry(row["file"], row["period"], dt.date.fromisoformat(row["first"]),
                 dt.date.fromisoformat(row["last"]), int(row["rows"]),
                 frozenset(dt.date.fromisoformat(d) for d in row["overrides"]),
                 dt.datetime.fromisoformat(row["retired_at"]) if row["retired_at"] else None)


_MANIFESTS: dict[str, tuple[bytes, tuple[Entry, ...]]] = {}


def current(lake_root: Path | str) -> list[Entry]:
    return [e for e in read_manifest(lake_root) if not e.retired]


def _write_manifest(lake_root: Path | str, entries: list[Entry]) -> None:
    """Replace the manifest: temp, fsync, rename, fsync the folder (caller holds the lock)."""
    lines = [json.dumps({"file": e.file, "period": e.period, "first": e.first.isoformat(),
                         "last": e.last.isoformat(), "rows": e.rows,
                         "overrides": [d.isoformat() for d in sorted(e.overrides)],
                         "retired_at": e.retired_at.isoformat() if e.retired_at else None})
             for e in entries]
    target = manifest_path(lake_root)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
    try:
        tmp.write_text("".join(line + "\n" for line in lines))
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _flock(path: Path, wait_seconds: float, what: str) -> Iterator[None]:
    """An exclusive `flock` on `path`, waited for at most `wait_seconds` (0: not at all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    if wait_seconds <= 0:
                        raise CompactionBusy(f"{what}: another compaction holds {path}") from None
                    raise ManifestLocked(f"{what}: {path} stayed locked for {wait_seconds:g}s") from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _manifest_lock(lake_root: Path | str, what: str):
    return _flock(Path(lake_root) / TABLE / MANIFEST_LOCK, LOCK_WAIT_SECONDS, what)


@contextmanager
def writing(lake_root: Path | str, table: str, days: list[dt.date]) -> Iterator[None]:
    """Around a daily write's renames: hold the manifest lock, and first mark `days` as
    overridden in every compacted file that holds them (see the module docstring)."""
    if table != TABLE:
        yield
        return
    with _manifest_lock(lake_root, f"daily write of {len(days)} day(s)"):
        entries = read_manifest(lake_root)
        marked, changed = plan.mark_overrides(entries, days)
        if changed:
            _write_manifest(lake_root, marked)
        yield


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _stored_days(lake: ParquetLake, period: plan.Period) -> dict[dt.date, tuple[int, int, int]]:
    out = {}
    for path in lake.partition_files_between(TABLE, period.first, period.last):
        ident = _identity(path)
        if ident is not None:
            out[dt.date.fromisoformat(path.parent.name.removeprefix("date="))] = ident
    return out


def _write_sorted(frame: pl.DataFrame, folder: Path, period: plan.Period) -> str:
    """`frame` sorted by (symbol, date) as a new uniquely named file in `folder`; its name."""
    name = f"{period.key}.{uuid.uuid4().hex[:12]}.parquet"
    tmp = folder / f".{name}.tmp"
    try:
        frame.sort("symbol", "date").write_parquet(
            tmp, compression="zstd", statistics=True, row_group_size=ROW_GROUP_ROWS, use_pyarrow=True)
        _fsync(tmp)
        os.replace(tmp, folder / name)
        _fsync(folder)
    finally:
        tmp.unlink(missing_ok=True)
    return name


def _sweep(lake_root: Path | str) -> list[str]:
    """Delete what a killed compaction left: temp files and files the manifest never listed.
    Called with the compaction lock held (no other compaction writes here)."""
    folder = directory(lake_root)
    swept = []
    with _manifest_lock(lake_root, "compaction sweep"):
        listed = {e.file for e in read_manifest(lake_root)}
        for path in folder.iterdir():
            orphan = path.name.endswith(".tmp") or (path.suffix == ".parquet" and path.name not in listed)
            if orphan and path.is_file():
                path.unlink(missing_ok=True)
                swept.append(path.name)
    return swept


def _collect_retired(lake_root: Path | str, now: dt.datetime, keep: dt.timedelta) -> list[str]:
    """Unlist and delete files retired more than `keep` ago."""
    with _manifest_lock(lake_root, "compaction clean-up"):
        entries = read_manifest(lake_root)
        old = [e for e in entries if e.retired and e.retired_at < now - keep]
        if old:
            _write_manifest(lake_root, [e for e in entries if e not in old])
    for entry in old:
        (directory(lake_root) / entry.file).unlink(missing_ok=True)
    return [e.file for e in old]


def compact(lake_root: Path | str, today: dt.date, *, settle_days: int = plan.SETTLE_DAYS,
            keep: dt.timedelta = RETIRED_KEEP, log: Callable[[str], None] = lambda _: None,
            after_file: Callable[[str], None] | None = None) -> dict:
    """Compact every closed period that has no up-to-date file; idempotent (a second call
    finds nothing to do). Raises CompactionBusy when another compaction is running.

    `after_file` is called between writing a file and listing it (tests stop there)."""
    lake = ParquetLake(lake_root)
    folder = directory(lake_root)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with _flock(folder / COMPACTION_LOCK, 0, "compaction"):
        swept = _sweep(lake_root)
        periods = plan.closed_periods(lake.partition_days(TABLE), today, settle_days)
        todo = plan.to_compact(periods, read_manifest(lake_root))
        done = []
        for i, period in enumerate(todo, 1):
            before = _stored_days(lake, period)  # identities first, then the contents
            paths = [lake.partition_path(TABLE, day) for day in sorted(before)]
            frame = conform(pl.scan_parquet(paths, schema=DAILY_OHLCV, missing_columns="insert",
                                            extra_columns="ignore", glob=False,
                                            hive_partitioning=False).collect(), DAILY_OHLCV)
            name = _write_sorted(frame, folder, period)
            if after_file:
                after_file(name)
            with _manifest_lock(lake_root, f"compaction of {period.key}"):
                now_ids = _stored_days(lake, period)
                changed = {d for d in before.keys() | now_ids.keys() if before.get(d) != now_ids.get(d)}
                now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                entries = [replace(e, retired_at=now)
                           if not e.retired and e.first <= period.last and e.last >= period.first else e
                           for e in read_manifest(lake_root)]
                entries.append(Entry(name, period.key, period.first, period.last, frame.height,
                                     frozenset(changed)))
                _write_manifest(lake_root, entries)
            done.append({"period": period.key, "file": name, "days": len(before), "rows": frame.height,
                         "written_meanwhile": len(changed)})
            log(f"compacted {period.key} ({i}/{len(todo)}): {len(before)} daily files, "
                f"{frame.height} rows -> {name}")
        collected = _collect_retired(lake_root, dt.datetime.now(dt.UTC).replace(tzinfo=None), keep)
    return {"periods": done, "swept": swept, "deleted_retired": collected,
            "current_files": len(current(lake_root)), "seconds": round(time.monotonic() - started, 2)}
