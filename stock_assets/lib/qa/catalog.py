"""The QA catalogue: every check on `daily_ohlcv`, its severity, its rule, and its thresholds.

Why one home: the Dagster checks, the qa tables, the docs (docs/quality.md) and the
benchmark must agree on names, severities and defaults; changing a default here changes
it everywhere, and the run config (`QaConfig`) exposes the same names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARN, INFO = "ERROR", "WARN", "INFO"


@dataclass(frozen=True)
class Thresholds:
    """Thresholds of the checks, with the defaults of the QA issue (docs/quality.md)."""

    min_completeness: float = 0.97  # share of the symbols active that day that must have a row
    max_lag_sessions: int = 2  # a symbol more sessions behind than this is lagging
    max_move: float = 0.75  # close-to-close move (either direction) that needs a split to explain it
    split_tolerance: float = 0.25  # a split explains a jump when close x ratio / previous close is within this
    iqr_multiplier: float = 3.0  # a move above Q3 + k * IQR of the symbol's own moves is unusual
    iqr_min_history: int = 20  # fewer moves than this in the history: no IQR judgement
    volume_z: float = 5.0  # rolling volume z-score above this is a spike
    volume_window: int = 20  # sessions in the rolling volume mean / standard deviation
    max_fetch_error_share: float = 0.05  # failed symbols / requested symbols of a fetch
    max_latency_p95_ms: float = 5000.0  # API latency p95 of a fetch
    lookback_sessions: int = 60  # history read before the partition for the history checks

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CheckInfo:
    name: str
    severity: str
    rule: str
    blocking: bool


CHECKS: dict[str, CheckInfo] = {c.name: c for c in (
    CheckInfo("schema", ERROR, "Columns and types are exactly those of docs/data_model.md.", True),
    CheckInfo("null_fields", ERROR, "No nulls in the required fields (date, symbol, OHLC, volume, provider).", True),
    CheckInfo("ohlc_consistency", ERROR, "low <= open, close <= high; all prices > 0; volume >= 0.", True),
    CheckInfo("duplicates", ERROR, "One row per (date, symbol).", True),
    CheckInfo("completeness", ERROR,
              "Each session has a row for at least 97 % (min_completeness) of the symbols active that day.", True),
    CheckInfo("missing_dates", WARN,
              "No session of a symbol's own market missing between two of its rows, in the look-back window; "
              "a symbol whose market cannot be told is a finding.", False),
    CheckInfo("lag", WARN, "No active symbol whose latest row is more than 2 (max_lag_sessions) sessions of its "
              "own market behind.", False),
    CheckInfo("market_freshness", WARN, "Each market's newest stored session is its last session due on its own "
              "calendar (closed 6 h ago or more); a market without a session since is fresh.", False),
    CheckInfo("zero_volume", WARN, "No row with volume = 0 on a trading day.", False),
    CheckInfo("price_jump", ERROR,
              "No close-to-close move above 75 % (max_move, either direction) that a split in "
              "prices.corporate_actions does not explain (the move must match 1/ratio within 25 %).", True),
    CheckInfo("unit_switch", ERROR,
              "No block of rows 100x off its series' unit (Yahoo's pence/pounds switch) that a split does not "
              "explain; each finding carries the factor that corrects it.", True),
    CheckInfo("iqr_jump", INFO, "No move above Q3 + 3 x IQR of that symbol's own split-adjusted moves "
              "(a continuous future's front-month roll explains one).", False),
    CheckInfo("volume_spike", INFO, "No volume whose rolling 20-session z-score exceeds 5 "
              "(a continuous future's front-month roll explains one).", False),
    CheckInfo("fetch_errors", WARN,
              "Fetch error share at most 5 % of the symbols requested; API latency p95 at most 5 s.", False),
    CheckInfo("great_expectations", ERROR, "The Great Expectations suite `daily_ohlcv` passes on the partition.", True),
)}
ENGINE_CHECKS = [name for name in CHECKS if name != "great_expectations"]
