"""Issue 14's "Done when", in process: `STOCK_ASSETS_UNIVERSE=sp500,ftse100,dax40,cac40,futures`
with `file://` listing pages, prices from Yahoo (the fake on 127.0.0.1), over Thanksgiving week.

What a person finds: every market's bars on its own sessions (London, Xetra and Paris on US
Thanksgiving, the US not; CME futures on the Globex day), in its own currency (GBp, EUR, USD),
checked against its own calendar (completeness, missing dates, lag and freshness per market),
in the warehouse, in `qa.summary_by_market` and on the dashboard's per-market table.
"""

import datetime as dt
from pathlib import Path

import dagster as dg
import polars as pl

from stock_assets.defs.dashboard import defs as dashboard_defs
from stock_assets.defs.resources import build_resources
from stock_assets.lib import calendar
from stock_assets.settings import Settings
from stock_assets_tests.conftest import materialize_prices
from stock_assets_tests.prices.conftest import make_source
from stock_assets_tests.prices.fake_yahoo import chart_body

FIXTURES = Path(__file__).resolve().parents[1] / "universe" / "fixtures"
D = dt.date
FIRST, LAST, THANKSGIVING = D(2024, 11, 18), D(2024, 11, 29), D(2024, 11, 28)
# XAMS: a CAC 40 member listed in Amsterdam (MT.AS)
CURRENCY = {"XNYS": "USD", "XLON": "GBp", "XETR": "EUR", "XPAR": "EUR", "XAMS": "EUR", "CMES": "USD"}


def _bars(symbol: str, cal: str) -> list[dict]:
    base = 20 + (sum(map(ord, symbol)) % 180)
    return [{"date": d, "open": base, "high": base * 1.01, "low": base * 0.99, "close": base, "adjclose": base,
             "volume": 100_000} for d in calendar.sessions_between(FIRST, LAST, cal)]


def test_every_market_on_its_own_sessions_currency_and_calendar(data_dir, instance, fake_yahoo, yf_cache_dir):
    settings = Settings.from_env({
        "STOCK_ASSETS_SOURCE": "yahoo", "STOCK_ASSETS_DATA_DIR": str(data_dir),
        "STOCK_ASSETS_UNIVERSE": "sp500,ftse100,dax40,cac40,futures",
        "STOCK_ASSETS_SP500_URL": (FIXTURES / "sp500_modern.html").as_uri(),
        "STOCK_ASSETS_FTSE100_URL": (FIXTURES / "ftse100.html").as_uri(),
        "STOCK_ASSETS_DAX40_URL": (FIXTURES / "dax40.html").as_uri(),
        "STOCK_ASSETS_CAC40_URL": (FIXTURES / "cac40.html").as_uri(),
        "STOCK_ASSETS_FUTURES": "ES=F,GC=F"})
    resources = {**build_resources(settings), "source": make_source(fake_yahoo, yf_cache_dir)}
    from stock_assets.defs.universe.assets import ticker_universe

    assert dg.materialize([ticker_universe], resources=resources, instance=instance).success
    wh = resources["warehouse"].open()
    universe = dict(wh.query("SELECT yahoo_symbol, calendar FROM universe.tickers WHERE status = 'active'").iter_rows())
    assert set(universe.values()) == set(CURRENCY)
    for symbol, cal in universe.items():
        body = chart_body(symbol, _bars(symbol, cal))
        body["chart"]["result"][0]["meta"]["currency"] = CURRENCY[cal]
        fake_yahoo.script.bodies[symbol] = (200, body)

    # a row of an unknown market (an old universe row: no calendar, a suffix nobody knows)
    with wh.transaction() as conn:
        conn.execute("INSERT INTO universe.tickers (symbol, yahoo_symbol, status, first_seen, last_seen, updated_at) "
                     "VALUES ('ODD', 'ODD.XX', 'active', now(), now(), now())")
    done = materialize_prices(resources, instance, partition_range=(FIRST.isoformat(), LAST.isoformat()), checks=(
        "schema", "duplicates", "completeness", "missing_dates", "lag", "market_freshness"))
    assert done.success
    checks = {e.check_name: e for e in done.get_asset_check_evaluations()}
    assert all(e.passed for e in checks.values()), {k: e.metadata for k, e in checks.items() if not e.passed}
    fresh = checks["market_freshness"].metadata["freshness_by_market"].value
    assert {m: (v["last_due"], v["fresh"]) for m, v in fresh.items()} == {
        "XNYS": ("2024-11-29", True), "XLON": ("2024-11-29", True), "XETR": ("2024-11-29", True),
        "XPAR": ("2024-11-29", True), "XAMS": ("2024-11-29", True), "CMES": ("2024-11-29", True)}

    # never asked, never judged on XNYS: recorded once with the reason
    assert wh.query("SELECT code, attempts FROM ops.fetch_errors WHERE symbol = 'ODD.XX'").rows() == [("YFMARKET", 0)]
    assert fake_yahoo.requests.get("ODD.XX", 0) == 0

    rows = wh.query("SELECT b.date, b.currency, t.calendar FROM prices.daily_ohlcv b "
                    "JOIN universe.tickers t ON t.yahoo_symbol = b.symbol")
    on_thanksgiving = rows.filter(pl.col("date") == THANKSGIVING)
    assert "XNYS" not in set(on_thanksgiving["calendar"]) and {"XLON", "XETR", "XPAR"} <= set(on_thanksgiving["calendar"])
    for cal in CURRENCY:  # each market's rows exactly on its sessions, in its currency
        mine = rows.filter(pl.col("calendar") == cal)
        assert set(mine["date"]) == set(calendar.sessions_between(FIRST, LAST, cal)), cal
        assert set(mine["currency"]) == {CURRENCY[cal]}, cal

    by_market = wh.query("SELECT market, bool_and(passed) FROM qa.summary_by_market WHERE date = ? "
                         "GROUP BY market", [LAST])
    assert dict(by_market.iter_rows()) == dict.fromkeys(CURRENCY, True)

    shown = dg.materialize(dashboard_defs.assets, resources=resources, instance=instance)
    assert shown.success
    html = (data_dir / "dashboard" / "index.html").read_text()
    kpis = dict(wh.query("SELECT kpi, value FROM dashboard.kpis WHERE as_of = ?", [LAST]).iter_rows())
    assert kpis["lagging_symbols"] == 0 and kpis["missing_dates"] == 0  # ODD.XX is not an XNYS laggard
    table = html[html.index('<table id="markets-table">'):]
    table = table[:table.index("</table>")]
    assert "<th>newest_stored</th><th>last_due</th><th>fresh</th>" in table
    for market in CURRENCY:  # each market's row: its own last session, stored and due, fresh
        row = next(r for r in table.split("<tr>") if f"<td>{market}</td>" in r)
        assert row.split("</tr>")[0].endswith("<td>2024-11-29</td><td>2024-11-29</td><td>yes</td>"), row
