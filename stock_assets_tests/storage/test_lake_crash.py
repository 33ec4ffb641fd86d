"""A writer killed mid-write: its temp files are swept by the next write, a live writer's are
not, and a day's file is on disk (fsync) before it is renamed into place."""

import datetime as dt
import errno
import os
import subprocess
import sys
import time

import polars as pl
import pytest

from stock_assets.lib.processes import identify
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage import lake as lake_module
from stock_assets.storage.lake import FILE_NAME, TEMP_ORPHAN_SECONDS, ParquetLake

DAY = dt.date(2024, 6, 3)


@pytest.fixture
def lake(tmp_path) -> ParquetLake:
    return ParquetLake(tmp_path / "lake")


def _bars(day: dt.date, symbols=("AAA", "BBB")) -> pl.DataFrame:
    n = len(symbols)
    return pl.DataFrame({"date": [day] * n, "symbol": list(symbols), "open": [1.0] * n, "high": [2.0] * n,
                         "low": [0.5] * n, "close": [1.5] * n, "adj_close": [1.5] * n, "volume": [10] * n,
                         "provider": ["t"] * n, "source_ts": [None] * n,
                         "ingested_at": [dt.datetime(2024, 6, 4)] * n, "run_id": ["r"] * n, "currency": ["USD"] * n})


def _temp_of(lake: ParquetLake, day: dt.date, writer: str) -> os.PathLike:
    """A temp file as `_replace_file` names it, for the writer `writer` (a ProcessId text)."""
    folder = lake.partition_path("daily_ohlcv", day).parent
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{FILE_NAME}.{writer.replace('/', '~')}.0123abcd.tmp"
    tmp.write_bytes(b"PAR1 half a file")
    return tmp


def _dead_writer() -> str:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    writer = identify(child.pid).text()
    child.communicate(b"", timeout=30)
    return writer


def test_a_write_sweeps_the_temp_files_of_a_killed_writer_and_only_those(lake):
    other_day = DAY + dt.timedelta(days=1)
    dead = _temp_of(lake, other_day, _dead_writer())          # killed mid-write (another day)
    live = _temp_of(lake, other_day, identify().text())        # a writer still at work
    unknown_young = _temp_of(lake, DAY, "not-a-process-name")  # old-style name, just written
    unknown_old = _temp_of(lake, DAY - dt.timedelta(days=1), "not-a-process-name")
    an_hour_ago = time.time() - TEMP_ORPHAN_SECONDS - 60
    os.utime(unknown_old, (an_hour_ago, an_hour_ago))

    lake.write_partitions("daily_ohlcv", [DAY], _bars(DAY), DAILY_OHLCV)

    assert not dead.exists() and not unknown_old.exists()
    assert live.exists() and unknown_young.exists()
    assert lake.read_partition("daily_ohlcv", DAY, DAILY_OHLCV).height == 2


def test_sweep_of_a_table_without_files_is_a_no_op(lake):
    assert lake.sweep_temp_files("daily_ohlcv") == []


def test_the_temp_file_is_fsynced_before_the_rename_and_the_folder_after(lake, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        calls.append(("fsync", os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))))
        real_fsync(fd)

    def replace(src, dst):
        calls.append(("replace", os.path.basename(src)))
        real_replace(src, dst)

    monkeypatch.setattr(lake_module.os, "fsync", fsync)
    monkeypatch.setattr(lake_module.os, "replace", replace)
    lake.write_partitions("daily_ohlcv", [DAY], _bars(DAY), DAILY_OHLCV)

    [(op1, synced), (op2, renamed), (op3, folder)] = calls
    assert (op1, op2, op3) == ("fsync", "replace", "fsync")
    assert synced == renamed and synced.endswith(".tmp")  # the temp file's bytes, before the rename
    assert folder == f"date={DAY.isoformat()}"            # the rename itself, after


def test_a_killed_writers_temp_file_is_swept_on_a_host_whose_name_has_dots(lake, monkeypatch):
    """Hosts are often named `build-7.example.org`: the writer is read from the temp file's name
    up to its last dot (the uuid), so a dotted host name still identifies a dead writer."""
    monkeypatch.setattr("stock_assets.lib.processes.this_host", lambda: "build-7.example.org")
    dead = _temp_of(lake, DAY, _dead_writer())
    live = _temp_of(lake, DAY, identify().text())
    assert "build-7.example.org" in dead.name

    assert lake.sweep_temp_files("daily_ohlcv") == [dead]
    assert not dead.exists() and live.exists()


@pytest.mark.parametrize("half_written", [False, True])
def test_a_write_that_fails_raises_the_real_cause_and_leaves_no_temp_file(lake, monkeypatch, half_written):
    """The disk fills before a byte is written, or half-way through the file: the caller sees
    ENOSPC (not a clean-up error about a temp file that never was), no temp file is left, and
    the stored day is untouched."""
    lake.write_partitions("daily_ohlcv", [DAY], _bars(DAY), DAILY_OHLCV)
    before = lake.partition_path("daily_ohlcv", DAY).read_bytes()

    def write_parquet(self, file, *args, **kwargs):
        if half_written:
            with open(file, "wb") as handle:
                handle.write(b"PAR1 half a file")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(pl.DataFrame, "write_parquet", write_parquet)

    with pytest.raises(OSError) as err:
        lake.write_partitions("daily_ohlcv", [DAY], _bars(DAY, ("CCC",)), DAILY_OHLCV)
    assert err.value.errno == errno.ENOSPC
    folder = lake.partition_path("daily_ohlcv", DAY).parent
    assert [p.name for p in folder.iterdir()] == [FILE_NAME]
    assert lake.partition_path("daily_ohlcv", DAY).read_bytes() == before
