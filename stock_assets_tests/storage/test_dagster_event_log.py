"""The instance's event log (ADR 0011): Dagster's SQLite files, written through open connections.

What must hold for it to replace Dagster's default: the shipped dagster.yaml selects it; every
event lands in the same files Dagster's own class reads; a run being written is seen live by a
watcher (the webserver's live run view); two writers lose nothing; wipe and fork are safe; open
files stay bounded however many runs are read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log import SqliteEventLogStorage

from stock_assets.settings import REPO_ROOT
from stock_assets.storage.dagster_event_log import MAX_OPEN_SHARDS, PooledSqliteEventLogStorage
from stock_assets_tests.storage.event_entries import materialization

RUN_ID = "0" * 8 + "-0000-0000-0000-" + "0" * 12


def partitions_stored(base_dir: Path, run_id: str = RUN_ID) -> list[str]:
    """Read back with Dagster's own class, as a webserver on the stock storage would."""
    reader = SqliteEventLogStorage(str(base_dir))
    try:
        records = reader.get_records_for_run(run_id, limit=100_000).records
        return [r.event_log_entry.dagster_event.partition for r in records if r.event_log_entry.is_dagster_event]
    finally:
        reader.dispose()


@pytest.fixture
def storage(tmp_path: Path):
    store = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    yield store
    store.dispose()


def test_shipped_dagster_yaml_selects_it_and_a_run_lands_in_dagsters_files(dagster_home, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))

    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b"]))
    def numbers(context) -> None:
        context.log.info(f"partition {context.partition_key}")

    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        result = dg.materialize([numbers], instance=instance, partition_key="b")
        assert result.success
        run_id = result.run_id
        latest = instance.get_latest_materialization_event(dg.AssetKey("numbers"))
        assert latest is not None and latest.dagster_event.partition == "b"

    runs_dir = dagster_home / "history" / "runs"
    assert (runs_dir / f"{run_id}.db").exists() and (runs_dir / "index.db").exists()
    assert partitions_stored(runs_dir, run_id).count("b") >= 1


def test_connections_are_kept_open_with_wal_safe_pragmas(storage: PooledSqliteEventLogStorage):
    storage.store_event(materialization(RUN_ID, "p0"))
    with storage.run_connection(RUN_ID) as conn:
        first = conn.connection.dbapi_connection
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1
    storage.store_event(materialization(RUN_ID, "p1"))
    with storage.run_connection(RUN_ID) as conn:
        assert conn.connection.dbapi_connection is first
    with storage.index_connection() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000  # SQLite's default
    assert partitions_stored(Path(storage._base_dir)) == ["p0", "p1"]


def test_a_watcher_sees_each_event_while_the_writer_keeps_its_connection(storage: PooledSqliteEventLogStorage):
    """The webserver follows a live run by watching the run's .db file (SqliteEventLogStorageWatchdog)."""
    storage.store_event(materialization(RUN_ID, "p0"))
    webserver = SqliteEventLogStorage(storage._base_dir)
    seen: list[str] = []
    webserver.watch(RUN_ID, None, lambda entry, _cursor: seen.append(entry.dagster_event.partition))
    try:
        for i in range(1, 4):
            storage.store_event(materialization(RUN_ID, f"p{i}"))
            deadline = time.monotonic() + 10
            while f"p{i}" not in seen and time.monotonic() < deadline:
                time.sleep(0.05)
            assert f"p{i}" in seen, f"the watcher did not see event p{i}; saw {seen}"
    finally:
        webserver.dispose()


def test_two_writers_on_one_run_lose_and_duplicate_nothing(tmp_path: Path):
    """A run worker and the daemon (run monitoring) can write the same run's shard at once."""
    base = str(tmp_path / "runs")
    writers = [PooledSqliteEventLogStorage(base), PooledSqliteEventLogStorage(base)]

    def write(store: PooledSqliteEventLogStorage, tag: str) -> None:
        for i in range(150):
            store.store_event(materialization(RUN_ID, f"{tag}{i}"))

    threads = [threading.Thread(target=write, args=(w, tag)) for w, tag in zip(writers, "ab")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in writers:
        w.dispose()
    stored = partitions_stored(Path(base))
    assert len(stored) == 300 and len(set(stored)) == 300


def test_open_shards_stay_bounded_however_many_runs_are_read(storage: PooledSqliteEventLogStorage):
    runs = [f"{i:08d}-0000-0000-0000-000000000000" for i in range(MAX_OPEN_SHARDS * 3)]
    for run_id in runs:
        storage.store_event(materialization(run_id, "p"))
        storage.get_records_for_run(run_id)
    base = os.path.realpath(storage._base_dir)
    open_shards = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(base) and target.endswith(".db"):
            open_shards.add(target)
    assert 1 <= len(open_shards) <= MAX_OPEN_SHARDS
    assert all(partitions_stored(Path(base), run_id) == ["p"] for run_id in (runs[0], runs[-1]))


def test_writes_after_a_wipe_are_kept(storage: PooledSqliteEventLogStorage):
    """The stock wipe unlinks run shard files; a kept connection would write into a deleted file."""
    storage.store_event(materialization(RUN_ID, "before"))
    storage.wipe()
    storage.store_event(materialization(RUN_ID, "after"))
    assert partitions_stored(Path(storage._base_dir)) == ["after"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_writes_through_its_own_connection(storage: PooledSqliteEventLogStorage):
    storage.store_event(materialization(RUN_ID, "parent-before"))
    pid = os.fork()
    if pid == 0:  # the child: write, then leave without running pytest's teardown
        code = 1
        try:
            storage.store_event(materialization(RUN_ID, "child"))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    storage.store_event(materialization(RUN_ID, "parent-after"))
    assert partitions_stored(Path(storage._base_dir)) == ["parent-before", "child", "parent-after"]
    with storage.run_connection(RUN_ID) as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_without_base_dir_or_dagster_home_it_waits_for_its_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    orphan = PooledSqliteEventLogStorage()
    with pytest.raises(dg.DagsterInvariantViolationError, match="no directory yet"):
        orphan.store_event(materialization(RUN_ID, "p"))
    orphan.dispose()


def test_the_cli_without_dagster_home_runs_on_a_temporary_instance(tmp_path):
    """`dagster ... ` in a directory holding dagster.yaml, DAGSTER_HOME unset: Dagster makes a
    temporary instance from that file; the event log opens in the temporary directory."""
    shutil.copy(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STOCK_ASSETS_", "DAGSTER_HOME"))}
    env.update(STOCK_ASSETS_SOURCE="synthetic", STOCK_ASSETS_DATA_DIR=str(tmp_path / "data"),
               STOCK_ASSETS_SYNTHETIC_TICKERS="12")
    done = subprocess.run([str(Path(sys.executable).parent / "dagster"), "job", "execute", "-m",
                           "stock_assets.definitions", "-j", "universe_job"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "RUN_SUCCESS" in done.stderr, done.stderr[-3000:]
    assert not list(tmp_path.glob(".tmp_dagster_home_*"))  # removed when the command ends


def test_an_instance_loaded_from_another_directory_than_dagster_home_is_refused(dagster_home, tmp_path, monkeypatch):
    """Otherwise its runs would be in one directory and their events in another."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    with pytest.raises(dg.DagsterInvariantViolationError, match="Set DAGSTER_HOME to the instance's directory"):
        dg.DagsterInstance.from_config(str(dagster_home))
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)


def test_one_storage_is_shared_by_threads(storage: PooledSqliteEventLogStorage):
    """The webserver's watcher and request threads share one storage, hence its pooled connections."""
    storage.store_event(materialization(RUN_ID, "main"))
    errors: list[BaseException] = []

    def from_a_thread(tag: str) -> None:
        try:
            for i in range(20):
                storage.store_event(materialization(RUN_ID, f"{tag}{i}"))
                storage.get_records_for_run(RUN_ID, limit=5)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=from_a_thread, args=(tag,)) for tag in "xy"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(partitions_stored(Path(storage._base_dir))) == 41


def _open_db_files(base: str) -> set[str]:
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(os.path.realpath(base)) and target.endswith(".db"):
            found.add(target)
    return found


def test_dispose_closes_every_shard_it_kept_open(tmp_path: Path):
    """An instance that is disposed (a test, the CLI at exit) leaves no SQLite file open."""
    store = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    store.store_event(materialization(RUN_ID, "p0"))
    assert _open_db_files(store._base_dir)  # kept open between events: the point of the class
    store.dispose()
    assert _open_db_files(store._base_dir) == set()
    assert partitions_stored(tmp_path / "runs") == ["p0"]
