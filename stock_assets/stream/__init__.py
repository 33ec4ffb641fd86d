"""`python -m stock_assets.stream`: 1-minute prices streamed from Yahoo's WebSocket (ADR 0027).

A long-running process beside the Dagster daemon (docs/deployment.md: a systemd unit), not a
Dagster run: it holds one connection open all day. Dagster watches it through its files
(`stream_prices` observation, `stream_staleness_sensor`).
"""
