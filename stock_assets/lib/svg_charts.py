"""Chart geometry for inline SVG: scales, bars, polylines and ticks, with no drawing code.

Why geometry only: the dashboard must work from file:// with no CDN, so charts are inline
SVG; the Jinja templates draw the shapes these functions place, and the arithmetic (which
is where charts go wrong) is tested here without a browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 560, 220
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 10, 10, 34


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    label: str
    series: int


@dataclass(frozen=True)
class Tick:
    position: float  # y for value ticks, x for category labels
    label: str


@dataclass
class Chart:
    """Everything a template needs to draw one chart."""

    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    y_ticks: list[Tick]
    x_labels: list[Tick]
    bars: list[Bar] = field(default_factory=list)
    lines: list[tuple[int, str]] = field(default_factory=list)  # (series index, "x,y x,y ...")
    series_names: list[str] = field(default_factory=list)


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above `value` (1 for nothing)."""
    if value <= 0 or math.isnan(value):
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10 ** exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))


def _fmt(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def _frame(labels: list[str], lo: float, hi: float, width: int, height: int, every: int = 1):
    left, right = MARGIN_LEFT, width - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, height - MARGIN_BOTTOM
    span = hi - lo or 1.0
    ticks = [Tick(round(bottom - (bottom - top) * i / 4, 1), _fmt(lo + span * i / 4)) for i in range(5)]
    return left, right, top, bottom, ticks, (lambda v: bottom - (bottom - top) * (v - lo) / span)


def bar_chart(labels: list[str], series: dict[str, list[float]], width: int = WIDTH,
              height: int = HEIGHT) -> Chart:
    """Grouped bars: one group per label, one bar per series, from a zero baseline."""
    names = list(series)
    top_value = nice_max(max((v for values in series.values() for v in values), default=0))
    left, right, top, bottom, ticks, y_of = _frame(labels, 0.0, top_value, width, height)
    group = (right - left) / max(len(labels), 1)
    bar_w = group * 0.8 / max(len(names), 1)
    bars, x_labels = [], []
    for i, label in enumerate(labels):
        x0 = left + group * i + group * 0.1
        x_labels.append(Tick(round(left + group * (i + 0.5), 1), label))
        for s, name in enumerate(names):
            value = float(series[name][i])
            y = y_of(value)
            bars.append(Bar(round(x0 + bar_w * s, 1), round(y, 1), round(bar_w, 1), round(bottom - y, 1),
                            value, label, s))
    return Chart(width, height, left, right, top, bottom, ticks, x_labels, bars=bars, series_names=names)


def line_chart(labels: list[str], series: dict[str, list[float | None]], width: int = WIDTH,
               height: int = HEIGHT, max_labels: int = 6, zero_based: bool = True) -> Chart:
    """One polyline per series over evenly spaced labels; None values break nothing, they are skipped."""
    names = list(series)
    values = [v for vs in series.values() for v in vs if v is not None]
    lo = 0.0 if zero_based or not values else min(values)
    hi = nice_max(max(values, default=0)) if zero_based else (max(values) if values else 1.0)
    if hi <= lo:
        hi = lo + 1.0
    left, right, top, bottom, ticks, y_of = _frame(labels, lo, hi, width, height)
    n = len(labels)
    x_of = (lambda i: left + (right - left) * (i / (n - 1))) if n > 1 else (lambda i: (left + right) / 2)
    lines = []
    for s, name in enumerate(names):
        pts = [f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(series[name]) if v is not None]
        lines.append((s, " ".join(pts)))
    step = max(1, math.ceil(n / max_labels)) if n else 1
    x_labels = [Tick(round(x_of(i), 1), labels[i]) for i in range(0, n, step)]
    return Chart(width, height, left, right, top, bottom, ticks, x_labels, lines=lines, series_names=names)
