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
# Every listing source fetched from a URL, with its default; `STOCK_ASSETS_<NAME>_URL` overrides
# each (https:// or file://). defs/universe/scrapers.py pairs each name with its parser.
DEFAULT_LISTING_URLS = {
    "nasdaq_listed": DEFAULT_NASDAQ_LISTED_URL,
    "other_listed": DEFAULT_OTHER_LISTED_URL,
    "sp500": DEFAULT_SP500_URL,
    "ftse100": "https://en.wikipedia.org/wiki/FTSE_100_Index",
    "ftse250": "https://en.wikipedia.org/wiki/FTSE_250_Index",
    "dax40": "https://en.wikipedia.org/wiki/DAX",
    "mdax": "https://en.wikipedia.org/wiki/MDAX",
    "cac40": "https://en.wikipedia.org/wiki/CAC_40",
    "aex": "https://en.wikipedia.org/wiki/AEX_index",
    "euronext": "https://live.euronext.com/en/pd_es/data/stocks/download?mics=dm_all_stock",
    "xetra": ("https://www.xetra.com/resource/blob/1528/fd276b284c2590e4645b8be8e1e5e601/data/"
              "t7-xetr-allTradableInstruments.csv"),
}
# Sources read from a setting instead of a URL.
CONFIGURED_SOURCES = ("futures",)
DEFAULT_FUTURES = "ES=F,NQ=F,YM=F,RTY=F,MES=F,MNQ=F,MYM=F,CL=F,GC=F,SI=F,ZN=F,ZB=F"
# The synthetic market draws 3- and 4-letter symbols (474,552 of them) until it has enough:
# near that space the draw never ends. 100k (10x every US listing) is drawn in seconds.
MAX_SYNTHETIC_TICKERS = 100_000


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
    listing_urls: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LISTING_URLS))
    futures: tuple[str, ...] = tuple(DEFAULT_FUTURES.split(","))
    # Secrets (the webhook URL is a credential too): left out of the repr, so a logged or
    # printed Settings never shows them.
    telegram_token: str | None = field(default=None, repr=False)
    telegram_chat_id: str | None = None
    alert_webhook_url: str | None = field(default=None, repr=False)
    ui_base_url: str = "http://localhost:3000"  # where alert links to runs point
    nightly_lookback_sessions: int = 5  # sessions before tonight the nightly run re-examines (ADR 0014)
    intraday_symbols: str = "futures"  # the intraday_bars watchlist: a comma list, `futures`, or a universe name
    # Proxies for every Yahoo request (lib/proxies.py); URLs may carry credentials: not in the repr.
    proxies: tuple[str, ...] = field(default=(), repr=False)
    proxy_fallback_direct: bool = False  # STOCK_ASSETS_PROXIES_FALLBACK=direct: a dead pool may go direct
    stream_symbols: str = "universe"  # what `python -m stock_assets.stream` follows (ADR 0027)
    stream_service: str | None = None  # the systemd unit the stream runs as (named in staleness alerts)
    intraday_watchlist_set: bool = False  # STOCK_ASSETS_INTRADAY_SYMBOLS is set: intraday automation runs by default

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
        universe = _universe(env.get("STOCK_ASSETS_UNIVERSE", default_universe))
        raw_count = env.get("STOCK_ASSETS_SYNTHETIC_TICKERS", "500")
        try:
            synthetic_tickers = int(raw_count)
        except ValueError:
            synthetic_tickers = -1
        if not 1 <= synthetic_tickers <= MAX_SYNTHETIC_TICKERS:
            raise SettingsError(
                f"STOCK_ASSETS_SYNTHETIC_TICKERS={raw_count!r} must be a whole number from 1 to "
                f"{MAX_SYNTHETIC_TICKERS} (the synthetic market's symbol space)."
            )
        raw_lookback = env.get("STOCK_ASSETS_NIGHTLY_LOOKBACK_SESSIONS", "5")
        if not raw_lookback.strip().isdigit():
            raise SettingsError(
                f"STOCK_ASSETS_NIGHTLY_LOOKBACK_SESSIONS={raw_lookback!r} must be a whole number >= 0 "
                "(0: the nightly run fetches tonight's session only)."
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
            listing_urls={name: env.get(f"STOCK_ASSETS_{name.upper()}_URL") or url
                          for name, url in DEFAULT_LISTING_URLS.items()},
            futures=tuple(f.strip().upper() for f in env.get("STOCK_ASSETS_FUTURES", DEFAULT_FUTURES).split(",")
                          if f.strip()),
            telegram_token=env.get("STOCK_ASSETS_TELEGRAM_TOKEN") or None,
            telegram_chat_id=env.get("STOCK_ASSETS_TELEGRAM_CHAT_ID") or None,
            alert_webhook_url=env.get("STOCK_ASSETS_ALERT_WEBHOOK_URL") or None,
            ui_base_url=env.get("STOCK_ASSETS_UI_BASE_URL") or "http://localhost:3000",
            nightly_lookback_sessions=int(raw_lookback),
            intraday_symbols=_intraday_symbols(env.get("STOCK_ASSETS_INTRADAY_SYMBOLS", "futures")),
            proxies=_proxies(env.get("STOCK_ASSETS_PROXIES", "")),
            proxy_fallback_direct=_proxy_fallback(env.get("STOCK_ASSETS_PROXIES_FALLBACK", "none")),
            stream_symbols=_stream_symbols(env.get("STOCK_ASSETS_STREAM_SYMBOLS", "universe")),
            stream_service=env.get("STOCK_ASSETS_STREAM_SERVICE") or None,
            intraday_watchlist_set=bool(env.get("STOCK_ASSETS_INTRADAY_SYMBOLS", "").strip()),
        )

    @property
    def universe_names(self) -> tuple[str, ...]:
        """`STOCK_ASSETS_UNIVERSE` as its list of names (`sp500,ftse100` -> ('sp500', 'ftse100'))."""
        return tuple(self.universe.split(","))

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def dashboard_dir(self) -> Path:
        return self.data_dir / "dashboard"


def _universe(raw: str) -> str:
    """`STOCK_ASSETS_UNIVERSE` checked and normalised: a universe (`us`) or a comma list of sources.

    Each name is a universe of UNIVERSES or a listing source (DEFAULT_LISTING_URLS,
    CONFIGURED_SOURCES), each once; `synthetic` stands alone (it replaces every live source).
    """
    names = list(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    known = (*UNIVERSES, *DEFAULT_LISTING_URLS, *CONFIGURED_SOURCES)
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise SettingsError(
            f"STOCK_ASSETS_UNIVERSE={raw.strip().lower()!r} is not a known universe; "
            f"use one of {', '.join(UNIVERSES)}, or a comma list of sources: {', '.join(known[len(UNIVERSES):])}."
        )
    if "synthetic" in names and len(names) > 1:
        raise SettingsError(
            f"STOCK_ASSETS_UNIVERSE={raw.strip()!r}: synthetic stands alone (it replaces every live source)."
        )
    return ",".join(names)


def _proxies(raw: str) -> tuple[str, ...]:
    """`STOCK_ASSETS_PROXIES`: comma-separated proxy URLs, or `file:///path` to a list (one per line)."""
    from stock_assets.lib.proxies import ProxyConfigError, parse_proxy_list

    raw = raw.strip()
    if raw.startswith("file://"):
        path = Path(raw[len("file://"):])
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as err:
            raise SettingsError(f"STOCK_ASSETS_PROXIES: cannot read the proxy list {path}: {err.strerror or err}") from None
    try:
        return parse_proxy_list(raw)
    except ProxyConfigError as err:
        raise SettingsError(f"STOCK_ASSETS_PROXIES: {err}") from None


def _proxy_fallback(raw: str) -> bool:
    """`STOCK_ASSETS_PROXIES_FALLBACK`: `none` (default: a dead pool never goes direct) or `direct`."""
    value = raw.strip().lower() or "none"
    if value not in ("none", "direct"):
        raise SettingsError(f"STOCK_ASSETS_PROXIES_FALLBACK={raw!r} must be `none` or `direct`.")
    return value == "direct"


def _intraday_symbols(raw: str) -> str:
    """`STOCK_ASSETS_INTRADAY_SYMBOLS` checked: `futures`, a universe or source name, or a comma list
    of Yahoo symbols (each within the strict symbol set, so a symbol never becomes a path or SQL)."""
    from stock_assets.lib.symbols import InvalidSymbol, clean, validate

    names = [n.strip() for n in raw.split(",") if n.strip()]
    if not names:
        raise SettingsError("STOCK_ASSETS_INTRADAY_SYMBOLS is empty; use `futures`, a universe name or symbols.")
    if len(names) == 1 and names[0].lower() in (*UNIVERSES, *DEFAULT_LISTING_URLS, *CONFIGURED_SOURCES):
        return names[0].lower()
    try:
        return ",".join(dict.fromkeys(validate(clean(n)) for n in names))
    except InvalidSymbol as err:
        raise SettingsError(f"STOCK_ASSETS_INTRADAY_SYMBOLS={raw!r}: {err}") from None


def _stream_symbols(raw: str) -> str:
    """`STOCK_ASSETS_STREAM_SYMBOLS` checked: `universe` (every active symbol), or anything
    `STOCK_ASSETS_INTRADAY_SYMBOLS` takes (`futures`, a universe or source name, a comma list)."""
    if raw.strip().lower() == "universe":
        return "universe"
    try:
        return _intraday_symbols(raw)
    except SettingsError as err:
        raise SettingsError(str(err).replace("STOCK_ASSETS_INTRADAY_SYMBOLS", "STOCK_ASSETS_STREAM_SYMBOLS")) from None
