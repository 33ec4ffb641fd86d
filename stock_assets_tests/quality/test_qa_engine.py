"""The QA rules over a synthetic lake written through ParquetLake (no Dagster): each rule
finds the events lib/synthetic.py plants in June 2024, and only those."""

import datetime as dt

import duckdb
import polars as pl
import pytest

from stock_assets.lib import calendar, validation
from stock_assets.lib.qa import fetch_errors as qa_fetch
from stock_assets.lib.qa import records as qa_records
from stock_assets.lib.qa.catalog import Thresholds
from stock_assets.lib.qa.engine import LakeQa
from stock_assets.lib.schema import DAILY_OHLCV
from stock_assets_tests.quality.helpers import JUNE, files, splits, symbol, write_synthetic

D = dt.date


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    return write_synthetic(tmp_path_factory.mktemp("lake"))


def qa(lake, actions, start=JUNE[0], end=JUNE[1], known_splits=True, expected=None, **t):
    return LakeQa(files(lake), start, end, Thresholds(**t), splits=splits(actions) if known_splits else None,
                  expected=expected)


def rows(outcome, sym):
    return outcome.offending.filter(pl.col("symbol") == sym)["date"].to_list()


def test_price_jump_flags_unknown_splits_and_not_known_ones(market):
    lake, actions = market
    with qa(lake, actions, known_splits=False) as unknown, qa(lake, actions) as known:
        flagged = unknown.price_jump()
        assert not flagged.passed
        assert rows(flagged, symbol(0)) == [D(2024, 6, 10)]  # 4:1 split: a fall to a quarter, a 300 % move
        assert rows(flagged, symbol(5)) == [D(2024, 6, 17)]  # 1:10 reverse split
        assert flagged.offending.height == 2
        # the value is the move in either direction: x4 and /4 are both 300 %
        up_or_down = pl.max_horizontal(pl.col("close") / pl.col("prev_close"), pl.col("prev_close") / pl.col("close")) - 1
        assert flagged.offending["value"].to_list() == pytest.approx(flagged.offending.select(up_or_down).to_series().to_list())
        assert flagged.offending["value"].min() > 2.0
        explained = known.price_jump()
        assert explained.passed and explained.numbers["explained_by_splits"] == 2


def test_price_jump_and_iqr_catch_a_bad_print(market, tmp_path):
    lake, actions = market
    day = D(2024, 6, 12)
    frame = lake.read_partition("daily_ohlcv", day, DAILY_OHLCV)
    bumped = frame.with_columns(pl.when(pl.col("symbol") == symbol(20)).then(pl.col(c) * 3).otherwise(pl.col(c))
                                for c in ("open", "high", "low", "close"))
    lake.write_partition("daily_ohlcv", day, bumped, DAILY_OHLCV)
    try:
        with qa(lake, actions) as q:
            out = q.price_jump()
            # up x3 on the 12th, down /3 on the 13th: both unexplained.
            assert rows(out, symbol(20)) == [D(2024, 6, 12), D(2024, 6, 13)]
            assert rows(q.iqr_jump(), symbol(20)) == [D(2024, 6, 12), D(2024, 6, 13)]
    finally:
        lake.write_partition("daily_ohlcv", day, frame, DAILY_OHLCV)


@pytest.mark.parametrize("scale, explained", [(1.0, True), (1.2, True), (0.85, True), (1.6, False), (0.5, False)])
def test_a_split_explains_a_jump_only_when_the_move_matches_its_ratio(market, scale, explained):
    """symbol(0) splits 4:1 on June 10th (close x0.25). A print at x0.25 x `scale` is explained
    while it stays within split_tolerance (25 %) of the ratio; x0.4 (a 60 % miss, under max_move
    after adjusting) or x0.125 is a bad print on a split day, not the split."""
    lake, actions = market
    day = D(2024, 6, 10)
    frame = lake.read_partition("daily_ohlcv", day, DAILY_OHLCV)
    moved = frame.with_columns(pl.when(pl.col("symbol") == symbol(0)).then(pl.col(c) * scale).otherwise(pl.col(c))
                               for c in ("open", "high", "low", "close"))
    lake.write_partition("daily_ohlcv", day, moved, DAILY_OHLCV)
    try:
        with qa(lake, actions) as q:
            out = q.price_jump()
            assert (day not in rows(out, symbol(0))) is explained
            assert out.numbers["explained_by_splits"] == (2 if explained else 1)
            if not explained:
                flagged = out.offending.filter((pl.col("symbol") == symbol(0)) & (pl.col("date") == day))
                assert flagged["details"].str.contains("split known: 4").all()
    finally:
        lake.write_partition("daily_ohlcv", day, frame, DAILY_OHLCV)


def test_missing_dates_finds_gaps_but_not_the_life_before_listing_or_after_delisting(market):
    lake, actions = market
    with qa(lake, actions) as q:
        out = q.missing_dates()
        assert rows(out, symbol(2)) == [D(2024, 6, 4), D(2024, 6, 5), D(2024, 6, 6), D(2024, 6, 7)]
        gap = out.offending.filter(pl.col("symbol") == symbol(2))
        assert set(gap["value"]) == {4.0}  # each missing row carries the length of its gap
        assert set(gap["details"]) == {"no row between 2024-06-03 and 2024-06-10 (4 sessions of XNYS)"}
        assert rows(out, symbol(1)) == []  # delisted 2024-06-14
        assert rows(out, symbol(6)) == []  # listed 2024-06-24
        assert out.numbers["symbols"] == 1


def test_lag_is_judged_as_of_the_last_session_and_only_for_expected_symbols(market):
    lake, actions = market
    everyone = [symbol(i) for i in range(60)]
    with qa(lake, actions, expected=everyone) as q:
        out = q.lag()
        assert out.offending["symbol"].to_list() == [symbol(1)]  # last row 2024-06-13
        assert out.offending["value"].to_list() == [10.0]
        assert out.offending["date"].to_list() == [D(2024, 6, 13)]
        # The base of the alert policy "lag over 5 % of the universe" (lib/alerting.warn_escalation).
        assert (out.numbers["lagging_symbols"], out.numbers["universe_symbols"]) == (1, 60)
    without_delisted = [s for s in everyone if s != symbol(1)]
    with qa(lake, actions, expected=without_delisted) as q:
        assert q.lag().passed
    with qa(lake, actions, start=D(2024, 6, 17), end=D(2024, 6, 17), expected=everyone) as q:
        assert q.lag().passed  # 2 sessions behind (06-14, 06-17): not more than max_lag_sessions
    with qa(lake, actions, start=D(2024, 6, 18), end=D(2024, 6, 18), expected=everyone) as q:
        assert q.lag().offending["value"].to_list() == [3.0]
    # Re-checking an old partition judges the lag as of that partition, not on rows stored after it:
    # symbol 2 has no row from 06-04 to 06-07 and rows again from 06-10.
    with qa(lake, actions, start=D(2024, 6, 7), end=D(2024, 6, 7), expected=everyone) as q:
        out = q.lag()
    assert out.offending.select("symbol", "value", "date").rows() == [(symbol(2), 4.0, D(2024, 6, 3))]
    assert out.numbers["as_of"] == "2024-06-07"


def test_zero_volume_rows_are_warned(market):
    lake, actions = market
    with qa(lake, actions) as q:
        out = q.zero_volume()
        assert rows(out, symbol(4)) == [D(2024, 6, 5), D(2024, 6, 20)]


def test_volume_spike_and_iqr_on_an_injected_row(market):
    lake, actions = market
    day = D(2024, 6, 26)
    frame = lake.read_partition("daily_ohlcv", day, DAILY_OHLCV)
    spiked = frame.with_columns(volume=pl.when(pl.col("symbol") == symbol(30)).then(pl.col("volume") * 40)
                                .otherwise(pl.col("volume")))
    lake.write_partition("daily_ohlcv", day, spiked, DAILY_OHLCV)
    try:
        with qa(lake, actions, start=day, end=day) as q:
            assert symbol(30) in q.volume_spike().offending["symbol"].to_list()
        with qa(lake, actions, start=day, end=day, volume_z=1000.0) as q:
            assert q.volume_spike().passed  # the threshold is config
    finally:
        lake.write_partition("daily_ohlcv", day, frame, DAILY_OHLCV)


def test_completeness_against_the_universe(market):
    lake, actions = market
    listed = [symbol(i) for i in range(60) if i not in (1, 6)]
    with qa(lake, actions, start=D(2024, 6, 3), end=D(2024, 6, 12), expected=listed) as q:
        out = q.completeness()
        assert out.passed  # the gap of symbol 2 is 1 of 58 symbols: 98.3 %
        assert out.numbers["worst_share"] == pytest.approx(57 / 58, abs=1e-4)
    with qa(lake, actions, start=D(2024, 6, 3), end=D(2024, 6, 12), expected=listed, min_completeness=57 / 58) as q:
        assert q.completeness().passed  # "at least" min_completeness: a share equal to it passes
    with qa(lake, actions, start=D(2024, 6, 3), end=D(2024, 6, 12), expected=listed, min_completeness=0.99) as q:
        out = q.completeness()
        assert not out.passed
        assert out.offending["date"].to_list() == [D(2024, 6, d) for d in (4, 5, 6, 7)]
        assert set(out.offending["symbol"]) == {symbol(2)}
    with qa(lake, actions, expected=None) as q:
        assert q.completeness().passed and "skipped" in q.completeness().description


def test_row_rules_on_a_damaged_partition_agree_with_the_polars_rules(market):
    lake, actions = market
    day = D(2024, 6, 11)
    frame = lake.read_partition("daily_ohlcv", day, DAILY_OHLCV)
    damaged = pl.concat([
        frame.with_columns(high=pl.when(pl.col("symbol") == symbol(8)).then(pl.col("low") / 2).otherwise(pl.col("high")),
                           provider=pl.when(pl.col("symbol") == symbol(9)).then(None).otherwise(pl.col("provider"))),
        frame.filter(pl.col("symbol") == symbol(12)),
    ])
    lake.write_partition("daily_ohlcv", day, damaged, DAILY_OHLCV)
    try:
        with qa(lake, actions, start=day, end=day) as q:
            engine = {n: q.run([n])[n] for n in ("ohlc_consistency", "null_fields", "duplicates", "schema")}
        assert engine["ohlc_consistency"].offending["symbol"].to_list() == [symbol(8)]
        assert engine["null_fields"].offending["symbol"].to_list() == [symbol(9)]
        assert engine["null_fields"].offending["details"].to_list() == ["null: provider"]  # names the null field
        assert engine["duplicates"].offending["symbol"].to_list() == [symbol(12)]
        assert engine["schema"].passed
        for name, rule in (("ohlc_consistency", validation.ohlc_consistency), ("null_fields", validation.null_fields)):
            assert sorted(rule(damaged).offending["symbol"].unique()) == engine[name].offending["symbol"].to_list()
        assert validation.duplicates(damaged).offending["symbol"].unique().to_list() == [symbol(12)]
    finally:
        lake.write_partition("daily_ohlcv", day, frame, DAILY_OHLCV)


def test_schema_catches_an_extra_or_retyped_column(tmp_path):
    lake, actions = write_synthetic(tmp_path, D(2024, 6, 3), D(2024, 6, 4))
    path = lake.partition_path("daily_ohlcv", D(2024, 6, 4))
    pl.read_parquet(path).with_columns(volume=pl.col("volume").cast(pl.Float64), note=pl.lit("x")).write_parquet(path)
    with qa(lake, actions, start=D(2024, 6, 3), end=D(2024, 6, 4)) as q:
        out = q.schema()
    assert not out.passed
    assert set(out.offending["details"]) == {"volume: Float64 (expected Int64)", "unexpected column note"}
    assert set(out.offending["date"]) == {D(2024, 6, 4)}


def test_an_empty_or_closed_range_passes_with_nothing_to_check(tmp_path):
    with LakeQa({}, D(2024, 6, 19), D(2024, 6, 19)) as q:  # Juneteenth: market closed, no files
        outcomes = q.run(["schema", "null_fields", "ohlc_consistency", "duplicates", "missing_dates", "lag",
                          "price_jump", "iqr_jump", "volume_spike", "zero_volume", "unit_switch"])
    assert all(o.passed for o in outcomes.values())
    counted = {"null_fields": "rows_with_nulls", "ohlc_consistency": "inconsistent_rows",
               "duplicates": "duplicate_keys", "lag": "lagging_symbols",
               "price_jump": "jumps", "iqr_jump": "unusual_moves", "volume_spike": "spikes",
               "zero_volume": "zero_volume_rows", "unit_switch": "rows"}
    assert {name: outcomes[name].numbers[key] for name, key in counted.items()} == dict.fromkeys(counted, 0)


def test_the_duckdb_session_keeps_to_its_limits_and_is_closed_after_use(tmp_path):
    """QA shares 2 cores with the nightly run: 2 DuckDB threads unless told otherwise, and the
    in-memory session (and its memory) is released when the `with` block ends."""
    with LakeQa({}, D(2024, 6, 3), D(2024, 6, 3)) as q:
        assert q.conn.execute("SELECT current_setting('threads')").fetchone()[0] == 2
    with pytest.raises(duckdb.ConnectionException):
        q.conn.execute("SELECT 1")
    with LakeQa({}, D(2024, 6, 3), D(2024, 6, 3), threads=1) as q:
        assert q.conn.execute("SELECT current_setting('threads')").fetchone()[0] == 1


def test_fetch_errors_judges_share_and_latency():
    reports = pl.DataFrame({
        "run_id": ["a", "b"], "first_session": [D(2024, 6, 3), D(2024, 6, 4)],
        "last_session": [D(2024, 6, 3), D(2024, 6, 4)], "requested": [100, 100], "failed": [2, 9],
        "latency_p95_ms": [800.0, 7000.0], "failures_by_code": ["{}", '{"YF429": 9}'],
        "recorded_at": [dt.datetime(2024, 6, 3, 22), dt.datetime(2024, 6, 4, 22)],
    })
    out = qa_fetch.fetch_errors(reports, [D(2024, 6, 3), D(2024, 6, 4)], Thresholds())
    assert not out.passed
    assert out.offending.select("date", "value").rows() == [(D(2024, 6, 4), 0.09), (D(2024, 6, 4), 7000.0)]
    assert qa_fetch.fetch_errors(reports, [D(2024, 6, 3)], Thresholds()).passed
    assert qa_fetch.fetch_errors(reports, [D(2024, 6, 4)], Thresholds(max_fetch_error_share=0.1,
                                                                        max_latency_p95_ms=8000)).passed


def test_fetch_errors_allows_at_most_the_share_and_judges_a_single_report():
    """"at most 5 %": 5 failed of 100 passes, 6 fails, also when the range has one report only;
    sessions no report covers pass with a worst share of 0."""
    def one(failed):
        return pl.DataFrame({
            "run_id": ["a"], "first_session": [D(2024, 6, 3)], "last_session": [D(2024, 6, 3)], "requested": [100],
            "failed": [failed], "latency_p95_ms": [800.0], "failures_by_code": ["{}"],
            "recorded_at": [dt.datetime(2024, 6, 3, 22)]})
    assert qa_fetch.fetch_errors(one(5), [D(2024, 6, 3)], Thresholds()).passed
    failing = qa_fetch.fetch_errors(one(6), [D(2024, 6, 3)], Thresholds())
    assert not failing.passed and failing.offending["value"].to_list() == [0.06]
    uncovered = qa_fetch.fetch_errors(one(50), [D(2024, 6, 5)], Thresholds())
    assert uncovered.passed and uncovered.numbers["worst_error_share"] == 0.0 and uncovered.numbers["reports"] == 0


def test_qa_records_count_out_of_range_failures_on_the_last_day():
    out = validation.Outcome(False, pl.DataFrame({"date": [D(2024, 5, 30), D(2024, 6, 3)], "symbol": ["A", "B"],
                                                  "value": [1.0, 2.0], "details": ["x", "y"]}), threshold=2.0)
    now = dt.datetime(2024, 6, 4, 22)
    failures = qa_records.failure_rows("missing_dates", "WARN", out, "r1", now, D(2024, 6, 4))
    assert failures["threshold"].to_list() == [2.0, 2.0]
    summary = qa_records.summary_rows("missing_dates", "WARN", failures, [D(2024, 6, 3), D(2024, 6, 4)], "r1", now)
    assert summary.select("date", "passed", "failed_rows").rows() == [
        (D(2024, 6, 3), False, 1), (D(2024, 6, 4), False, 1)]
    clean = qa_records.summary_rows("missing_dates", "WARN", failures, [D(2024, 6, 3), D(2024, 6, 4), D(2024, 6, 5)],
                                    "r1", now)  # the out-of-range row now counts on 06-05, the last day
    assert clean.select("date", "passed", "failed_rows").rows() == [
        (D(2024, 6, 3), False, 1), (D(2024, 6, 4), True, 0), (D(2024, 6, 5), False, 1)]


def test_gx_reads_are_merged_into_chunks_of_at_least_min_rows():
    """A 10-year range is validated in a few large GX chunks (each validation has a fixed cost);
    every row is validated exactly once and each chunk is labelled with its last day."""
    import datetime as dt

    import polars as pl

    from stock_assets.lib.qa.gx import rechunk

    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(7)]
    reads = [(d, pl.DataFrame({"n": list(range(i * 10, i * 10 + 10))})) for i, d in enumerate(days)]
    chunks = list(rechunk(iter(reads), min_rows=25))
    assert [day for day, _ in chunks] == [days[2], days[5], days[6]]
    assert [frame.height for _, frame in chunks] == [30, 30, 10]
    assert pl.concat([f for _, f in chunks])["n"].to_list() == list(range(70))
    assert list(rechunk(iter([]), min_rows=25)) == []


def test_qa_records_of_a_single_offending_row_and_of_a_partition_wide_failure():
    """One offending row is one qa.failures row; a failure with no date or symbol (schema, GX)
    is dated on the run's last day, and long details are cut at MAX_DETAILS."""
    now = dt.datetime(2024, 6, 4, 22)
    one = validation.Outcome(False, pl.DataFrame({"date": [D(2024, 6, 3)], "symbol": ["A"], "value": [1.0]}))
    rows = qa_records.failure_rows("zero_volume", "WARN", one, "r1", now, D(2024, 6, 4))
    assert rows.select("date", "symbol", "value", "run_id").rows() == [(D(2024, 6, 3), "A", 1.0, "r1")]
    wide = validation.Outcome(False, pl.DataFrame({"details": ["first " + "d" * 900]}))
    [row] = qa_records.failure_rows("schema", "ERROR", wide, "r1", now, D(2024, 6, 4)).to_dicts()
    assert row["date"] == D(2024, 6, 4) and row["symbol"] is None
    assert row["details"] == ("first " + "d" * 900)[:500] and qa_records.MAX_DETAILS == 500


def test_a_clean_history_reports_zero_counts(market):
    lake, actions = market
    with qa(lake, actions) as q:
        dups = q.duplicates()
    assert dups.passed and dups.numbers == {"duplicate_keys": 0, "duplicate_rows": 0}


def test_gx_suite_over_chunks_names_the_failing_chunk(market):
    """Two chunks of a range, the second with a bar whose close is above its high: the merged
    outcome fails, counts one failed chunk of two, and dates the failure on that chunk's day."""
    import great_expectations

    from stock_assets.lib.qa import gx as qa_gx

    lake, _ = market
    good = lake.read_partition("daily_ohlcv", D(2024, 6, 3), DAILY_OHLCV)
    bad = lake.read_partition("daily_ohlcv", D(2024, 6, 4), DAILY_OHLCV).with_columns(
        close=pl.when(pl.col("symbol") == symbol(1)).then(pl.col("high") * 2).otherwise(pl.col("close")))
    out = qa_gx.run_suite_chunks([(D(2024, 6, 3), good), (D(2024, 6, 4), bad)])
    assert not out.passed
    assert (out.numbers["chunks"], out.numbers["failed_chunks"]) == (2, 1)
    assert out.numbers["rows"] == good.height + bad.height
    assert out.offending["date"].to_list() == [D(2024, 6, 4)]
    assert out.description == "GX suite daily_ohlcv: 1/2 chunks passed"
    single = qa_gx.run_suite(good)
    assert single.passed and single.numbers["success_percent"] == 100.0
    assert single.numbers["successful"] == single.numbers["expectations"] == len(qa_gx.expectations(great_expectations))
    assert "chunks" not in single.numbers  # one chunk: its own outcome, not a merge


def test_gx_on_a_partition_that_breaks_every_expectation_reports_zero_percent():
    """A row of nulls, two equal rows with inverted, negative prices, a bad symbol and an extra
    column: every expectation of the suite fails, and the outcome says 0 % (not a default)."""
    from stock_assets.lib.qa import gx as qa_gx

    bad = {"date": D(2024, 6, 3), "symbol": "a b", "open": -1.0, "high": -5.0, "low": 0.0, "close": -1.0,
           "adj_close": -1.0, "volume": -1, "currency": "USD", "provider": "t", "source_ts": None,
           "ingested_at": None, "run_id": "r", "extra": 1}
    nulls = {k: None for k in bad}
    frame = pl.DataFrame([nulls, bad, bad], schema={**DAILY_OHLCV, "extra": pl.Int64})
    out = qa_gx.run_suite(frame)
    assert not out.passed and out.numbers["successful"] == 0 and out.numbers["success_percent"] == 0.0


def test_summary_rows_of_no_partition_day_are_empty():
    none = qa_records.summary_rows("lag", "WARN", pl.DataFrame(schema=qa_records.FAILURES), [], "r1",
                                   dt.datetime(2024, 6, 4))
    assert none.height == 0 and none.schema == pl.Schema(qa_records.SUMMARY)


def test_volume_spike_is_judged_once_the_window_is_full_with_the_sample_deviation(tmp_path):
    """volume_window 5: the 6th session is the first with 5 previous volumes, so a spike there
    is judged; z = (1000 - 100) / s with s the sample (n - 1) deviation of 100, 110, 90, 105, 95."""
    from stock_assets.storage.lake import ParquetLake

    lake = ParquetLake(tmp_path / "lake")
    days = calendar.sessions_between(D(2024, 6, 3), D(2024, 6, 10))  # 6 sessions
    volumes = [100, 110, 90, 105, 95, 1000]
    frame = pl.DataFrame({"date": days, "symbol": ["VOL"] * 6, "open": [10.0] * 6, "high": [10.0] * 6,
                          "low": [10.0] * 6, "close": [10.0] * 6, "adj_close": [10.0] * 6, "volume": volumes,
                          "provider": ["t"] * 6, "source_ts": [None] * 6, "ingested_at": [None] * 6,
                          "run_id": ["r"] * 6, "currency": ["USD"] * 6}, schema=DAILY_OHLCV)
    lake.write_partitions("daily_ohlcv", days, frame, DAILY_OHLCV)
    with LakeQa(files(lake), days[0], days[-1], Thresholds(volume_window=5, volume_z=5.0)) as q:
        out = q.volume_spike()
    assert out.offending["date"].to_list() == [days[-1]]
    s = (sum((v - 100) ** 2 for v in volumes[:5]) / 4) ** 0.5
    assert out.offending["value"][0] == pytest.approx((1000 - 100) / s)


def test_the_first_and_last_session_of_a_range_are_inside_it(market, tmp_path):
    """A gap ending on the range's last day is reported (the rows after it close the gap), and an
    unusual move on the range's first day is flagged: both bounds are inclusive."""
    lake, actions = market
    with qa(lake, actions, start=D(2024, 6, 7), end=D(2024, 6, 7)) as q:
        gap = q.missing_dates()
    assert not gap.passed and rows(gap, symbol(2)) == [D(2024, 6, 4), D(2024, 6, 5), D(2024, 6, 6), D(2024, 6, 7)]
    day = D(2024, 6, 12)
    frame = lake.read_partition("daily_ohlcv", day, DAILY_OHLCV)
    bumped = frame.with_columns(pl.when(pl.col("symbol") == symbol(20)).then(pl.col(c) * 3).otherwise(pl.col(c))
                                for c in ("open", "high", "low", "close"))
    lake.write_partition("daily_ohlcv", day, bumped, DAILY_OHLCV)
    try:
        with qa(lake, actions, start=day, end=day) as q:
            out = q.iqr_jump()
        assert not out.passed and rows(out, symbol(20)) == [day]
        assert out.numbers["unusual_moves"] == out.offending.height >= 1
    finally:
        lake.write_partition("daily_ohlcv", day, frame, DAILY_OHLCV)


def test_fetch_errors_judges_each_session_by_the_newest_report_covering_it():
    """Nightly windows overlap (ADR 0014): a bad night stops counting once a later run covered it."""
    reports = pl.DataFrame({
        "run_id": ["bad", "good"], "first_session": [D(2024, 6, 3), D(2024, 6, 4)],
        "last_session": [D(2024, 6, 5), D(2024, 6, 6)], "requested": [100, 100], "failed": [40, 1],
        "latency_p95_ms": [800.0, 800.0], "failures_by_code": ['{"YF429": 40}', "{}"],
        "recorded_at": [dt.datetime(2024, 6, 5, 22), dt.datetime(2024, 6, 6, 22)],
    })
    assert qa_fetch.fetch_errors(reports, [D(2024, 6, 5), D(2024, 6, 6)], Thresholds()).passed
    only_bad = qa_fetch.fetch_errors(reports, [D(2024, 6, 3), D(2024, 6, 6)], Thresholds())
    assert not only_bad.passed and set(only_bad.offending["details"].str.slice(0, 20)) == {"40 of 100 symbols fa"}


def test_one_known_split_explains_its_jump_and_a_weekend_ex_date_explains_the_next_session(market):
    """symbol 0 splits 4:1 on Monday 2024-06-10, symbol 5 1:10 on 06-17. A single known split is
    enough to explain its jump; an ex-date on the Saturday before (as some feeds date it) still
    explains the move of the next session."""
    lake, actions = market
    known = splits(actions)
    with LakeQa(files(lake), *JUNE, splits=known.filter(pl.col("symbol") == symbol(0))) as q:
        out = q.price_jump()
    assert out.numbers["explained_by_splits"] == 1 and out.offending["symbol"].to_list() == [symbol(5)]
    saturday = known.with_columns(ex_date=pl.when(pl.col("symbol") == symbol(0)).then(pl.lit(D(2024, 6, 8)))
                                  .otherwise(pl.col("ex_date")))
    with LakeQa(files(lake), *JUNE, splits=saturday) as q:
        out = q.price_jump()
    assert out.passed and out.numbers["explained_by_splits"] == 2


def test_a_zero_close_is_a_row_rule_finding_not_an_infinite_jump(market):
    lake, actions = market
    day = D(2024, 6, 12)
    frame = lake.read_partition("daily_ohlcv", day, DAILY_OHLCV)
    lake.write_partition("daily_ohlcv", day, frame.with_columns(
        close=pl.when(pl.col("symbol") == symbol(21)).then(0.0).otherwise(pl.col("close"))), DAILY_OHLCV)
    try:
        with qa(lake, actions) as q:
            inconsistent = q.ohlc_consistency()
            assert not inconsistent.passed and rows(inconsistent, symbol(21)) == [day]
            assert rows(q.price_jump(), symbol(21)) == []
    finally:
        lake.write_partition("daily_ohlcv", day, frame, DAILY_OHLCV)


def _volume_lake(root, volumes):
    from stock_assets.storage.lake import ParquetLake

    lake = ParquetLake(root)
    days = calendar.sessions_between(D(2024, 6, 3), D(2024, 6, 3) + dt.timedelta(days=len(volumes) * 2))[:len(volumes)]
    n = len(days)
    frame = pl.DataFrame({"date": days, "symbol": ["VOL"] * n, "open": [10.0] * n, "high": [10.0] * n,
                          "low": [10.0] * n, "close": [10.0] * n, "adj_close": [10.0] * n, "volume": volumes,
                          "provider": ["t"] * n, "source_ts": [None] * n, "ingested_at": [None] * n,
                          "run_id": ["r"] * n, "currency": ["USD"] * n}, schema=DAILY_OHLCV)
    lake.write_partitions("daily_ohlcv", days, frame, DAILY_OHLCV)
    return lake, days


def test_a_flat_zero_volume_history_gives_no_z_score(tmp_path):
    """Five sessions of volume 0 (a halted quote, already a zero_volume finding) have no deviation
    to judge the sixth by: no spike with an infinite z-score is reported."""
    lake, days = _volume_lake(tmp_path / "lake", [0, 0, 0, 0, 0, 1000])
    with LakeQa(files(lake), days[0], days[-1], Thresholds(volume_window=5)) as q:
        out = q.volume_spike()
        assert out.passed and out.offending.height == 0
        assert rows(q.zero_volume(), "VOL") == days[:5]


def test_the_look_back_covers_the_volume_window_when_it_is_longer(tmp_path):
    """Checking one day with a volume window longer than lookback_sessions still reads the whole
    window before it (lookback = max(lookback_sessions, volume_window + 1)), so the spike is judged."""
    lake, days = _volume_lake(tmp_path / "lake", [100, 110, 90, 105, 95, 1000])
    with LakeQa(files(lake), days[-1], days[-1], Thresholds(volume_window=5, lookback_sessions=2)) as q:
        out = q.volume_spike()
    assert out.offending["date"].to_list() == [days[-1]]


def test_unit_switch_finds_a_block_quoted_100x_off_with_its_correction(market):
    """Three days of symbol 25 come back in the wrong unit (a 100x drop and back): each is found
    with the factor that corrects it; the engine's unit check runs the ordered pass itself."""
    lake, actions = market
    days = [D(2024, 6, 12), D(2024, 6, 13), D(2024, 6, 14)]
    frames = {d: lake.read_partition("daily_ohlcv", d, DAILY_OHLCV) for d in days}
    for d, frame in frames.items():
        lake.write_partition("daily_ohlcv", d, frame.with_columns(
            pl.when(pl.col("symbol") == symbol(25)).then(pl.col(c) / 100).otherwise(pl.col(c))
            for c in ("open", "high", "low", "close")), DAILY_OHLCV)
    try:
        with qa(lake, actions) as q:
            out = q.unit_switch()
        assert not out.passed and out.numbers["symbols_with_100x_steps"] == 1
        assert out.offending.select("date", "symbol", "value").rows() == [(d, symbol(25), 100.0) for d in days]
        as_quoted = [frames[d].filter(pl.col("symbol") == symbol(25))["close"][0] for d in days]
        assert out.offending["corrected_close"].to_list() == pytest.approx(as_quoted)
    finally:
        for d, frame in frames.items():
            lake.write_partition("daily_ohlcv", d, frame, DAILY_OHLCV)


def test_an_unusual_move_names_the_limit_it_broke(market):
    """The details of an iqr_jump finding give the move and the limit in %, the limit being
    Q3 + 3 x IQR of the symbol's own moves over the scan window (recomputed here)."""
    import math
    import re

    lake, actions = market
    day = D(2024, 6, 12)
    frame = lake.read_partition("daily_ohlcv", day, DAILY_OHLCV)
    lake.write_partition("daily_ohlcv", day, frame.with_columns(
        pl.when(pl.col("symbol") == symbol(20)).then(pl.col(c) * 3).otherwise(pl.col(c))
        for c in ("open", "high", "low", "close")), DAILY_OHLCV)
    try:
        with qa(lake, actions) as q:
            out = q.iqr_jump()
            scan_start = q.scan_start
        closes = pl.read_parquet(list(files(lake).values())).filter(
            (pl.col("symbol") == symbol(20)) & (pl.col("date") >= scan_start)).sort("date")["close"]
    finally:
        lake.write_partition("daily_ohlcv", day, frame, DAILY_OHLCV)
    moves = closes.log().diff().abs().drop_nulls().cast(pl.Float32)
    q1, q3 = moves.quantile(0.25, "linear"), moves.quantile(0.75, "linear")
    limit = round((math.exp(q3 + 3 * (q3 - q1)) - 1) * 100, 2)
    found = out.offending.filter(pl.col("symbol") == symbol(20))
    for value, details in found.select("value", "details").iter_rows():
        move, k, pct, n = re.fullmatch(r"move ([\d.]+) % > Q3 \+ ([\d.]+) x IQR = ([\d.]+) % over (\d+) moves",
                                       details).groups()
        assert float(move) == round(value * 100, 2) and float(k) == 3.0
        assert float(pct) == limit and int(n) == len(moves)
