"""Quote snapshots: the stored row, Yahoo's v7 answer parsed into it, freshness and retention.

Pure logic, no Dagster: `defs/prices/quote_snapshots.py` and the quote sources use it.
"""
