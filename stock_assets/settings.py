"""Every environment variable the project reads, read in one place.

Why one place: a person debugging a run can see here, and only here, what the
environment can change; resources are built from a `Settings` value, never from
`os.environ` directly, so tests can pass their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

SOURCES = ("yahoo", "synthetic")
UNIVERSES = ("sp500", "nasdaq", "us", "synthetic")

DEFAULT_NASDAQ_LISTED_URL = "https://www.nasdaqtrader.com/dynamic/SymDir/nasdaqlisted.txt"
DEFAULT_OTHER_LISTED_URL = "https://www.nasdaqtrader.com/dynamic/SymDir/otherlisted.txt"
DEFAULT_SP500_URL = "https://en.wikipedia.org/wiki/List_of_S%26P_500_companies"


class SettingsError(ValueError):
    """An environment variable holds a value the project cannot use."""


@dataclass(frozen=True)
class Settings:
    """The environment, validated. Build with `Settings.from_env()`."""

    source: str = "yahoo"
    data_dir: Path = field(default_factory=lambda: REPO_ROOT / "data")
    universe: str = "sp500"
    synthetic_tickers: int = 500
    synthetic_markets: tuple[str, ...] = ("us",)  # lib/synthetic_markets.py: us, london, xetra, paris, futures
    nasdaq_listed_url: str = DEFAULT_NASDAQ_LISTED_URL
    other_listed_url: str = DEFAULT_OTHER_LISTED_URL
    sp500_url: str = DEFAULT_SP500_URL
    telegram_token: str | None = None
    telegram_chat_id: str | None = None
    alert_webhook_url: str | None = None
    ui_base_url: str = "http://localhost:3000"  # where alert links to runs point

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        source = env.get("STOCK_ASSETS_SOURCE", "yahoo").strip().lower()
        if source not in SOURCES:
            raise SettingsError(
                f"STOCK_ASSETS_SOURCE={source!r} is not a known price source; "
                f"use one of {', '.join(SOURCES)}."
            )
        default_universe = "synthetic" if source == "synthetic" else "sp500"
        universe = env.get("STOCK_ASSETS_UNIVERSE", default_universe).strip().lower()
        if universe not in UNIVERSES:
            raise SettingsError(
                f"STOCK_ASSETS_UNIVERSE={universe!r} is not a known universe; "
                f"use one of {', '.join(UNIVERSES)}."
            )
        raw_count = env.get("STOCK_ASSETS_SYNTHETIC_TICKERS", "500")
        try:
            synthetic_tickers = int(raw_count)
        except ValueError:
            synthetic_tickers = -1
        if synthetic_tickers < 1:
            raise SettingsError(
                f"STOCK_ASSETS_SYNTHETIC_TICKERS={raw_count!r} must be a whole number >= 1."
            )
        from stock_assets.lib.synthetic_markets import UnknownMarket, parse_markets

        try:
            synthetic_markets = parse_markets(env.get("STOCK_ASSETS_SYNTHETIC_MARKETS", "us"))
        except UnknownMarket as err:
            raise SettingsError(f"STOCK_ASSETS_SYNTHETIC_MARKETS: {err}") from None
        data_dir = Path(env.get("STOCK_ASSETS_DATA_DIR") or REPO_ROOT / "data").expanduser()
        return cls(
            source=source,
            data_dir=data_dir.resolve(),
            universe=universe,
            synthetic_tickers=synthetic_tickers,
            synthetic_markets=synthetic_markets,
            nasdaq_listed_url=env.get("STOCK_ASSETS_NASDAQ_LISTED_URL", DEFAULT_NASDAQ_LISTED_URL),
            other_listed_url=env.get("STOCK_ASSETS_OTHER_LISTED_URL", DEFAULT_OTHER_LISTED_URL),
            sp500_url=env.get("STOCK_ASSETS_SP500_URL", DEFAULT_SP500_URL),
            telegram_token=env.get("STOCK_ASSETS_TELEGRAM_TOKEN") or None,
            telegram_chat_id=env.get("STOCK_ASSETS_TELEGRAM_CHAT_ID") or None,
            alert_webhook_url=env.get("STOCK_ASSETS_ALERT_WEBHOOK_URL") or None,
            ui_base_url=env.get("STOCK_ASSETS_UI_BASE_URL") or "http://localhost:3000",
        )

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def dashboard_dir(self) -> Path:
        return self.data_dir / "dashboard"
