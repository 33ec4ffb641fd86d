"""lib/intraday on data this project makes: sessions, parsing, exact resampling, synthesis, retention."""

import datetime as dt

import polars as pl
import pytest

from stock_assets.lib.intraday import parse, resample, retention, sessions, synthetic

D = dt.date
UTC = dt.UTC


def _raw(rows):
    return pl.DataFrame(rows, schema={"ts": pl.Datetime("us", "UTC"), "open": pl.Float64, "high": pl.Float64,
                                      "low": pl.Float64, "close": pl.Float64, "volume": pl.Float64}, orient="row")


def test_session_windows_half_day_and_cme_break():
    full, half = sessions.window("XNYS", D(2024, 10, 2)), sessions.window("XNYS", D(2024, 11, 29))
    assert (full.open.hour, full.open.minute, full.minutes) == (13, 30, 390)
    assert half.minutes == 210  # 09:30-13:00 ET the day after Thanksgiving
    cme = sessions.window("CMES", D(2024, 10, 2))
    # 18:00 ET the evening before -> 17:00 ET: 23 hours, the hour 17:00-18:00 ET is the break
    assert cme.open == dt.datetime(2024, 10, 1, 22, tzinfo=UTC)
    assert cme.close == dt.datetime(2024, 10, 2, 21, tzinfo=UTC)
    assert cme.minutes == 23 * 60
    assert sessions.window("XNYS", D(2024, 12, 25)) is None


def test_a_cme_bar_after_17_ct_belongs_to_the_next_session():
    assert sessions.session_date("CMES", dt.datetime(2024, 10, 1, 22, 0, tzinfo=UTC)) == D(2024, 10, 2)
    assert sessions.session_date("CMES", dt.datetime(2024, 10, 2, 20, 59, tzinfo=UTC)) == D(2024, 10, 2)
    # Sunday evening opens Monday's session
    assert sessions.session_date("CMES", dt.datetime(2024, 10, 6, 22, 0, tzinfo=UTC)) == D(2024, 10, 7)
    assert sessions.session_date("XNYS", dt.datetime(2024, 10, 2, 19, 59, tzinfo=UTC)) == D(2024, 10, 2)


def test_parse_drops_null_bars_stray_next_day_bars_and_extended_hours():
    t = lambda h, m, day=2: dt.datetime(2024, 10, day, h, m, tzinfo=UTC)  # noqa: E731
    raw = _raw([
        (t(13, 0), 1, 1, 1, 1, 10),  # pre-market (09:00 ET)
        (t(13, 30), 10, 11, 9, 10.5, 100),
        (t(13, 31), None, None, None, None, None),  # all-null minute
        (t(13, 32), 10.5, 10.6, 10.4, 10.5, 50),
        (t(20, 0, day=3), 12, 12, 12, 12, 0),  # stray: the next day's 16:00 ET
    ])
    rows = parse.from_raw(raw, "AAPL", "1m", "XNYS", [D(2024, 10, 2)], "yahoo")
    assert rows["ts"].to_list() == [dt.datetime(2024, 10, 2, 13, 30), dt.datetime(2024, 10, 2, 13, 32)]
    assert set(rows["session"]) == {D(2024, 10, 2)}
    extended = parse.from_raw(raw, "AAPL", "1m", "XNYS", [D(2024, 10, 2)], "yahoo", extended=True)
    assert extended.height == 3


def _minutes(symbol, day, calendar, bar=None):
    bar = bar or {"open": 100.0, "high": 103.0, "low": 98.0, "close": 101.0, "volume": 1_000_000}
    return synthetic.minutes(symbol, day, bar, calendar, "synthetic")


@pytest.mark.parametrize("symbol, day, calendar, n", [
    ("AAA", D(2024, 10, 2), "XNYS", 390), ("AAA", D(2024, 11, 29), "XNYS", 210), ("ES=F", D(2024, 10, 2), "CMES", 1380),
])
def test_synthetic_minutes_add_up_to_the_daily_bar(symbol, day, calendar, n):
    bar = {"open": 100.0, "high": 103.0, "low": 98.0, "close": 101.0, "volume": 1_000_000}
    m = _minutes(symbol, day, calendar, bar)
    assert m.height == n
    assert (m["open"][0], m["high"].max(), m["low"].min(), m["close"][-1], m["volume"].sum()) == (
        bar["open"], bar["high"], bar["low"], bar["close"], bar["volume"])
    assert (m["high"] >= m[["open", "close"]].max_horizontal()).all()
    assert (m["low"] <= m[["open", "close"]].min_horizontal()).all()
    assert m.equals(_minutes(symbol, day, calendar, bar))  # deterministic


def test_synthetic_minutes_trade_most_at_the_open_and_close_and_none_on_a_halted_day():
    """The U shape of the docstring (busy open and close), and no minutes at all for a zero-volume
    (halted) day or a day off: the source then records the symbol as empty, not a flat line."""
    volume = _minutes("AAA", D(2024, 10, 2), "XNYS")["volume"]
    middle = volume.slice(180, 30).sum()
    assert volume.head(30).sum() > 2 * middle and volume.tail(30).sum() > 2 * middle
    halted = {"open": 100.0, "high": 100.0, "low": 100.0, "close": 100.0, "volume": 0}
    assert _minutes("AAA", D(2024, 10, 2), "XNYS", halted).height == 0
    assert _minutes("AAA", D(2024, 12, 25), "XNYS").height == 0  # Christmas: no session


def test_a_synthetic_daily_bar_is_a_quiet_plausible_day():
    """daily_bar stands in for symbols the synthetic universe does not list (ES=F, indices): its
    bars must pass the daily row rules (low <= open, close <= high), sit in the price range of the
    universe (50 + crc32 % 5000, +/- 10 % over the year), move like a quiet day, be quoted in
    whole cents and trade 200k to 1M shares, so that offline runs of intraday QA find nothing."""
    from stock_assets.lib import validation

    days = [D(2024, 1, 1) + dt.timedelta(days=i) for i in range(0, 366, 3)]
    bars = pl.DataFrame([{"symbol": s, "date": d, **synthetic.daily_bar(s, d)} for s in ("ES=F", "^GSPC") for d in days])
    assert validation.ohlc_consistency(bars).passed
    assert bars["low"].min() >= 50 * 0.9 * 0.98 and bars["high"].max() <= 5050 * 1.11 * 1.02
    assert ((bars["open"] / bars["close"] - 1).abs() < 0.03).all()
    assert (((bars["high"] / bars[["open", "close"]].max_horizontal()) - 1) < 0.03).all()
    assert ((1 - bars["low"] / bars[["open", "close"]].min_horizontal()) < 0.03).all()
    for c in ("open", "high", "low", "close"):
        assert (bars[c] * 100 - (bars[c] * 100).round(0)).abs().max() < 1e-6  # whole cents
    assert bars["volume"].min() >= 200_000 and bars["volume"].max() < 1_000_000


def test_synthetic_bars_are_pinned_for_a_seed_symbol_and_day():
    """Deterministic in (seed, symbol, session) from release to release, not only within a run:
    a lake written offline by one version reconciles with the minutes the next version makes
    (the daily bar of a future is made again for each day asked), and the documented demo and
    benchmark figures stay reproducible. Seed 7 is the synthetic source's default."""
    assert synthetic.daily_bar("ES=F", D(2024, 10, 2)) == {
        "open": 2030.05, "high": 2030.63, "low": 2013.54, "close": 2014.14, "volume": 776324}
    m = _minutes("AAA", D(2024, 10, 2), "XNYS")
    at = [1, 100, 200, 300]
    assert m["close"].gather(at).to_list() == pytest.approx(
        [100.33294435843112, 102.15397296776409, 99.42660382568648, 99.8873721580134])
    assert m["high"].gather(at).to_list() == pytest.approx(
        [100.42543875075523, 102.27441233294964, 99.52443748016005, 99.99938264819116])
    assert m["volume"].gather([0, 1, 195, 388, 389]).to_list() == [4031, 4158, 1558, 4391, 4499]


def test_resample_is_exact_and_aligned_to_the_open():
    m = _minutes("AAA", D(2024, 11, 29), "XNYS")
    hours = resample.resample(m, "1h", {"AAA": "XNYS"})
    # 09:30, 10:30, 11:30, 12:30 ET; the last bucket is the half-day's last half hour
    assert [t.strftime("%H:%M") for t in hours["ts"]] == ["14:30", "15:30", "16:30", "17:30"]
    assert hours["volume"].sum() == m["volume"].sum()
    first = m.head(60)
    assert hours.row(0, named=True)["open"] == first["open"][0]
    assert hours.row(0, named=True)["high"] == first["high"].max()
    assert hours.row(0, named=True)["low"] == first["low"].min()
    assert hours.row(0, named=True)["close"] == first["close"][-1]
    fives = resample.resample(m, "5m", {"AAA": "XNYS"})
    assert fives.height == 42 and resample.resample(fives, "15m", {"AAA": "XNYS"}).equals(
        resample.resample(m, "15m", {"AAA": "XNYS"}))


def test_cme_hours_start_at_the_evening_open_and_skip_the_break():
    m = pl.concat([_minutes("ES=F", D(2024, 10, 2), "CMES"), _minutes("ES=F", D(2024, 10, 3), "CMES")])
    hours = resample.resample(m, "1h", {"ES=F": "CMES"})
    assert hours.height == 46
    stamps = set(hours["ts"])
    assert dt.datetime(2024, 10, 1, 22) in stamps and dt.datetime(2024, 10, 2, 22) in stamps
    assert dt.datetime(2024, 10, 2, 21) not in stamps  # 17:00-18:00 ET: the maintenance break


def test_resample_refuses_what_cannot_be_exact():
    m = _minutes("AAA", D(2024, 10, 2), "XNYS")
    with pytest.raises(resample.NotFinerInterval):
        resample.resample(resample.resample(m, "15m", {"AAA": "XNYS"}), "5m", {"AAA": "XNYS"})
    with pytest.raises(sessions.UnknownInterval):
        resample.resample(m, "2h", {"AAA": "XNYS"})


def test_retention_windows_and_lost_days():
    today = D(2024, 10, 31)
    ok, lost = retention.split_by_retention([D(2024, 10, 23), D(2024, 9, 30), D(2024, 10, 2)], "1m", today)
    assert lost == [D(2024, 9, 30)] and ok == [D(2024, 10, 2), D(2024, 10, 23)]
    days = [D(2024, 10, d) for d in (1, 2, 3, 4, 7, 8, 9, 10, 11, 14)]
    windows = retention.request_windows(days, "1m")
    assert all((hi - lo).days <= 7 for lo, hi in windows)
    assert sorted(d for d in days if any(lo < d < hi for lo, hi in windows)) == days
    assert len(windows) == 3  # 1-4, 7-11, 14: each asked from the evening before
    assert retention.at_risk([D(2024, 10, 2), D(2024, 10, 20)], "1m", today) == [D(2024, 10, 2)]
    # [start, end): from the evening before the first day to the day after the last
    assert windows == [(D(2024, 9, 30), D(2024, 10, 5)), (D(2024, 10, 6), D(2024, 10, 12)), (D(2024, 10, 13), D(2024, 10, 15))]


def test_a_request_window_may_span_exactly_what_yahoo_allows():
    """Yahoo answers at most 7 days of 1m bars, 730 of 1h bars per request (ADR 0022): a window of
    exactly that many days is one request, one day more is two."""
    assert retention.request_windows([D(2024, 10, 1), D(2024, 10, 6)], "1m") == [(D(2024, 9, 30), D(2024, 10, 7))]
    assert len(retention.request_windows([D(2024, 10, 1), D(2024, 10, 7)], "1m")) == 2
    first = D(2022, 1, 3)
    assert len(retention.request_windows([first, first + dt.timedelta(days=728)], "1h")) == 1
    assert len(retention.request_windows([first, first + dt.timedelta(days=729)], "1h")) == 2


def test_sessions_at_the_ends_of_the_calendar_and_the_calendar_of_a_symbol():
    first, last = (sessions._calendar("XNYS").first_session.date(), sessions._calendar("XNYS").last_session.date())
    assert sessions.is_session("XNYS", first) and sessions.is_session("XNYS", last)
    assert not sessions.is_session("XNYS", first - dt.timedelta(days=1))
    assert not sessions.is_session("XNYS", last + dt.timedelta(days=3))
    # the universe's calendar first; else the symbol's own market; a bare symbol is a US share
    assert sessions.calendar_for("AAA.L", {"AAA.L": "XETR"}) == "XETR"
    assert sessions.calendar_for("VOD.L", {"AAPL": "XNYS"}) == "XLON"
    assert sessions.calendar_for("ES=F", {}) == "CMES" and sessions.calendar_for("AAPL") == "XNYS"
    with pytest.raises(ValueError, match="unknown exchange suffix"):
        sessions.calendar_for("FOO.ZZ")


def test_resampling_a_day_the_market_did_not_trade_is_refused_naming_it():
    m = _minutes("AAA", D(2024, 10, 2), "XNYS").with_columns(session=pl.lit(D(2024, 12, 25)))
    with pytest.raises(ValueError, match="AAA: 2024-12-25 is not a session of XNYS"):
        resample.resample(m, "5m", {"AAA": "XNYS"})


# -- the rules of the intraday checks (lib/intraday/checks.py) ---------------------------------
from stock_assets.lib.intraday import checks  # noqa: E402

CAL = {"AAA": "XNYS", "ES=F": "CMES"}


def _day():
    return pl.concat([_minutes("AAA", D(2024, 10, 2), "XNYS"), _minutes("ES=F", D(2024, 10, 2), "CMES")])


def test_clean_synthetic_bars_pass_every_rule():
    m = _day()
    bars = resample.all_intervals(m, CAL)
    daily = pl.DataFrame({"date": [D(2024, 10, 2)] * 2, "symbol": ["AAA", "ES=F"], "open": [100.0] * 2,
                          "high": [103.0] * 2, "low": [98.0] * 2, "close": [101.0] * 2, "volume": [1_000_000] * 2})
    for outcome in (checks.ohlc_consistency(bars), checks.duplicates(bars), checks.outside_session(bars, CAL),
                    checks.missing_minutes(m, CAL), checks.futures_volume(m, CAL),
                    checks.daily_reconciliation(m, daily)):
        assert outcome.passed, outcome.offending


def test_each_rule_finds_what_it_guards():
    m = _day()
    bad = checks.ohlc_consistency(m.with_columns(high=pl.when(pl.col("symbol") == "AAA").then(pl.col("low") - 1)
                                                 .otherwise(pl.col("high"))))
    assert bad.offending["symbol"].to_list() == ["AAA"] and bad.offending["value"][0] == 390
    dup = checks.duplicates(pl.concat([m, m.head(2)]))
    assert not dup.passed and dup.numbers["duplicate_bars"] == 4
    early = m.with_columns(ts=pl.when(pl.col("symbol") == "AAA").then(pl.col("ts") - dt.timedelta(hours=1))
                           .otherwise(pl.col("ts")))
    outside = checks.outside_session(early, CAL)
    assert outside.offending.rows() == [(D(2024, 10, 2), "AAA", 60.0, outside.offending["details"][0])]
    gaps = checks.missing_minutes(m.filter(pl.int_range(pl.len()) % 100 != 7), CAL)
    assert {r[1]: r[2] for r in gaps.offending.rows()} == {"AAA": 4.0, "ES=F": 14.0}
    dead = checks.futures_volume(m.with_columns(volume=pl.lit(0, pl.Int64)), CAL)
    assert dead.offending["symbol"].to_list() == ["ES=F"] and dead.threshold == 0.0
    one_trade = m.with_columns(volume=pl.when(pl.int_range(pl.len()).over("symbol") == 0).then(1).otherwise(0).cast(pl.Int64))
    assert checks.futures_volume(one_trade, CAL).passed  # one contract traded: alive
    empty = checks.outside_session(m.clear(), CAL)
    assert empty.passed and empty.numbers == {"bars_outside": 0}


def test_reconciliation_uses_a_tick_for_prices_and_a_share_for_volume():
    m = _minutes("AAA", D(2024, 10, 2), "XNYS")
    day = {"date": [D(2024, 10, 2)], "symbol": ["AAA"], "open": [100.0], "high": [103.0], "low": [98.0],
           "close": [101.0], "volume": [1_000_000]}
    assert checks.daily_reconciliation(m, pl.DataFrame({**day, "close": [101.009]})).passed  # within a tick
    assert checks.daily_reconciliation(m, pl.DataFrame({**day, "close": [101.01]})).passed  # a tick exactly
    off = checks.daily_reconciliation(m, pl.DataFrame({**day, "close": [101.02]}))
    assert not off.passed and off.offending["value"][0] == pytest.approx(0.02)
    assert checks.daily_reconciliation(m, pl.DataFrame({**day, "volume": [1_090_000]})).passed
    assert not checks.daily_reconciliation(m, pl.DataFrame({**day, "volume": [1_200_000]})).passed
    assert checks.daily_reconciliation(m, pl.DataFrame({**day, "symbol": ["BBB"]})).numbers["without_daily_bar"] == 1


@pytest.mark.parametrize("interval, kept, span", [
    ("1m", 30, 7), ("5m", 60, 60), ("15m", 60, 60), ("30m", 60, 60), ("1h", 730, 730)])
def test_yahoos_window_and_request_span_per_interval(interval, kept, span):
    """ADR 0022: 1m bars are served for 30 days and 7 per request, 2m-30m bars for 60 days;
    1h bars for 730 days (Yahoo's limit). The oldest day kept is the edge; the day before is lost."""
    today = D(2024, 10, 31)
    edge = today - dt.timedelta(days=kept - 1)
    before = edge - dt.timedelta(days=1)
    assert retention.split_by_retention([edge, before], interval, today) == ([edge], [before])
    first = D(2022, 1, 3)
    assert len(retention.request_windows([first, first + dt.timedelta(days=span - 2)], interval)) == 1
    assert len(retention.request_windows([first, first + dt.timedelta(days=span - 1)], interval)) == 2


def test_a_missing_day_is_at_risk_in_its_last_five_days_in_the_window():
    today = D(2024, 10, 31)
    edge = retention.oldest_fetchable("1m", today)
    days = [edge + dt.timedelta(days=k) for k in (0, 4, 5)]
    assert retention.at_risk(days, "1m", today) == days[:2]


def test_the_retention_sweep_fetches_the_days_about_to_age_out_and_reports_the_lost_ones():
    """Stored: every weekday 09-30..10-30 but 10-01, 10-02 and 10-30; today 10-31, 1m kept from 10-02.
    10-02 is missing and ages out first; 10-30 (yesterday) is missing but not yet at risk; 10-01 is lost."""
    today = D(2024, 10, 31)
    assert retention.weekdays(D(2024, 10, 4), D(2024, 10, 7)) == [D(2024, 10, 4), D(2024, 10, 7)]  # Fri, Mon
    stored = [d for d in retention.weekdays(D(2024, 9, 30), D(2024, 10, 30))
              if d not in (D(2024, 10, 1), D(2024, 10, 2), D(2024, 10, 30))]
    assert retention.sweep(stored, today) == ([D(2024, 10, 2)], [D(2024, 10, 1)])
    assert retention.sweep(stored, today, within=40) == ([D(2024, 10, 2), D(2024, 10, 30)], [D(2024, 10, 1)])
    assert retention.sweep([], today) == ([D(2024, 10, 2), D(2024, 10, 3), D(2024, 10, 4)], [])
