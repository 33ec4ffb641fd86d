"""Shared fixtures: every test gets its own data dir and DAGSTER_HOME; nothing touches ~/ or the network."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from stock_assets.defs.resources import build_resources
from stock_assets.settings import REPO_ROOT, Settings
from stock_assets.storage.warehouse import Warehouse

SHARED_DATA = (REPO_ROOT.parent / "shared" / "data").resolve()
DEFAULT_TEST_TICKERS = 60


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test (with the reason) when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"third-party data {path} is absent (a fresh clone has no ../shared/data)")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    """A temp DAGSTER_HOME with the project's dagster.yaml (so instance config is tested too)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings.from_env(
        {
            "STOCK_ASSETS_SOURCE": "synthetic",
            "STOCK_ASSETS_DATA_DIR": str(data_dir),
            "STOCK_ASSETS_SYNTHETIC_TICKERS": str(DEFAULT_TEST_TICKERS),
        }
    )


@pytest.fixture
def offline_resources(settings: Settings) -> dict:
    return build_resources(settings)


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


@pytest.fixture
def warehouse(data_dir: Path) -> Warehouse:
    wh = Warehouse(data_dir / "warehouse.duckdb", data_dir / "lake")
    wh.ensure_schema()
    return wh


@pytest.fixture
def cli_env(data_dir: Path, dagster_home: Path) -> dict:
    """Environment for `dagster ...` subprocesses: synthetic source, temp data and home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCK_ASSETS_")}
    env.update(
        DAGSTER_HOME=str(dagster_home),
        STOCK_ASSETS_SOURCE="synthetic",
        STOCK_ASSETS_DATA_DIR=str(data_dir),
        STOCK_ASSETS_SYNTHETIC_TICKERS=str(DEFAULT_TEST_TICKERS),
    )
    return env


def run_cli(args: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a `dagster` CLI command of this venv from the repo root; output captured."""
    exe = Path(sys.executable).parent / "dagster"
    return subprocess.run(
        [str(exe), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )


# -- pipeline helpers (foundation tests; others may use them) ------------------------------
UNIVERSE_AS_OF = "2024-06-03"


def universe_config(as_of: str = UNIVERSE_AS_OF) -> dict:
    """Run config that scrapes the synthetic exchange as of `as_of` (deterministic universe)."""
    return {"ops": {"ticker_universe": {"config": {"as_of": as_of}}}}


def price_assets() -> list:
    """The universe and prices domains' assets and every asset check of the code location,
    for `dg.materialize(..., selection=[...])` (the selection picks what runs; checks on the
    selected assets run with them)."""
    from stock_assets.defs import prices, quality, universe

    assets = [*universe.defs.assets, *prices.defs.assets]
    checks = [*(universe.defs.asset_checks or []), *(quality.defs.asset_checks or []),
              *(prices.defs.asset_checks or [])]
    return [*assets, *checks]


def materialize_universe(resources: dict, instance, as_of: str = UNIVERSE_AS_OF):
    from stock_assets.defs.universe.assets import ticker_universe

    result = dg.materialize([ticker_universe], resources=resources, instance=instance,
                            run_config=universe_config(as_of))
    assert result.success
    return result


FOUNDATION_CHECKS = ("schema", "duplicates", "ohlc_consistency", "completeness")


def price_selection(checks=FOUNDATION_CHECKS, assets=("daily_ohlcv", "corporate_actions")) -> dg.AssetSelection:
    """The price assets with only the named checks of daily_ohlcv (all of them: checks=None).

    Why not always every check: the full QA suite (GX and friends) costs seconds per run;
    foundation tests check the foundation's four and leave the suite to its own tests.
    """
    selection = dg.AssetSelection.assets(*assets)
    if checks is None:
        return selection
    keys = [dg.AssetCheckKey(dg.AssetKey("daily_ohlcv"), name) for name in checks]
    return selection.without_checks() | dg.AssetSelection.checks(*keys)


def materialize_prices(resources: dict, instance, partition_key: str | None = None,
                       partition_range: tuple[str, str] | None = None, raise_on_error: bool = True,
                       checks=FOUNDATION_CHECKS, run_config: dict | None = None):
    """daily_ohlcv + corporate_actions + their checks for one day or a range, as ONE run."""
    tags = {}
    if partition_range:
        tags = {"dagster/asset_partition_range_start": partition_range[0],
                "dagster/asset_partition_range_end": partition_range[1]}
    return dg.materialize(
        price_assets(), selection=price_selection(checks), partition_key=partition_key,
        tags=tags, resources=resources, instance=instance, raise_on_error=raise_on_error,
        run_config=run_config,
    )


@pytest.fixture
def universe_ready(offline_resources: dict, instance) -> dict:
    """offline_resources with the synthetic universe (as of 2024-06-03) already materialised."""
    materialize_universe(offline_resources, instance)
    return offline_resources


def files_under(root: Path) -> set[Path]:
    """Every file below `root` (to prove that a run wrote nothing outside its data dir)."""
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def _forget_leaked_defs_state_storage():
    """A DagsterInstance that is never disposed leaves its defs-state storage in a context
    variable; a later `Definitions` load in the same process then dereferences a dead weakref
    ("Attempted to resolve undefined DagsterInstance weakref"). Start every test clean.
    """
    from dagster._core.storage.defs_state.base import _current_storage

    _current_storage.set(None)
    yield
