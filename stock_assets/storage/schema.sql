-- The warehouse's schemas and tables (docs/data_model.md explains every column).
-- No PRIMARY KEY constraints: DuckDB checks them over-eagerly when a transaction deletes
-- and re-inserts the same key; keys are kept unique by delete-then-insert and by asset checks.
-- Idempotent: run at every open of a writer so that a new table appears without a migration step.
CREATE SCHEMA IF NOT EXISTS universe;
CREATE SCHEMA IF NOT EXISTS prices;
CREATE SCHEMA IF NOT EXISTS ops;
CREATE SCHEMA IF NOT EXISTS qa;
CREATE SCHEMA IF NOT EXISTS dashboard;

CREATE TABLE IF NOT EXISTS universe.tickers (
    symbol        VARCHAR NOT NULL,
    yahoo_symbol  VARCHAR NOT NULL,
    name          VARCHAR,
    exchange      VARCHAR,                   -- ISO 10383 MIC (XNAS, XLON, XCME, ...)
    sources       VARCHAR,
    sector        VARCHAR,
    sub_industry  VARCHAR,
    is_etf        BOOLEAN NOT NULL DEFAULT FALSE,
    calendar      VARCHAR,                   -- exchange_calendars name (XNYS, XLON, CMES, ...)
    currency      VARCHAR,                   -- as Yahoo quotes it (USD, GBp, EUR)
    asset_class   VARCHAR,                   -- equity | etf | fund | index | future
    isin          VARCHAR,                   -- where the source gives it
    status        VARCHAR NOT NULL,          -- active | delisted | archived
    first_seen    TIMESTAMP NOT NULL,
    last_seen     TIMESTAMP NOT NULL,
    delisted_on   DATE,
    archived_on   DATE,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS universe.listing_snapshots (
    scraped_at    TIMESTAMP NOT NULL,
    source        VARCHAR NOT NULL,
    symbol        VARCHAR NOT NULL,
    yahoo_symbol  VARCHAR NOT NULL,
    name          VARCHAR,
    exchange      VARCHAR,
    sector        VARCHAR,
    sub_industry  VARCHAR,
    is_etf        BOOLEAN NOT NULL DEFAULT FALSE,
    date_added    VARCHAR,
    cik           VARCHAR,
    run_id        VARCHAR,
    calendar      VARCHAR,
    currency      VARCHAR,
    asset_class   VARCHAR,
    isin          VARCHAR
);

-- The instrument columns (ADR 0018) added to a warehouse written before them; the rows they
-- held are given values at the next scrape (lib/lifecycle.py backfill_instruments).
ALTER TABLE universe.tickers ADD COLUMN IF NOT EXISTS calendar VARCHAR;
ALTER TABLE universe.tickers ADD COLUMN IF NOT EXISTS currency VARCHAR;
ALTER TABLE universe.tickers ADD COLUMN IF NOT EXISTS asset_class VARCHAR;
ALTER TABLE universe.tickers ADD COLUMN IF NOT EXISTS isin VARCHAR;
ALTER TABLE universe.listing_snapshots ADD COLUMN IF NOT EXISTS calendar VARCHAR;
ALTER TABLE universe.listing_snapshots ADD COLUMN IF NOT EXISTS currency VARCHAR;
ALTER TABLE universe.listing_snapshots ADD COLUMN IF NOT EXISTS asset_class VARCHAR;
ALTER TABLE universe.listing_snapshots ADD COLUMN IF NOT EXISTS isin VARCHAR;

CREATE TABLE IF NOT EXISTS universe.rejected_symbols (
    scraped_at    TIMESTAMP NOT NULL,
    source        VARCHAR NOT NULL,
    raw_symbol    VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,
    run_id        VARCHAR
);

CREATE TABLE IF NOT EXISTS prices.corporate_actions (
    symbol        VARCHAR NOT NULL,
    ex_date       DATE NOT NULL,
    kind          VARCHAR NOT NULL,          -- split | dividend
    value         DOUBLE NOT NULL,           -- split ratio (new/old) or cash per share
    source        VARCHAR NOT NULL,
    ingested_at   TIMESTAMP NOT NULL,
    run_id        VARCHAR
);

-- Splits and dividends each fetch saw, whether or not `corporate_actions` was materialised in
-- the same run (`--select daily_ohlcv` alone): the price_jump check explains a jump by these
-- too, so bars stored without their actions do not fail it. One row per (symbol, ex_date, kind).
CREATE TABLE IF NOT EXISTS ops.fetched_actions (
    symbol        VARCHAR NOT NULL,
    ex_date       DATE NOT NULL,
    kind          VARCHAR NOT NULL,
    value         DOUBLE NOT NULL,
    source        VARCHAR NOT NULL,
    run_id        VARCHAR,
    fetched_at    TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS ops.fetch_errors (
    run_id        VARCHAR,
    session       DATE NOT NULL,
    symbol        VARCHAR NOT NULL,
    code          VARCHAR NOT NULL,
    message       VARCHAR,
    attempts      INTEGER NOT NULL DEFAULT 1,
    recorded_at   TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS ops.dead_letter (
    symbol        VARCHAR NOT NULL,
    since         TIMESTAMP NOT NULL,
    failed_nights INTEGER NOT NULL,
    last_code     VARCHAR,
    last_message  VARCHAR
);

-- When a symbol left the dead-letter queue (relisted, or re-enabled by a person): failures
-- before it no longer count towards a new streak (storage/dead_letter.py).
CREATE TABLE IF NOT EXISTS ops.dead_letter_releases (
    symbol        VARCHAR NOT NULL,
    released_at   TIMESTAMP NOT NULL,
    reason        VARCHAR
);

CREATE TABLE IF NOT EXISTS ops.fetch_reports (
    run_id        VARCHAR NOT NULL,
    first_session DATE NOT NULL,
    last_session  DATE NOT NULL,
    provider      VARCHAR NOT NULL,
    requested     INTEGER NOT NULL,
    fetched       INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    rows          BIGINT NOT NULL,
    refetched     INTEGER NOT NULL DEFAULT 0,
    latency_p50_ms DOUBLE,
    latency_p95_ms DOUBLE,
    failures_by_code VARCHAR,                -- JSON object code -> count
    seconds       DOUBLE,
    recorded_at   TIMESTAMP NOT NULL
);
-- Per-proxy figures of the run (JSON list: proxy host:port, requests, ok, throttled, timeouts,
-- errors, success_share, evictions, state); NULL when no proxy is configured.
ALTER TABLE ops.fetch_reports ADD COLUMN IF NOT EXISTS proxies VARCHAR;

-- Quality: one row per failing row per check (resolved by a later passing run), and one
-- row per partition per check.
CREATE TABLE IF NOT EXISTS qa.failures (
    check_name    VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL,          -- ERROR | WARN | INFO
    date          DATE,
    symbol        VARCHAR,
    value         DOUBLE,
    threshold     DOUBLE,
    details       VARCHAR,
    run_id        VARCHAR,
    first_seen    TIMESTAMP NOT NULL,
    resolved      BOOLEAN NOT NULL DEFAULT FALSE,
    resolved_at   TIMESTAMP
);
-- The market a symbol-less failure is about (market_freshness: a market behind its calendar).
ALTER TABLE qa.failures ADD COLUMN IF NOT EXISTS market VARCHAR;

CREATE TABLE IF NOT EXISTS qa.summary (
    date          DATE NOT NULL,
    check_name    VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL,
    passed        BOOLEAN NOT NULL,
    failed_rows   BIGINT NOT NULL,
    run_id        VARCHAR,
    checked_at    TIMESTAMP NOT NULL
);

-- The per-market breakdown of qa.summary (ADR 0019): for each checked day and check, the open
-- failures of each market's symbols (market = universe.tickers.calendar; XNYS when unknown) and
-- the failures about a market itself (qa.failures.market: market_freshness). Other failures
-- without a symbol (schema, fetch_errors) stay in qa.summary only.
CREATE OR REPLACE VIEW qa.summary_by_market AS
WITH markets AS (
    SELECT DISTINCT coalesce(calendar, 'XNYS') AS market FROM universe.tickers
), open_failures AS (
    SELECT f.date, f.check_name, coalesce(f.market, t.calendar, 'XNYS') AS market, count(*) AS failed_rows
    FROM qa.failures f LEFT JOIN universe.tickers t ON t.yahoo_symbol = f.symbol
    WHERE NOT f.resolved AND (f.symbol IS NOT NULL OR f.market IS NOT NULL)
    GROUP BY ALL
)
SELECT s.date, m.market, s.check_name, s.severity,
       coalesce(o.failed_rows, 0) = 0 AS passed, coalesce(o.failed_rows, 0) AS failed_rows, s.checked_at
FROM qa.summary s CROSS JOIN markets m
LEFT JOIN open_failures o ON o.date = s.date AND o.check_name = s.check_name AND o.market = m.market;

-- Dashboard: one row per as-of session per KPI.
CREATE TABLE IF NOT EXISTS dashboard.kpis (
    as_of         DATE NOT NULL,
    kpi           VARCHAR NOT NULL,
    value         DOUBLE NOT NULL,
    status        VARCHAR NOT NULL,          -- green | yellow | red
    yellow_at     DOUBLE,
    red_at        DOUBLE,
    run_id        VARCHAR,
    computed_at   TIMESTAMP NOT NULL
);

-- prices.intraday_quotes (intraday snapshots until issue 16) is no longer created: quote_snapshots
-- replaced it (ADR 0016). A warehouse that has it keeps it untouched; DROP it to reclaim the space.

-- The newest quote snapshot of each symbol (quote_snapshots, storage/quote_store.py): price and
-- fundamentals; the same columns as the view prices.quote_snapshots over the lake.
CREATE TABLE IF NOT EXISTS universe.fundamentals (
    snapshot_at    TIMESTAMP NOT NULL,       -- UTC, when the snapshot was taken
    symbol         VARCHAR NOT NULL,
    price          DOUBLE NOT NULL,          -- in `currency` as quoted (GBp: pence)
    change         DOUBLE,
    change_pct     DOUBLE,                   -- percent
    volume         BIGINT,
    day_high       DOUBLE,
    day_low        DOUBLE,
    bid            DOUBLE,
    ask            DOUBLE,
    market_cap     BIGINT,
    pe_trailing    DOUBLE,
    pe_forward     DOUBLE,
    eps_trailing   DOUBLE,
    dividend_yield DOUBLE,                   -- percent
    book_value     DOUBLE,
    week52_high    DOUBLE,
    week52_low     DOUBLE,
    avg_volume_3m  BIGINT,
    market_state   VARCHAR,                  -- Yahoo's marketState: PRE, REGULAR, POST, POSTPOST, CLOSED, ...
    quote_time     TIMESTAMP NOT NULL,       -- UTC, Yahoo's regularMarketTime
    currency       VARCHAR NOT NULL
);
