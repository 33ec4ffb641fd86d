"""Dagster's SQLite event log with its connections kept open between events (ADR 0011).

Why: the stock `SqliteEventLogStorage` creates a new SQLAlchemy engine and a new connection
for every event it stores, twice for an asset event (the run's shard, then the cross-run
index shard). On a WAL database, closing the last connection checkpoints the WAL and
deletes it (an fsync each time), and a new engine starts with an empty compiled-statement
cache. A single-run backfill of 2,609 partitions stores ~10k asset events: 8 ms each here,
~85 s of a 119 s backfill. Keeping one engine and one open connection per shard brings an
event to ~2 ms (docs/performance.md).

What it keeps of the stock behaviour, on purpose:
- every write is still its own transaction under Dagster's lock;
- a run shard is checkpointed after every commit (`wal_autocheckpoint=1`), so the `.db`
  file changes with each event: the webserver follows a live run by watching that file;
- `synchronous=NORMAL` only on WAL databases, where SQLite guarantees no corruption and
  no loss on a process crash (an OS crash or power cut can lose the last commits);
- at most `MAX_OPEN_SHARDS` shards are held open (the webserver reads many runs), the
  least recently used are closed; a forked child never reuses its parent's connections.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import sqlalchemy as sa
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData

MAX_OPEN_SHARDS = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Run-sharded SQLite event log (Dagster's default layout and files), one open connection per shard.

    Configured in dagster.yaml under `event_log_storage`; `base_dir` defaults to
    `$DAGSTER_HOME/history/runs`, where Dagster's default storage keeps the same files, so an
    existing instance keeps its history (without DAGSTER_HOME: the instance's own directory).
    """

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._schema_seen: set[str] = set()  # tables and columns seen to exist
        self._inst_data_pending = inst_data
        self._base_dir_from_home = base_dir is None
        base_dir = base_dir or home_base_dir()
        self._deferred = base_dir is None
        if not self._deferred:
            super().__init__(base_dir, inst_data=inst_data)

    def register_instance(self, instance) -> None:
        expected = os.path.join(instance.root_directory, "history", "runs")
        if self._deferred:
            # No base_dir and no DAGSTER_HOME: a temporary instance (the dagster CLI run in the
            # repo without DAGSTER_HOME reads ./dagster.yaml into a temp dir); only the instance
            # knows its directory, so the storage opens its files now.
            self._deferred = False
            SqliteEventLogStorage.__init__(self, expected, inst_data=self._inst_data_pending)
        elif self._base_dir_from_home and os.path.realpath(expected) != os.path.realpath(self._base_dir):
            # Otherwise the instance would keep its runs in one place and their events in another.
            raise dg.DagsterInvariantViolationError(
                f"The instance in {instance.root_directory} would keep its event log in {self._base_dir} "
                "(from DAGSTER_HOME). Set DAGSTER_HOME to the instance's directory, or `base_dir` "
                "under event_log_storage in its dagster.yaml."
            )
        super().register_instance(instance)

    @classmethod
    def config_type(cls):
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        if self._deferred:
            raise dg.DagsterInvariantViolationError(
                "PooledSqliteEventLogStorage has no directory yet: set `base_dir` or DAGSTER_HOME, "
                "or use it through a DagsterInstance."
            )
        with self._db_lock:
            engine = self._engine_for(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine_for(self, shard: str) -> sa.Engine:
        """The shard's engine (created, initialised and cached on first use); caller holds `_db_lock`."""
        if self._engines_pid != os.getpid():
            # A forked child: the parent's connections belong to the parent; forget, never close them.
            self._engines, self._engines_pid = OrderedDict(), os.getpid()
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = sa.create_engine(
            self.conn_string_for_shard(shard),
            poolclass=sa.pool.QueuePool,
            pool_size=1,
            max_overflow=2,
            # Threads share the connection (the webserver's watcher and requests), one at a time
            # under Dagster's `_db_lock`.
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        sa.event.listen(engine, "connect", _pragmas(run_shard=shard != INDEX_SHARD_NAME))
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
            engine.dispose()  # reconnect: the pragmas depend on the journal mode _initdb sets
        self._engines[shard] = engine
        while len(self._engines) > MAX_OPEN_SHARDS:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    def has_table(self, table_name: str) -> bool:
        # Dagster asks this for every asset event that has tags, each time on a new engine
        # (~1.7 ms). Tables are only ever added (by migrations), so a table once seen stays.
        if table_name in self._schema_seen:
            return True
        found = super().has_table(table_name)
        if found:
            self._schema_seen.add(table_name)
        return found

    def _has_asset_key_index_cols_on_connection(self, conn: sa.Connection) -> bool:
        # Asked (by reading the table's columns) for every asset event; the same reasoning as above.
        if "asset_keys.last_materialization_timestamp" in self._schema_seen:
            return True
        found = super()._has_asset_key_index_cols_on_connection(conn)
        if found:
            self._schema_seen.add("asset_keys.last_materialization_timestamp")
        return found

    def close_connections(self) -> None:
        """Close every open shard connection (they reopen on next use)."""
        with self._db_lock:
            if self._engines_pid == os.getpid():
                for engine in self._engines.values():
                    engine.dispose()
            self._engines = OrderedDict()

    def wipe(self) -> None:
        # The stock wipe unlinks the run shards' files: connections must not outlive them.
        self.close_connections()
        super().wipe()

    def dispose(self) -> None:
        if self._deferred:  # never opened anything
            return
        super().dispose()
        self.close_connections()


def home_base_dir() -> str | None:
    """Where Dagster's default SQLite storage keeps run shards, `$DAGSTER_HOME/history/runs`;
    None without DAGSTER_HOME (the instance's own directory is used once it registers)."""
    home = os.environ.get("DAGSTER_HOME")
    return os.path.join(home, "history", "runs") if home else None


def _pragmas(run_shard: bool):
    """Connection set-up for one shard (see the module docstring for why each)."""

    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        try:
            (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() == "wal":
                cursor.execute("PRAGMA synchronous=NORMAL")
                if run_shard:
                    cursor.execute("PRAGMA wal_autocheckpoint=1")
        finally:
            cursor.close()

    return on_connect
