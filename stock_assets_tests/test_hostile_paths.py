"""Paths the project does not choose: a `TMPDIR` with a quote, a data dir with glob characters.

Both reach DuckDB as SQL literals (the QA engine's spill directory) or as glob patterns (the
lake view, the QA file lists); either must be quoted and glob-escaped, or every check and
every query of `prices.daily_ohlcv` breaks, or reads the wrong files.
"""

import datetime as dt
import tempfile

import pytest

from stock_assets.lib.qa.catalog import Thresholds
from stock_assets.lib.qa.engine import LakeQa
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.quality.helpers import TICKERS, files, write_synthetic

WEEK = (dt.date(2024, 6, 3), dt.date(2024, 6, 7))


@pytest.fixture
def quoted_tmpdir(tmp_path, monkeypatch):
    tmp = tmp_path / "it's tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    assert tempfile.gettempdir() == str(tmp)
    return tmp


@pytest.mark.parametrize("name", ["plain", "data [1]", "da?ta", "data*x", "o'brien"])
def test_qa_checks_run_with_a_quote_in_tmpdir_and_glob_characters_in_the_data_dir(quoted_tmpdir, tmp_path, name):
    lake, _ = write_synthetic(tmp_path / name / "lake", first=dt.date(2024, 5, 20), last=WEEK[1])
    with LakeQa(files(lake), *WEEK, Thresholds(), expected=None) as qa:
        assert qa.duplicates().passed
        assert qa.schema().passed
        assert qa.schema().numbers["files"] == 5


@pytest.mark.parametrize("name", ["data [1]", "da?ta", "data*x", "o'brien [x]"])
def test_the_lake_view_reads_a_data_dir_with_glob_characters(tmp_path, name):
    lake, _ = write_synthetic(tmp_path / name / "lake", first=WEEK[0], last=WEEK[1])
    stored = lake.read_range("daily_ohlcv", *WEEK, DAILY_OHLCV).height
    # A sibling the unescaped pattern would match too ('?' and '*' match any character).
    sibling = name.replace("?", "X").replace("*", "YY").replace("[1]", "1").replace("[x]", "x")
    write_synthetic(tmp_path / sibling / "lake", first=WEEK[0], last=WEEK[1])
    # (The warehouse file sits elsewhere: DuckDB itself cannot open a database under a '?'.)
    wh = Warehouse(tmp_path / "warehouse.duckdb", tmp_path / name / "lake")
    wh.ensure_schema()
    wh.refresh_views()
    assert stored > 4 * TICKERS
    assert wh.count("prices.daily_ohlcv") == stored
