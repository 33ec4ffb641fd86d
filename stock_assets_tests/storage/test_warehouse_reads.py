"""Warehouse.query and .scalar are reads: read-only connections, never the write lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest

from stock_assets.storage.warehouse import Warehouse

# A notebook doing what the README used to advise: the warehouse open read-only, held.
NOTEBOOK = textwrap.dedent("""
    import sys, time, duckdb
    conn = duckdb.connect(sys.argv[1], read_only=True)
    conn.execute("SELECT count(*) FROM universe.tickers").fetchone()
    print("reading", flush=True)
    time.sleep(60)
""")


def test_a_query_does_not_wait_for_another_reader(warehouse):
    notebook = subprocess.Popen([sys.executable, "-c", NOTEBOOK, str(warehouse.path)],
                                stdout=subprocess.PIPE, text=True)
    try:
        assert notebook.stdout.readline().strip() == "reading"
        impatient = Warehouse(warehouse.path, warehouse.lake_root, lock_wait_seconds=0.5)
        assert impatient.query("SELECT count(*) AS n FROM universe.tickers")["n"][0] == 0
        assert impatient.scalar("SELECT count(*) FROM ops.dead_letter") == 0
        assert impatient.count("ops.fetch_errors") == 0
    finally:
        notebook.kill()
        notebook.wait(timeout=30)


def test_a_query_cannot_write(warehouse):
    with pytest.raises(duckdb.InvalidInputException, match="read-only"):
        warehouse.query("INSERT INTO ops.dead_letter VALUES ('X', now(), 3, 'YFEMPTY', 'x') RETURNING symbol")
    assert warehouse.count("ops.dead_letter") == 0
