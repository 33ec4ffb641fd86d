"""One `dagster dev` for all the end-to-end tests (package scope), killed by process group."""

import pytest

from stock_assets_tests.e2e.dagster_dev import start_dagster_dev

E2E_TICKERS = 60


@pytest.fixture(scope="package")
def dev(tmp_path_factory):
    instance = start_dagster_dev(tmp_path_factory.mktemp("e2e"), E2E_TICKERS,
                                 workspace_module="stock_assets_tests.e2e.location")
    try:
        yield instance
    finally:
        instance.stop()
