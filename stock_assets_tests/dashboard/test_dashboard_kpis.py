"""`dashboard_kpis` on a warehouse with known answers, through `dg.materialize` as users run it."""

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from stock_assets.defs.dashboard import snapshot
from stock_assets.defs.dashboard.html_asset import dashboard_html
from stock_assets.defs.dashboard.kpi_assets import dashboard_kpis
from stock_assets.defs.resources import build_resources
from stock_assets.lib import kpis
from stock_assets.settings import Settings
from stock_assets.storage.warehouse import Warehouse
from stock_assets_tests.dashboard import known_market


@pytest.fixture(scope="module")
def known_dir(tmp_path_factory):
    """One known warehouse for the module: each test materialises (and so replaces) the KPIs itself."""
    path = tmp_path_factory.mktemp("known") / "data"
    path.mkdir()
    known_market.write(path)
    return path


@pytest.fixture(scope="module")
def known(known_dir):
    return Warehouse(known_dir / "warehouse.duckdb", known_dir / "lake")


@pytest.fixture(scope="module")
def known_resources(known_dir):
    return build_resources(Settings.from_env({"STOCK_ASSETS_SOURCE": "synthetic",
                                              "STOCK_ASSETS_DATA_DIR": str(known_dir)}))


@pytest.fixture(scope="module")
def module_instance():
    with dg.instance_for_test() as inst:
        yield inst


def test_kpis_have_the_known_answers(known, known_resources, module_instance):
    result = dg.materialize([dashboard_kpis], resources=known_resources, instance=module_instance)
    assert result.success
    rows = known.query("SELECT kpi, value, status, as_of FROM dashboard.kpis")
    assert dict(rows.select("kpi", "value").iter_rows()) == {k: float(v) for k, v in known_market.EXPECTED.items()}
    assert set(rows["as_of"].to_list()) == {known_market.AS_OF}  # the newest session in the lake
    status = dict(rows.select("kpi", "status").iter_rows())
    assert status == {"total_active_symbols": "green", "new_30d": "green", "delisted_30d": "green",
                      "lagging_symbols": "yellow", "missing_dates": "yellow",
                      "fetch_errors_last_night": "yellow", "unexplained_jumps": "yellow"}
    meta = result.asset_materializations_for_node("dashboard_kpis")[0].metadata
    for key, value in known_market.EXPECTED.items():
        assert meta[key].value == value  # plain ints: the UI plots them over time
    assert "| Unexplained price jumps | 2 | yellow |" in meta["kpis"].value
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert len(checks) == 7 and checks["kpi_new_30d"].passed and not checks["kpi_missing_dates"].passed
    assert checks["kpi_missing_dates"].severity == dg.AssetCheckSeverity.WARN


def test_thresholds_come_from_config_and_a_rerun_replaces_the_session(known, known_resources, module_instance):
    config = {"thresholds": {"unexplained_jumps": {"yellow_at": 1, "red_at": 2}}}
    for _ in range(2):
        result = dg.materialize([dashboard_kpis], resources=known_resources, instance=module_instance,
                                run_config={"ops": {"dashboard_kpis": {"config": config}}})
        assert result.success
    assert known.count("dashboard.kpis") == 7  # one row per KPI for the session, not 14
    assert known.scalar("SELECT status FROM dashboard.kpis WHERE kpi = 'unexplained_jumps'") == "red"
    red = [e for e in result.get_asset_check_evaluations() if e.check_name == "kpi_unexplained_jumps"][0]
    assert not red.passed and red.severity == dg.AssetCheckSeverity.ERROR
    assert red.metadata["failed_rows"].value == 2


def test_an_unknown_threshold_key_is_refused(known, known_resources, module_instance):
    with pytest.raises(dg.Failure, match="unknown KPI key"):
        dg.materialize([dashboard_kpis], resources=known_resources, instance=module_instance,
                       run_config={"ops": {"dashboard_kpis": {"config": {"thresholds": {"jumps": {"red_at": 1}}}}}})


def test_snapshot_details_behind_the_numbers(known):
    snap = snapshot.build(known, known_market.AS_OF)
    assert snap.lagging.select("symbol", "sessions_behind").rows() == [("LAGG", 5)]
    assert snap.missing.rows() == [("HOLE", dt.date(2024, 6, 4)), ("HOLE", dt.date(2024, 6, 5))]
    jumps = {r[0]: r for r in snap.jumps.select("symbol", "move_pct", "explained").rows()}
    assert jumps == {"JMPA": ("JMPA", 100.0, False), "SPLT": ("SPLT", -50.0, True), "JMPB": ("JMPB", -60.0, False)}
    assert snap.zero_volume.select("symbol", "zero_days").rows() == [("ZERO", 3)]
    assert dict(snap.errors_by_code.iter_rows()) == {"YF429": 2, "YFEMPTY": 1, "YFTZ": 1}
    assert snap.qa_open["symbol"].to_list() == ["JMPA"]


def test_an_empty_warehouse_gives_zeros_not_an_error(warehouse, offline_resources, instance):
    result = dg.materialize([dashboard_kpis], resources=offline_resources, instance=instance,
                            run_config={"ops": {"dashboard_kpis": {"config": {"as_of": "2024-06-14"}}}})
    assert result.success
    values = dict(warehouse.query("SELECT kpi, value FROM dashboard.kpis").iter_rows())
    assert values == {k: 0.0 for k in kpis.KPI_KEYS}
    assert warehouse.scalar("SELECT DISTINCT status FROM dashboard.kpis WHERE kpi = 'total_active_symbols'") == "red"


def test_the_page_refuses_to_render_without_kpis_for_the_session(warehouse, offline_resources, instance):
    with pytest.raises(dg.Failure, match="materialise dashboard_kpis first"):
        dg.materialize([dashboard_html], resources=offline_resources, instance=instance,
                       run_config={"ops": {"dashboard_html": {"config": {"as_of": "2024-06-14"}}}})


def test_a_night_where_every_fetch_failed_is_still_the_as_of_session(warehouse):
    report = {"run_id": "r", "first_session": dt.date(2024, 6, 17), "last_session": dt.date(2024, 6, 17),
              "provider": "yahoo", "requested": 10, "fetched": 0, "failed": 10, "rows": 0, "refetched": 0,
              "latency_p50_ms": None, "latency_p95_ms": None, "failures_by_code": "{}", "seconds": 1.0,
              "recorded_at": dt.datetime(2024, 6, 17, 22)}
    warehouse.append_rows("ops.fetch_reports", pl.DataFrame([report], schema_overrides={
        "latency_p50_ms": pl.Float64, "latency_p95_ms": pl.Float64}))
    assert snapshot.latest_session(warehouse, dt.datetime(2024, 6, 18, 12)) == dt.date(2024, 6, 17)
    healthy = {**report, "run_id": "r2", "first_session": dt.date(2024, 6, 18), "last_session": dt.date(2024, 6, 18),
               "fetched": 10, "failed": 0, "rows": 10}
    warehouse.append_rows("ops.fetch_reports", pl.DataFrame([healthy], schema_overrides={
        "latency_p50_ms": pl.Float64, "latency_p95_ms": pl.Float64}))
    # a report with rows is not enough: its bars must be in the lake (the lake is the truth)
    assert snapshot.latest_session(warehouse, dt.datetime(2024, 6, 19, 12)) == dt.date(2024, 6, 17)
