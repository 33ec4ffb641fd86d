"""Settings: every environment variable read in one place, bad values refused with the fix."""

import pytest

from stock_assets.settings import REPO_ROOT, Settings, SettingsError


def test_defaults_are_live_yahoo_sp500_in_the_repo_data_dir():
    s = Settings.from_env({})
    assert (s.source, s.universe, s.synthetic_tickers) == ("yahoo", "sp500", 500)
    assert s.data_dir == (REPO_ROOT / "data").resolve()
    assert s.warehouse_path == s.data_dir / "warehouse.duckdb"
    assert s.lake_dir == s.data_dir / "lake" and s.dashboard_dir == s.data_dir / "dashboard"
    assert s.telegram_token is None and s.alert_webhook_url is None


def test_synthetic_source_implies_the_synthetic_universe(tmp_path):
    s = Settings.from_env({"STOCK_ASSETS_SOURCE": " Synthetic ", "STOCK_ASSETS_DATA_DIR": str(tmp_path),
                           "STOCK_ASSETS_SYNTHETIC_TICKERS": "8782"})
    assert (s.source, s.universe, s.synthetic_tickers, s.data_dir) == ("synthetic", "synthetic", 8782, tmp_path.resolve())
    assert Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic", "STOCK_ASSETS_UNIVERSE": "nasdaq"}).universe == "nasdaq"


@pytest.mark.parametrize("env, message", [
    ({"STOCK_ASSETS_SOURCE": "bogus"}, "STOCK_ASSETS_SOURCE='bogus' is not a known price source; use one of yahoo, synthetic"),
    ({"STOCK_ASSETS_UNIVERSE": "ftse"}, "STOCK_ASSETS_UNIVERSE='ftse' is not a known universe"),
    ({"STOCK_ASSETS_SYNTHETIC_TICKERS": "many"}, "must be a whole number from 1 to 100000"),
    ({"STOCK_ASSETS_SYNTHETIC_TICKERS": "0"}, "must be a whole number from 1 to 100000"),
    # Above the synthetic symbol space the draw of symbols never ended.
    ({"STOCK_ASSETS_SYNTHETIC_TICKERS": "474553"}, "STOCK_ASSETS_SYNTHETIC_TICKERS='474553' must be a whole number from 1"),
    ({"STOCK_ASSETS_SYNTHETIC_TICKERS": "100001"}, "symbol space"),
])
def test_bad_values_are_refused_with_what_to_use(env, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        Settings.from_env(env)


def test_empty_optional_values_mean_unset():
    s = Settings.from_env({"STOCK_ASSETS_TELEGRAM_TOKEN": "", "STOCK_ASSETS_ALERT_WEBHOOK_URL": "https://example.test/h"})
    assert s.telegram_token is None and s.alert_webhook_url == "https://example.test/h"


@pytest.mark.parametrize("raw, sessions", [(None, 5), ("0", 0), ("10", 10)])
def test_nightly_lookback_sessions(raw, sessions):
    env = {} if raw is None else {"STOCK_ASSETS_NIGHTLY_LOOKBACK_SESSIONS": raw}
    assert Settings.from_env(env).nightly_lookback_sessions == sessions


@pytest.mark.parametrize("raw", ["-1", "five", ""])
def test_a_bad_nightly_lookback_is_refused(raw):
    with pytest.raises(SettingsError, match="STOCK_ASSETS_NIGHTLY_LOOKBACK_SESSIONS.*whole number >= 0"):
        Settings.from_env({"STOCK_ASSETS_NIGHTLY_LOOKBACK_SESSIONS": raw})


def test_proxies_from_a_comma_list_or_a_file_never_in_the_repr(tmp_path):
    listing = tmp_path / "proxies.txt"
    listing.write_text("http://u:secret@10.0.0.1:3128\n# spare\nsocks5://10.0.0.2:1080\n")
    inline = Settings.from_env({"STOCK_ASSETS_PROXIES": "http://10.0.0.1:3128, http://10.0.0.3:3128"})
    listed = Settings.from_env({"STOCK_ASSETS_PROXIES": f"file://{listing}", "STOCK_ASSETS_PROXIES_FALLBACK": "direct"})
    assert inline.proxies == ("http://10.0.0.1:3128", "http://10.0.0.3:3128") and not inline.proxy_fallback_direct
    assert listed.proxies == ("http://u:secret@10.0.0.1:3128", "socks5://10.0.0.2:1080") and listed.proxy_fallback_direct
    assert "secret" not in repr(listed) and "10.0.0.1" not in repr(listed)
    assert Settings.from_env({}).proxies == ()


@pytest.mark.parametrize("env, message", [
    ({"STOCK_ASSETS_PROXIES": "10.0.0.1:3128"}, "scheme must be one of"),
    ({"STOCK_ASSETS_PROXIES": "file:///nonexistent/proxies.txt"}, "cannot read the proxy list"),
    ({"STOCK_ASSETS_PROXIES_FALLBACK": "yes"}, "must be `none` or `direct`"),
])
def test_bad_proxy_settings_are_refused_naming_the_variable(env, message):
    with pytest.raises(SettingsError, match=message) as err:
        Settings.from_env(env)
    assert "STOCK_ASSETS_PROXIES" in str(err.value)


def test_the_live_price_source_takes_the_proxies_from_the_environment_variable(monkeypatch):
    import dagster as dg

    from stock_assets.defs.resources import price_source

    monkeypatch.setenv("STOCK_ASSETS_PROXIES", "http://10.0.0.1:3128")
    source = price_source(Settings.from_env({"STOCK_ASSETS_PROXIES": "http://10.0.0.1:3128"}))
    assert source.proxies == dg.EnvVar("STOCK_ASSETS_PROXIES")  # the UI shows the name, not the URL
    assert price_source(Settings.from_env({})).proxies == ""
