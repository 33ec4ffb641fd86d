"""Render the dashboard page: a snapshot and the KPI rows in, one self-contained HTML string out.

Why Jinja2 templates with autoescaping: symbols, names and error messages come from outside
(listings, Yahoo); the templates escape them, and the charts are inline SVG placed by
lib/svg_charts.py, so the page needs nothing but itself (no CDN, works from file://).
"""

from __future__ import annotations

import datetime as dt

import jinja2
import polars as pl

from stock_assets.defs.dashboard.snapshot import Snapshot
from stock_assets.lib import calendar, dashboard_metrics as metrics, kpis, svg_charts

PANELS = (
    ("universe", "Universe health"),
    ("timeliness", "Data timeliness"),
    ("completeness", "Completeness & integrity"),
    ("quality", "Volume & price quality"),
    ("fetch", "Fetch errors & API health"),
    ("drilldown", "Symbol drill-down"),
)
BEHIND_EDGES = [0, 1, 2, 3, 5, 10, 20]
MAX_TABLE_ROWS = 200
DRILLDOWN_WIDTH, DRILLDOWN_HEIGHT = 900, 260


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("stock_assets.defs.dashboard", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = cell
    return env


def cell(value, empty: str = "") -> str:
    """A table cell: None as `empty`, floats short, booleans as yes/no."""
    if value is None:
        return empty
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if value == value else empty
    return str(value)


def render(snap: Snapshot, kpi_rows: pl.DataFrame, history: pl.DataFrame, run_id: str,
           built_at: dt.datetime, drill_symbols: list[str], intraday: pl.DataFrame | None = None) -> str:
    return environment().get_template("index.html.j2").render(
        **page_context(snap, kpi_rows, history, run_id, built_at, drill_symbols, intraday)
    )


def drilldown_symbols(snap: Snapshot, limit: int) -> list[str]:
    """Symbols worth a look first (flagged by any panel), then active ones, at most `limit`."""
    flagged: list[str] = []
    for frame in (snap.lagging, snap.jumps, snap.missing, snap.zero_volume, snap.errors_last_night,
                  snap.qa_open):
        if "symbol" in frame.columns:
            flagged.extend(s for s in frame["symbol"].to_list() if s)
    ordered = list(dict.fromkeys(flagged + sorted(snap.active)))
    return ordered[:limit]


def _rows(frame: pl.DataFrame, limit: int = MAX_TABLE_ROWS) -> dict:
    return {"columns": frame.columns, "rows": [list(r) for r in frame.head(limit).iter_rows()],
            "total": frame.height}


def _kpi_cards(kpi_rows: pl.DataFrame) -> list[dict]:
    cards = []
    for key, value, status, yellow_at, red_at in kpi_rows.select(
            "kpi", "value", "status", "yellow_at", "red_at").iter_rows():
        spec = kpis.BY_KEY[key]
        cards.append({"key": key, "label": spec.label, "value": int(value), "status": status,
                      "yellow_at": yellow_at, "red_at": red_at, "meaning": spec.meaning,
                      "panel": spec.panel, "direction": spec.default.direction})
    return cards


def page_context(snap: Snapshot, kpi_rows: pl.DataFrame, history: pl.DataFrame, run_id: str,
                 built_at: dt.datetime, drill_symbols: list[str], intraday: pl.DataFrame | None = None) -> dict:
    monthly = metrics.monthly_changes(snap.changes, snap.as_of)
    behind = snap.behind["sessions_behind"].to_list()
    hist = metrics.histogram(behind, BEHIND_EDGES)
    sessions = calendar.sessions_between(snap.window_start, snap.as_of)
    errors = dict(snap.errors_daily.select("date", "errors").iter_rows())
    latency = {d: (p50, p95) for d, p50, p95 in snap.latency_daily.select("date", "p50_ms", "p95_ms").iter_rows()}
    labels = [d.strftime("%m-%d") for d in sessions]
    missing_per_symbol = (snap.missing.group_by("symbol")
                          .agg(missing=pl.len().cast(pl.Int64), first=pl.col("date").min(), last=pl.col("date").max())
                          .sort("missing", "symbol", descending=[True, False]))
    return {
        "as_of": snap.as_of.isoformat(),
        "run_id": run_id,
        "built_at": built_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "window_days": snap.rules.window_days,
        "max_behind": snap.rules.max_behind,
        "jump_threshold_pct": round(snap.rules.jump_threshold * 100, 1),
        "worst": kpis.worst(kpi_rows["status"].to_list()),
        "kpis": _kpi_cards(kpi_rows),
        "panels": PANELS,
        "universe_chart": svg_charts.bar_chart(monthly["month"].to_list(),
                                               {"new": monthly["new"].to_list(),
                                                "delisted": monthly["delisted"].to_list()}),
        "changes": _rows(snap.changes),
        "behind_chart": svg_charts.bar_chart([label for label, _ in hist], {"symbols": [n for _, n in hist]}),
        "lagging": _rows(snap.lagging),
        "markets": _rows(snap.markets),
        "missing": _rows(missing_per_symbol),
        "nulls": _rows(snap.nulls),
        "qa_summary": _rows(snap.qa_summary),
        "qa_open": _rows(snap.qa_open),
        "zero_volume": _rows(snap.zero_volume),
        "jumps": _rows(snap.jumps.select("symbol", "date", "prev_close", "close", "move_pct",
                                         "split_ratio", "explained")),
        "errors_by_code": _rows(snap.errors_by_code),
        "errors_last_night": _rows(snap.errors_last_night),
        "errors_chart": svg_charts.line_chart(labels, {"errors": [errors.get(d, 0) for d in sessions]}),
        "latency_chart": svg_charts.line_chart(
            labels, {"p50 ms": [latency.get(d, (None, None))[0] for d in sessions],
                     "p95 ms": [latency.get(d, (None, None))[1] for d in sessions]}),
        "has_latency": any(v is not None for pair in latency.values() for v in pair),
        "drilldown": _drilldown(snap, history, drill_symbols, intraday),
    }


def _intraday_chart(frame: pl.DataFrame | None) -> dict | None:
    """The symbol's last intraday session (5m closes, New York-free UTC labels) as a polyline."""
    if frame is None or not frame.height:
        return None
    chart = svg_charts.line_chart([t.strftime("%H:%M") for t in frame["ts"].to_list()],
                                  {"close": frame["close"].to_list()}, width=DRILLDOWN_WIDTH,
                                  height=DRILLDOWN_HEIGHT, zero_based=False)
    return {"session": frame["session"][0].isoformat(), "bars": frame.height, "points": chart.lines[0][1],
            "y_ticks": [[t.position, t.label] for t in chart.y_ticks],
            "x_labels": [[t.position, t.label] for t in chart.x_labels]}


def _drilldown(snap: Snapshot, history: pl.DataFrame, symbols: list[str],
               intraday: pl.DataFrame | None = None) -> dict:
    """Per symbol: the polyline of its last year of closes, of its last intraday session (when
    it is on the intraday watchlist), and its open QA failures."""
    by_symbol = {s: frame for (s,), frame in history.partition_by("symbol", as_dict=True).items()} \
        if history.height else {}
    minutes = {s: frame for (s,), frame in intraday.partition_by("symbol", as_dict=True).items()} \
        if intraday is not None and intraday.height else {}
    failures = snap.qa_open
    data = {}
    for symbol in symbols:
        frame = by_symbol.get(symbol)
        chart = None
        if frame is not None and frame.height:
            chart = svg_charts.line_chart(
                [d.isoformat() for d in frame["date"].to_list()], {"close": frame["close"].to_list()},
                width=DRILLDOWN_WIDTH, height=DRILLDOWN_HEIGHT, zero_based=False,
            )
        own = failures.filter(pl.col("symbol") == symbol) if failures.height else failures
        flags = [name for name, frame_ in (("lagging", snap.lagging), ("missing dates", snap.missing),
                                            ("price jump", snap.jumps), ("zero volume", snap.zero_volume),
                                            ("fetch error", snap.errors_last_night))
                 if frame_.height and symbol in set(frame_["symbol"].to_list())]
        data[symbol] = {
            "points": chart.lines[0][1] if chart else "",
            "y_ticks": [[t.position, t.label] for t in chart.y_ticks] if chart else [],
            "x_labels": [[t.position, t.label] for t in chart.x_labels] if chart else [],
            "bars": frame.height if frame is not None else 0,
            "last_close": float(frame["close"][-1]) if frame is not None and frame.height else None,
            "flags": flags,
            "intraday": _intraday_chart(minutes.get(symbol)),
            "failures": [[str(c) if c is not None else "" for c in row]
                         for row in own.select("check_name", "severity", "date", "details").head(50).iter_rows()],
        }
    return {"symbols": symbols, "data": data, "width": DRILLDOWN_WIDTH, "height": DRILLDOWN_HEIGHT,
            "first": symbols[0] if symbols else None}
