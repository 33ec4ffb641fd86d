"""Pure parsers of exchange listings, one module per source (no Dagster, no network)."""
