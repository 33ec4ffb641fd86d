"""Where data is kept: the Parquet lake, the DuckDB warehouse over it, and the instance's event log store."""
