"""The config validators hand back what they accept unchanged (pydantic stores their return value)."""

import pytest

from stock_assets.lib import config_checks


def test_a_date_or_nothing_passes_through_unchanged():
    assert config_checks.iso_date("2024-06-03") == "2024-06-03"
    assert config_checks.iso_date("") == "" and config_checks.iso_date(None) is None
    for bad in ("2024-13-01", "20240603", "2024-06-03T00:00"):
        with pytest.raises(ValueError, match="is not a date written YYYY-MM-DD"):
            config_checks.iso_date(bad)


def test_an_instant_passes_through_unchanged():
    assert config_checks.iso_instant("2024-06-03T15:30:00") == "2024-06-03T15:30:00"
    assert config_checks.iso_instant("") == ""
    with pytest.raises(ValueError, match="is not an ISO date-time"):
        config_checks.iso_instant("yesterday")


def test_a_zero_wait_is_allowed_and_a_negative_one_refused():
    assert config_checks.non_negative_delays([0.0, 1.5, 30]) == [0.0, 1.5, 30]
    with pytest.raises(ValueError, match=r"waits must be >= 0 seconds, got \[-1\]"):
        config_checks.non_negative_delays([5, -1])
