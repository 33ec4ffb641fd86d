"""The QA catalogue, the Dagster check specs and docs/quality.md say the same thing.

Why: the catalogue is the one home of names, severities, blocking and default thresholds;
people read them in docs/quality.md and Dagster enforces them through the specs. A default
changed in one place only (a threshold nudged, a check made blocking) fails here.
"""

import re
from pathlib import Path

import pytest

from stock_assets.defs.quality import price_checks
from stock_assets.lib.qa.catalog import CHECKS, ENGINE_CHECKS, ERROR, Thresholds

DOC = Path(__file__).resolve().parents[2] / "docs" / "quality.md"
ROW = re.compile(r"^\| `(?P<name>\w+)` \| (?P<severity>ERROR|WARN|INFO) \| (?P<blocking>yes|no) \|.*\| (?P<thresholds>[^|]*) \|$")


def _documented() -> dict[str, dict]:
    return {m["name"]: m.groupdict() for m in map(ROW.match, DOC.read_text().splitlines()) if m}


@pytest.mark.parametrize("name", list(CHECKS))
def test_each_check_is_documented_as_the_catalogue_defines_it(name):
    info, doc = CHECKS[name], _documented()[name]
    assert doc["severity"] == info.severity
    assert (doc["blocking"] == "yes") is info.blocking
    assert info.blocking is (info.severity == ERROR)  # ERROR checks stop downstream assets; the rest warn


def test_the_documented_defaults_are_the_catalogues():
    documented = {}
    for doc in _documented().values():
        documented.update({k: float(v) for k, v in re.findall(r"`(\w+)` ([\d.]+)", doc["thresholds"])})
    defaults = Thresholds().as_dict()
    assert set(documented) == set(defaults)
    assert {k: float(v) for k, v in defaults.items()} == documented


def test_the_dagster_specs_carry_the_catalogues_blocking_and_severity():
    for name in ENGINE_CHECKS:
        spec = price_checks.spec(name)
        assert spec.blocking is CHECKS[name].blocking
        assert spec.metadata["qa_severity"] == CHECKS[name].severity
