"""Write check outcomes to qa.failures and qa.summary: replace, keep first_seen, resolve.

Why the checks write (and not only `qa_summary`): ERROR checks are blocking, so a failing
partition never reaches `qa_summary`; yet its failures are the ones people most need to
query. Every evaluation is therefore recorded in one short transaction:
- a failure found again keeps its `first_seen` and takes the new run_id, value and details;
- an unresolved failure inside the outcome's scope that was not found again is resolved;
- the partition days' qa.summary rows for the check are replaced.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from stock_assets.lib.qa import records as qa_records
from stock_assets.lib.validation import Outcome
from stock_assets.storage.warehouse import Warehouse

_SAME_KEY = ("f.check_name = i.check_name AND f.date IS NOT DISTINCT FROM i.date "
             "AND f.symbol IS NOT DISTINCT FROM i.symbol AND f.market IS NOT DISTINCT FROM i.market")


def record(wh: Warehouse, evaluated: list[tuple[str, str, Outcome]], days: list[dt.date], run_id: str,
           now: dt.datetime) -> dict[str, pl.DataFrame]:
    """Record (check, severity, outcome) triples for the partition `days`; failure rows per check."""
    if not days:
        return {}
    first, last = min(days), max(days)
    wh.ensure_schema()
    written = {}
    with wh.transaction() as conn:
        for check, severity, outcome in evaluated:
            rows = qa_records.failure_rows(check, severity, outcome, run_id, now, last)
            lo, hi = outcome.scope or (first, last)
            conn.register("incoming", rows.to_arrow())
            conn.execute("CREATE OR REPLACE TEMP TABLE inc AS SELECT * FROM incoming")
            conn.unregister("incoming")
            conn.execute(f"""UPDATE inc i SET first_seen = f.first_seen FROM qa.failures f
                             WHERE NOT f.resolved AND {_SAME_KEY}""")
            conn.execute(f"""DELETE FROM qa.failures f WHERE NOT f.resolved AND f.check_name = ?
                             AND EXISTS (SELECT 1 FROM inc i WHERE {_SAME_KEY})""", [check])
            conn.execute("""UPDATE qa.failures SET resolved = TRUE, resolved_at = ?
                            WHERE NOT resolved AND check_name = ? AND date BETWEEN ? AND ?""",
                         [now, check, lo, hi])
            cols = ", ".join(qa_records.FAILURES)
            conn.execute(f"INSERT INTO qa.failures ({cols}) SELECT {cols} FROM inc")
            summary = qa_records.summary_rows(check, severity, rows, days, run_id, now)
            conn.execute("DELETE FROM qa.summary WHERE check_name = ? AND date BETWEEN ? AND ?",
                         [check, first, last])
            conn.register("incoming", summary.to_arrow())
            conn.execute(f"INSERT INTO qa.summary ({', '.join(qa_records.SUMMARY)}) "
                         f"SELECT {', '.join(qa_records.SUMMARY)} FROM incoming")
            conn.unregister("incoming")
            written[check] = rows
        conn.execute("DROP TABLE IF EXISTS inc")
    return written
