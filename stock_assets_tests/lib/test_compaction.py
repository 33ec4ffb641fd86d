"""Which periods are compacted, and which file serves a day (pure planning, ADR 0025)."""

import datetime as dt

from stock_assets.lib import compaction as plan
from stock_assets.lib.compaction import Entry

D = dt.date


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def test_a_settled_year_is_one_period_and_the_open_year_is_its_settled_months():
    days = _days(D(2023, 11, 1), D(2024, 3, 20))
    periods = plan.closed_periods(days, today=D(2024, 3, 10), settle_days=10)
    assert [p.key for p in periods] == ["2023", "2024-01", "2024-02"]  # March is open
    assert periods[0].first == D(2023, 1, 1) and periods[0].last == D(2023, 12, 31)


def test_a_month_is_closed_only_once_it_has_settled():
    days = _days(D(2024, 2, 1), D(2024, 3, 5))
    assert [p.key for p in plan.closed_periods(days, today=D(2024, 3, 9), settle_days=10)] == []  # Feb 29 + 10 days
    assert [p.key for p in plan.closed_periods(days, today=D(2024, 3, 10), settle_days=10)] == ["2024-02"]


def test_to_compact_skips_up_to_date_files_and_redoes_overridden_or_superseded_ones():
    y2023, feb = plan.year(2023), plan.month(2024, 2)
    fresh = Entry("2023.a.parquet", "2023", y2023.first, y2023.last, 10)
    assert plan.to_compact([y2023], [fresh]) == []
    overridden = Entry("2023.a.parquet", "2023", y2023.first, y2023.last, 10, frozenset({D(2023, 5, 2)}))
    assert plan.to_compact([y2023], [overridden]) == [y2023]
    months = [Entry("2023-05.b.parquet", "2023-05", D(2023, 5, 1), D(2023, 5, 31), 3)]
    assert plan.to_compact([y2023], months) == [y2023]  # the year closed: one file replaces its months
    retired = Entry("2024-02.c.parquet", "2024-02", feb.first, feb.last, 3, retired_at=dt.datetime(2024, 3, 20))
    assert plan.to_compact([feb], [retired]) == [feb]


def test_mark_overrides_marks_every_file_holding_the_day_retired_ones_too():
    a = Entry("2023.a.parquet", "2023", D(2023, 1, 1), D(2023, 12, 31), 10, retired_at=dt.datetime(2024, 1, 20))
    b = Entry("2023.b.parquet", "2023", D(2023, 1, 1), D(2023, 12, 31), 10)
    c = Entry("2024-01.c.parquet", "2024-01", D(2024, 1, 1), D(2024, 1, 31), 10)
    marked, changed = plan.mark_overrides([a, b, c], [D(2023, 7, 3)])
    assert changed
    assert [e.overrides for e in marked] == [{D(2023, 7, 3)}, {D(2023, 7, 3)}, set()]
    assert plan.mark_overrides(marked, [D(2023, 7, 3)])[1] is False  # already marked: no rewrite
    assert plan.covered(marked, D(2023, 7, 3)) is None
    assert plan.covered(marked, D(2023, 7, 4)) == marked[1]
