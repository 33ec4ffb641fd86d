"""The live universe: the registry's scrapers, fetched over HTTP (or `file://`) and parsed.

Why a resource: assets ask for `universe_source: UniverseSource`; this one is chosen by
`resources.py` whenever `STOCK_ASSETS_UNIVERSE` is not `synthetic`. Any fetch or parse
failure surfaces as a `CodedError` (SCRAPE_HTTP / SCRAPE_LAYOUT) before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from pydantic import Field, field_validator

from stock_assets.defs.universe.scrapers import SCRAPERS, sources_for, unknown
from stock_assets.defs.universe.sources import Listing, UniverseSource
from stock_assets.lib import config_checks
from stock_assets.lib.http import DEFAULT_DEADLINE_SECONDS, DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_SECONDS, fetch_text
from stock_assets.lib.lifecycle import LISTING_COLUMNS
from stock_assets.lib.retry import RetryPolicy
from stock_assets.lib.symbols import Rejected
from stock_assets.settings import DEFAULT_FUTURES, Settings


class LiveUniverseSource(UniverseSource):
    """Exchange listings and index pages, scraped through the registry in `scrapers.py`."""

    sources: list[str] = Field(description="Registry sources scraped every time, e.g. ['sp500'].")
    extra_indices: list[str] = Field(default_factory=list, description=(
        "More registry sources scraped every time, e.g. ['ftse100', 'dax40']."))
    urls: dict[str, str] = Field(default_factory=dict, description=(
        "Per-source URL overrides (https:// or file://); the registry's default otherwise."))
    futures: list[str] = Field(default_factory=lambda: DEFAULT_FUTURES.split(","), description=(
        "The `futures` source's continuous contracts in Yahoo form (STOCK_ASSETS_FUTURES)."))
    timeout_seconds: float = Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0, description=(
        "Seconds without a byte before a request is given up (0 would mean wait forever)."))
    deadline_seconds: float = Field(default=DEFAULT_DEADLINE_SECONDS, gt=0, description=(
        "Seconds for a source's whole answer, however it trickles in; past it the scrape fails."))
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, gt=0, description=(
        "Largest answer accepted from a source; a larger (or endless) one fails the scrape."))
    retry_delays_seconds: list[float] = Field(default_factory=lambda: [2.0, 5.0, 15.0], description=(
        "Waits before each retry of a transient failure (timeout, 429, 5xx): three retries."))

    _delays = field_validator("retry_delays_seconds")(config_checks.non_negative_delays)

    def names(self, extra_sources: Sequence[str] = ()) -> list[str]:
        """The sources of a scrape, in order, each once."""
        names = list(dict.fromkeys([*self.sources, *self.extra_indices, *extra_sources]))
        bad = unknown(names)
        if bad:
            raise ValueError(f"unknown listing sources {bad}; known: {', '.join(SCRAPERS)}")
        return names

    def url(self, name: str) -> str:
        return self.urls.get(name) or SCRAPERS[name].default_url

    def scrape(self, as_of: dt.date, extra_sources: Sequence[str] = ()) -> Listing:
        policy = RetryPolicy(schedule=tuple(self.retry_delays_seconds))
        frames, rejected, excluded, notes = [], [], {}, {}
        for name in self.names(extra_sources):
            url = self.url(name)
            if SCRAPERS[name].configured:
                text = ",".join(self.futures)
            else:
                text = fetch_text(url, timeout=self.timeout_seconds, policy=policy,
                                  deadline=self.deadline_seconds, max_bytes=self.max_bytes)
            parsed = SCRAPERS[name].parse(text, f"{name} ({url})")
            frames.append(parsed.frame(name))
            rejected += [Rejected(raw=r.raw, reason=r.reason, source=name) for r in parsed.rejected]
            excluded[name] = parsed.excluded
            notes[name] = parsed.note or f"{len(parsed.rows)} rows from {url}"
        rows = pl.concat(frames) if frames else pl.DataFrame(schema=LISTING_COLUMNS)
        return Listing(rows=rows, rejected=rejected, sources=list(excluded), excluded=excluded, notes=notes)

    def expected_count(self, sources: Sequence[str]) -> tuple[int, int]:
        known = [s for s in sources if s in SCRAPERS] or self.names()
        return (sum(SCRAPERS[s].expected_count[0] for s in known),
                sum(SCRAPERS[s].expected_count[1] for s in known))


def live_universe_source(settings: Settings) -> UniverseSource:
    """The live source for `settings.universe` (a universe such as `us`, or a comma list of
    registry sources such as `sp500,ftse100,futures`), URLs and futures from the settings."""
    sources = sources_for(settings.universe_names)
    bad = unknown(sources)
    if bad:
        raise ValueError(f"no live listing source {bad}; use a universe (sp500, nasdaq, us) or any of "
                         f"{', '.join(SCRAPERS)}")
    return LiveUniverseSource(sources=sources, urls=dict(settings.listing_urls), futures=list(settings.futures))
