"""Intraday bars as pure logic (no Dagster): sessions, parsing, exact resampling, synthesis.

Why a sub-package: intraday bars need the instrument's own session (09:30-16:00 New York for
a US share, with half-days; 18:00 ET the evening before to 17:00 ET for a CME future), and
the parser, the resampler, the synthetic source and the checks must all agree on it. One
interval is fetched (1m) and every coarser one is derived from it here, exactly
(docs/adr/0021-intraday-intervals.md).
"""
