"""What the stream follows: STOCK_ASSETS_STREAM_SYMBOLS / --symbols, parsed like the intraday watchlist."""

import pytest

from stock_assets.settings import Settings, SettingsError
from stock_assets.stream import symbols
from stock_assets.stream.__main__ import main


def settings(data_dir, **env):
    return Settings.from_env({"STOCK_ASSETS_DATA_DIR": str(data_dir), **env})


def test_the_setting_takes_universe_futures_a_source_or_symbols(data_dir):
    assert settings(data_dir).stream_symbols == "universe"
    assert settings(data_dir, STOCK_ASSETS_STREAM_SYMBOLS=" aapl, brk.b ,AAPL").stream_symbols == "AAPL,BRK.B"  # as STOCK_ASSETS_INTRADAY_SYMBOLS: cleaned, checked, each once
    assert settings(data_dir, STOCK_ASSETS_STREAM_SYMBOLS="Futures").stream_symbols == "futures"
    with pytest.raises(SettingsError, match="STOCK_ASSETS_STREAM_SYMBOLS="):
        settings(data_dir, STOCK_ASSETS_STREAM_SYMBOLS="AAPL,../etc")


def test_resolve(data_dir):
    s = settings(data_dir, STOCK_ASSETS_FUTURES="ES=F,NQ=F")
    assert symbols.resolve("futures", s) == ["ES=F", "NQ=F"]
    assert symbols.resolve("AAPL,MSFT,AAPL", s) == ["AAPL", "MSFT"]
    with pytest.raises(symbols.NothingToStream, match="run universe_job first"):
        symbols.resolve("universe", s)  # nothing published in this data dir
    assert symbols.calendars(["AAPL", "ES=F", "VOD.L"], s) == {"AAPL": "XNYS", "ES=F": "CMES", "VOD.L": "XLON"}


def test_the_command_refuses_an_unpublished_universe_with_a_reason(data_dir, monkeypatch, caplog):
    monkeypatch.delenv("STOCK_ASSETS_STREAM_SYMBOLS", raising=False)
    assert main(["--universe", "--data-dir", str(data_dir)]) == 1
    assert "no run has published the warehouse yet" in caplog.text
