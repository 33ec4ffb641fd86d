"""Yahoo Finance through yfinance: the `YahooPriceSource` resource and the pieces it is made of.

`source` is the resource; `session` the paced HTTP session; `fetch` the batches and retries;
`frames` yfinance frames to rows; `errors` the error codes; `progress` the run's counters;
`quotes` the `YahooQuoteSource` resource (v7 batch quotes, ADR 0016) on the same session.
Nothing here imports yfinance at module load (see `fetch.import_yfinance`).
"""

from stock_assets.defs.prices.yahoo.source import YahooPriceSource

__all__ = ["YahooPriceSource"]
