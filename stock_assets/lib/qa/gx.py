"""The Great Expectations suite for a `daily_ohlcv` partition, run in an ephemeral GX context.

Why GX beside our own rules: it is the suite people already read and extend, and its result
(one line per expectation) is a second, independent opinion on the same rows. Why lazy:
`import great_expectations` costs ~4.4 s, so only the check that runs it pays for it, and
the ephemeral context writes nothing to disk.
"""

from __future__ import annotations

import polars as pl

from stock_assets.lib.schema import DAILY_OHLCV, REQUIRED_NOT_NULL
from stock_assets.lib.validation import Outcome

SUITE_NAME = "daily_ohlcv"


def expectations(gx) -> list:
    """The suite: columns, required fields, positive prices, ordered OHLC, unique keys."""
    e = gx.expectations
    suite = [
        e.ExpectTableColumnsToMatchSet(column_set=list(DAILY_OHLCV), exact_match=True),
        *[e.ExpectColumnValuesToNotBeNull(column=c) for c in REQUIRED_NOT_NULL],
        *[e.ExpectColumnValuesToBeBetween(column=c, min_value=0, strict_min=True)
          for c in ("open", "high", "low", "close")],
        e.ExpectColumnValuesToBeBetween(column="volume", min_value=0),
        e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="high", column_B="low", or_equal=True),
        e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="high", column_B="close", or_equal=True),
        e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="close", column_B="low", or_equal=True),
        e.ExpectCompoundColumnsToBeUnique(column_list=["date", "symbol"]),
        e.ExpectColumnValuesToMatchRegex(column="symbol", regex=r"^[A-Z0-9.\-\^=]+$"),
    ]
    return suite


def run_suite(frame: pl.DataFrame) -> Outcome:
    """Validate `frame` with the suite; the offending rows are the failed expectations."""
    return run_suite_chunks([(None, frame)])


def rechunk(reads, min_rows: int):
    """Merge consecutive (last_day, frame) reads until each holds at least `min_rows` rows."""
    pending, day, rows = [], None, 0
    for day, frame in reads:
        pending.append(frame)
        rows += frame.height
        if rows >= min_rows:
            yield day, pl.concat(pending, how="vertical_relaxed")
            pending, rows = [], 0
    if pending:
        yield day, pl.concat(pending, how="vertical_relaxed")


def run_suite_chunks(chunks) -> Outcome:
    """Validate each (last_day, frame) chunk of a range in one context; one Outcome for all.

    Why chunks: a backfill range can hold millions of rows; GX validates pandas frames in
    memory, so a range is read and validated a few weeks at a time.
    """
    import great_expectations as gx  # lazy: ~4.4 s

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("lake")
    asset = source.add_dataframe_asset(SUITE_NAME)
    batch_def = asset.add_batch_definition_whole_dataframe("partition")
    suite = context.suites.add(gx.ExpectationSuite(name=SUITE_NAME, expectations=expectations(gx)))
    outcomes = []
    for day, frame in chunks:
        result = batch_def.get_batch(batch_parameters={"dataframe": frame.to_pandas()}).validate(suite)
        outcomes.append(_outcome(result, frame.height, day))
    if len(outcomes) == 1:
        return outcomes[0]
    failed = [o for o in outcomes if not o.passed]
    merged = pl.concat([o.offending for o in outcomes], how="diagonal_relaxed")
    return Outcome(not failed, merged, {
        "chunks": len(outcomes), "failed_chunks": len(failed),
        "rows": sum(o.numbers["rows"] for o in outcomes),
        "expectations": outcomes[0].numbers["expectations"],
        "expectation_results": (failed or outcomes)[0].numbers["expectation_results"],
    }, f"GX suite {SUITE_NAME}: {len(outcomes) - len(failed)}/{len(outcomes)} chunks passed")


def _outcome(result, height: int, day) -> Outcome:
    rows = []
    for r in result.results:
        cfg = r.expectation_config
        res = r.result or {}
        column = cfg.kwargs.get("column") or cfg.kwargs.get("column_A") or ",".join(cfg.kwargs.get("column_list", []) or [])
        rows.append((cfg.type, str(column), bool(r.success), float(res.get("unexpected_count") or 0),
                     str(res.get("partial_unexpected_list", ""))[:200]))
    table = pl.DataFrame(rows, schema={"expectation": pl.String, "column": pl.String, "success": pl.Boolean,
                                       "unexpected": pl.Float64, "sample": pl.String}, orient="row")
    # One qa.failures row per partition (the key is date, symbol); each failed expectation
    # is a line of its details, and the table of all of them goes to the check's metadata.
    failed_table = table.filter(~pl.col("success"))
    failed = pl.DataFrame({
        "value": [float(failed_table["unexpected"].sum())],
        "details": ["; ".join(f"{e}({c}): {int(u)} unexpected, e.g. {s}" for e, c, _, u, s in failed_table.iter_rows())],
    }) if failed_table.height else pl.DataFrame(schema={"value": pl.Float64, "details": pl.String})
    failed = failed.with_columns(date=pl.lit(day, pl.Date)).select("date", "value", "details")
    stats = result.statistics
    outcome = Outcome(bool(result.success), failed, {
        "expectations": int(stats.get("evaluated_expectations", len(rows))),
        "successful": int(stats.get("successful_expectations", 0)),
        "success_percent": float(stats.get("success_percent") or 0.0),
        "rows": height,
    }, f"GX suite {SUITE_NAME}: {stats.get('successful_expectations')}/{stats.get('evaluated_expectations')} passed")
    outcome.numbers["expectation_results"] = table
    return outcome
