"""Pure rules behind the dashboard: thresholds, lag, holes, jumps, changes, chart geometry."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.lib import dashboard_metrics as m, kpis, svg_charts
from stock_assets.lib.kpis import ABOVE, BELOW, GREEN, RED, YELLOW, Threshold


@pytest.mark.parametrize("value, expected", [(0, GREEN), (0.5, GREEN), (1, YELLOW), (9, YELLOW), (10, RED), (99, RED)])
def test_threshold_above_is_inclusive(value, expected):
    assert Threshold(yellow_at=1, red_at=10, direction=ABOVE).status(value) == expected


@pytest.mark.parametrize("value, expected", [(0, RED), (5, YELLOW), (100, YELLOW), (101, GREEN)])
def test_threshold_below(value, expected):
    assert Threshold(yellow_at=100, red_at=0, direction=BELOW).status(value) == expected


def test_kpi_rows_use_overrides_and_refuse_a_missing_value():
    values = {k: 0 for k in kpis.KPI_KEYS} | {"lagging_symbols": 3}
    rows = kpis.kpi_rows(values, dt.date(2024, 6, 14), "run", dt.datetime(2024, 6, 15),
                         {"lagging_symbols": Threshold(yellow_at=5, red_at=3)})
    assert rows["kpi"].to_list() == list(kpis.KPI_KEYS)
    assert dict(rows.select("kpi", "status").iter_rows())["lagging_symbols"] == RED
    assert dict(rows.select("kpi", "status").iter_rows())["total_active_symbols"] == RED  # no symbols at all
    with pytest.raises(ValueError, match="missing_dates"):
        kpis.kpi_rows({"lagging_symbols": 1}, dt.date(2024, 6, 14), "run", dt.datetime(2024, 6, 15))
    assert kpis.worst([GREEN, YELLOW]) == YELLOW and kpis.worst([]) == GREEN


# docs/dashboard.md, "The seven KPIs": (key, yellow at, red at); inclusive bounds
DOCUMENTED_THRESHOLDS = [("new_30d", 50, 200), ("delisted_30d", 10, 50), ("lagging_symbols", 1, 10),
                         ("missing_dates", 1, 50), ("fetch_errors_last_night", 1, 25), ("unexplained_jumps", 1, 5)]


def test_default_kpi_statuses_change_exactly_at_the_documented_thresholds():
    for key, yellow, red in DOCUMENTED_THRESHOLDS:
        for value, expected in ((yellow - 1, GREEN), (yellow, YELLOW), (red - 1, YELLOW), (red, RED)):
            assert kpis.statuses({key: value}) == {key: expected}, (key, value)
    # an empty universe is red; one active symbol is fine (there is no yellow)
    assert kpis.statuses({"total_active_symbols": 0, "new_30d": 0}) == {"total_active_symbols": RED, "new_30d": GREEN}
    assert kpis.statuses({"total_active_symbols": 1}) == {"total_active_symbols": GREEN}
    # an override replaces the default of its key only
    assert kpis.statuses({"new_30d": 3, "delisted_30d": 3}, {"new_30d": Threshold(yellow_at=2, red_at=3)}) == {
        "new_30d": RED, "delisted_30d": GREEN}


def test_lagging_counts_sessions_not_days_and_flags_symbols_without_bars():
    last = pl.DataFrame({"symbol": ["A", "B", "C"],
                         "last_date": [dt.date(2024, 6, 14), dt.date(2024, 6, 11), dt.date(2024, 6, 6)]})
    behind, late = m.lagging(last, ["A", "B", "C", "D"], dt.date(2024, 6, 17), max_behind=2)
    assert dict(behind.select("symbol", "sessions_behind").iter_rows()) == {"A": 1, "B": 4, "C": 7, "D": m.NO_BAR_BEHIND}
    assert late["symbol"].to_list() == ["D", "C", "B"]


def test_lagging_by_default_means_more_than_two_sessions_behind():
    # docs/dashboard.md: "Lagging > 2 sessions" (config max_behind_sessions)
    last = pl.DataFrame({"symbol": ["TWO", "THREE"], "last_date": [dt.date(2024, 6, 12), dt.date(2024, 6, 11)]})
    behind, late = m.lagging(last, ["TWO", "THREE"], dt.date(2024, 6, 14))
    assert dict(behind.select("symbol", "sessions_behind").iter_rows()) == {"TWO": 2, "THREE": 3}
    assert late["symbol"].to_list() == ["THREE"]


def test_missing_dates_are_holes_inside_each_symbols_span():
    sessions = [dt.date(2024, 6, d) for d in (3, 4, 5, 6, 7)]
    bars = pl.DataFrame({"symbol": ["A", "A", "A", "B", "B"],
                         "date": [sessions[0], sessions[3], sessions[4], sessions[2], sessions[3]]})
    holes = m.missing_dates(bars, sessions)
    assert holes.rows() == [("A", sessions[1]), ("A", sessions[2])]  # B listed late and is not missing anything
    assert m.missing_dates(bars.clear(), sessions).height == 0


def test_price_jumps_explained_only_by_a_matching_split():
    bars = pl.DataFrame({"symbol": ["S"] * 4 + ["T"] * 3,
                         "date": [dt.date(2024, 6, d) for d in (3, 4, 5, 6)] + [dt.date(2024, 6, d) for d in (3, 4, 5)],
                         "close": [100.0, 25.0, 25.5, 40.0, 10.0, 10.1, 6.0]})
    splits = pl.DataFrame({"symbol": ["S", "T"], "ex_date": [dt.date(2024, 6, 4), dt.date(2024, 6, 5)],
                           "value": [4.0, 2.0]})
    jumps = m.price_jumps(bars, splits, since=dt.date(2024, 6, 4), threshold=0.25)
    assert jumps.select("symbol", "date", "move_pct").rows() == [
        ("S", dt.date(2024, 6, 4), -75.0), ("T", dt.date(2024, 6, 5), -40.59), ("S", dt.date(2024, 6, 6), 56.86)]
    by = {(r[0], r[1]): r for r in jumps.select("symbol", "date", "explained", "adjusted_move_pct").rows()}
    assert by[("S", dt.date(2024, 6, 4))][2] is True  # 4:1 split: adjusted move 0 %
    # 2:1 split: -40.6 % as traded is +18.8 % adjusted, within the 25 % threshold
    assert by[("T", dt.date(2024, 6, 5))][2] is True and by[("T", dt.date(2024, 6, 5))][3] == pytest.approx(18.81, abs=0.01)
    assert by[("S", dt.date(2024, 6, 6))][2] is False and by[("S", dt.date(2024, 6, 6))][3] is None
    assert ("S", dt.date(2024, 6, 3)) not in by  # a first bar has no move


def test_a_move_from_a_zero_close_is_not_a_price_jump():
    # a zero close is bad data (QA flags it); the move from it has no size, it is not an unexplained jump
    bars = pl.DataFrame({"symbol": ["Z"] * 3, "date": [dt.date(2024, 6, d) for d in (3, 4, 5)],
                         "close": [10.0, 0.0, 10.0]})
    jumps = m.price_jumps(bars, pl.DataFrame(schema={"symbol": pl.String, "ex_date": pl.Date, "value": pl.Float64}),
                          since=dt.date(2024, 6, 3), threshold=0.75)
    assert jumps.select("date", "move_pct").rows() == [(dt.date(2024, 6, 4), -100.0)]  # to zero: shown, from zero: not


def test_universe_changes_of_an_empty_or_one_symbol_universe():
    empty = pl.DataFrame(schema={"yahoo_symbol": pl.String, "name": pl.String, "first_seen": pl.Datetime("us"),
                                 "delisted_on": pl.Date})
    assert m.universe_changes(empty, dt.date(2024, 1, 1), dt.date(2024, 6, 14)).columns == ["symbol", "change", "on", "name"]
    one = pl.DataFrame({"yahoo_symbol": ["ONLY"], "name": ["o"], "first_seen": [dt.datetime(2024, 1, 2, 22)],
                        "delisted_on": [dt.date(2024, 6, 3)]})
    changes = m.universe_changes(one, dt.date(2024, 6, 1), dt.date(2024, 6, 14))
    assert changes.select("symbol", "change", "on").rows() == [("ONLY", "delisted", dt.date(2024, 6, 3))]


def test_universe_changes_skip_the_first_scrape_and_count_per_month():
    first = dt.datetime(2024, 1, 2, 22)
    tickers = pl.DataFrame({
        "yahoo_symbol": ["OLD", "NEW", "GONE", "EARLY"], "name": ["o", "n", "g", "e"],
        "first_seen": [first, dt.datetime(2024, 6, 3, 22), first, dt.datetime(2024, 3, 1, 22)],
        "delisted_on": [None, None, dt.date(2024, 5, 20), None]})
    changes = m.universe_changes(tickers, dt.date(2024, 1, 1), dt.date(2024, 6, 14))
    assert changes.select("symbol", "change").rows() == [("NEW", "new"), ("GONE", "delisted"), ("EARLY", "new")]
    monthly = m.monthly_changes(changes, dt.date(2024, 6, 14))
    assert monthly["month"].to_list() == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    assert monthly["new"].to_list() == [0, 0, 1, 0, 0, 1] and monthly["delisted"].to_list() == [0, 0, 0, 0, 1, 0]
    assert m.month_start(dt.date(2024, 2, 29), 5) == dt.date(2023, 9, 1)


def test_zero_volume_nulls_and_histogram():
    bars = pl.DataFrame({"symbol": ["A", "A", "B"], "date": [dt.date(2024, 6, 3), dt.date(2024, 6, 4), dt.date(2024, 6, 4)],
                         "volume": [0, 0, 5], "close": [1.0, None, 2.0]})
    assert m.zero_volume(bars).rows() == [("A", 2, dt.date(2024, 6, 4))]
    assert m.null_fields(bars, ["close", "volume", "absent"]).rows() == [("close", 1), ("volume", 0)]
    assert m.histogram([0, 0, 1, 3, 4, 25], [0, 1, 2, 5]) == [("0", 2), ("1", 1), ("2-4", 2), ("5+", 1)]


def test_chart_geometry_stays_inside_the_plot():
    chart = svg_charts.bar_chart(["a", "b"], {"new": [3, 0], "delisted": [1, 7]})
    assert chart.y_ticks[-1].label == "10" and len(chart.bars) == 4
    for bar in chart.bars:
        assert chart.plot_left <= bar.x and bar.x + bar.width <= chart.plot_right
        assert bar.y >= chart.plot_top - 0.01 and bar.y + bar.height == pytest.approx(chart.plot_bottom, abs=0.2)
    line = svg_charts.line_chart(["d1", "d2", "d3"], {"p50": [10.0, None, 30.0]}, zero_based=False)
    points = [tuple(map(float, p.split(","))) for p in line.lines[0][1].split()]
    assert len(points) == 2 and points[0][0] == line.plot_left and points[1][0] == line.plot_right
    assert points[0][1] == line.plot_bottom and points[1][1] == line.plot_top
    assert [svg_charts.nice_max(v) for v in (0, 0.7, 3, 7, 12, 260)] == [1, 1, 5, 10, 20, 500]
