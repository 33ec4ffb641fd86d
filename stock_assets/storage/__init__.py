"""Where data is kept: the Parquet lake and the DuckDB warehouse over it."""
