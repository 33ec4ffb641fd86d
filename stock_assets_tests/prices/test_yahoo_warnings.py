"""yfinance's pandas-3 deprecation warning, once per symbol, must not flood a run's logs."""

import subprocess
import sys

# yfinance's own chart parser on a minimal answer: it calls sort_index(inplace=True).
PARSE_TWICE = """
import {how}
import yfinance.utils as u
data = {{"timestamp": [1717421400, 1717507800], "indicators": {{"quote": [{{
    "open": [1.0, 2.0], "high": [1.5, 2.5], "low": [0.5, 1.5], "close": [1.2, 2.2], "volume": [10, 20]}}]}}}}
for _ in range(2):
    u.parse_quotes(data)
"""


def _stderr(how: str) -> str:
    done = subprocess.run([sys.executable, "-c", PARSE_TWICE.format(how=how)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def test_plain_yfinance_prints_the_deprecation_warning():
    """The control: without our filter the warning is there (so the next test can fail)."""
    assert "The inplace keyword" in _stderr("yfinance")


def test_import_yfinance_silences_it():
    code = "stock_assets.defs.prices.yahoo.fetch as f; f.import_yfinance()"
    assert "The inplace keyword" not in _stderr(code)
