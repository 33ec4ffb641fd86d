"""Pure logic of the price stream (`python -m stock_assets.stream`): no Dagster, no I/O.

- `messages`: Yahoo's streamer frames -> ticks (yfinance's protobuf schema), garbage classified;
- `bars`: ticks -> closed 1-minute bars per symbol (OHLC, volume from `day_volume`, tick count);
- `backoff`: the reconnect schedule (jittered, capped, bounded) and subscription chunks;
- `status`: the heartbeat, which markets are open, and whether the stream is stale.
"""
