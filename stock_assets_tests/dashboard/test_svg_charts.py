"""The dashboard's charts as a person sees them: lib/svg_charts.py geometry drawn by the real
macros (templates/macros.html.j2), parsed as XML. Which bar is tallest, which point highest,
what the axes say and where, and that nothing is drawn outside the picture."""

import math
import re
import xml.etree.ElementTree as ET

import pytest

from stock_assets.defs.dashboard.render import environment
from stock_assets.lib import svg_charts


def draw(kind: str, chart: svg_charts.Chart) -> ET.Element:
    macros = environment().get_template("macros.html.j2").module
    return ET.fromstring(str(getattr(macros, kind)(chart, "a chart")))


def y_axis(svg: ET.Element) -> list[tuple[float, str]]:
    """(y, label) of the value ticks, top of the picture first."""
    return sorted((float(t.get("y")), t.text) for t in svg.iter("text") if t.get("text-anchor") == "end")


def x_axis(svg: ET.Element) -> list[tuple[float, str]]:
    """(x, label) of the category labels, left first."""
    return sorted((float(t.get("x")), t.text) for t in svg.iter("text") if t.get("text-anchor") == "middle")


def polyline(svg: ET.Element, series: int = 0) -> list[tuple[float, float]]:
    line = next(p for p in svg.iter("polyline") if f"l{series}" in p.get("class").split())
    return [tuple(map(float, p.split(","))) for p in line.get("points").split()]


def inside_the_picture(svg: ET.Element) -> None:
    width, height = map(float, svg.get("viewBox").split()[2:])
    for el in svg.iter():
        for name in ("x", "x1", "x2"):
            if el.get(name) is not None:
                assert 0 <= float(el.get(name)) <= width, (el.tag, name, el.get(name))
        for name in ("y", "y1", "y2"):
            if el.get(name) is not None:
                assert 0 <= float(el.get(name)) <= height, (el.tag, name, el.get(name))
        if el.tag == "rect" and el.get("height") is not None:
            assert float(el.get("y")) + float(el.get("height")) <= height


def test_bar_chart_tallest_bar_is_the_biggest_value_with_labelled_axes_and_series_colours():
    chart = svg_charts.bar_chart(["Jan", "Feb", "Mar"], {"new": [2.2, 0.0, 1.3], "delisted": [0.4, 1.9, 0.0]})
    svg = draw("bar_chart", chart)
    inside_the_picture(svg)
    bars = [(r.find("title").text, r) for r in svg.iter("rect") if r.find("title") is not None]
    assert [t for t, _ in bars] == ["Jan new: 2.2", "Jan delisted: 0.4", "Feb new: 0", "Feb delisted: 1.9",
                                    "Mar new: 1.3", "Mar delisted: 0"]
    assert [r.get("class") for _, r in bars] == ["s0", "s1"] * 3  # one colour per series
    tops = {t: float(r.get("y")) for t, r in bars}
    heights = {t: float(r.get("height")) for t, r in bars}
    assert min(tops, key=tops.get) == "Jan new: 2.2"  # the biggest value reaches highest
    assert heights["Feb new: 0"] == 0 and heights["Jan new: 2.2"] > heights["Feb delisted: 1.9"] > heights["Jan delisted: 0.4"]
    # the axis runs 0..2.5 (nice_max of 2.2): bars are as tall as their value on it
    (top_y, top_label), (bottom_y, bottom_label) = y_axis(svg)[0], y_axis(svg)[-1]
    assert [label for _, label in y_axis(svg)] == ["2.5", "1.88", "1.25", "0.62", "0"]
    per_unit = (bottom_y - top_y) / 2.5
    for title, h in heights.items():
        assert h == pytest.approx(float(title.split(": ")[1]) * per_unit, abs=0.15)
    # bars stand on the axis line, grouped left to right under their month's label, in series order
    axis = next(ln for ln in svg.iter("line") if ln.get("class") == "axis")
    for _, r in bars:
        assert float(r.get("y")) + float(r.get("height")) == pytest.approx(float(axis.get("y1")), abs=0.15)
    xs = [float(r.get("x")) for _, r in bars]
    assert xs == sorted(xs) and len(set(xs)) == 6
    assert [label for _, label in x_axis(svg)] == ["Jan", "Feb", "Mar"]
    for (x, label) in x_axis(svg):
        group = [r for t, r in bars if t.startswith(label)]
        left = float(group[0].get("x"))
        right = float(group[-1].get("x")) + float(group[-1].get("width"))
        assert x == pytest.approx((left + right) / 2, abs=0.2)  # centred under its bars
    # coordinates are written to a tenth of a pixel (the page stays small and diffs stay stable)
    for _, r in bars:
        for name in ("x", "y", "width", "height"):
            assert re.fullmatch(r"-?\d+(\.\d)?", r.get(name)), (name, r.get(name))
    legend = [t.text for t in svg.iter("text") if t.get("text-anchor") is None]
    assert legend == ["new", "delisted"]


def test_an_axis_reaching_a_thousand_says_1k():
    svg = draw("bar_chart", svg_charts.bar_chart(["x"], {"runs": [1000]}))
    assert [label for _, label in y_axis(svg)] == ["1k", "750", "500", "250", "0"]


def test_line_chart_points_run_left_to_right_and_the_highest_value_is_highest():
    labels = [f"d{i}" for i in range(12)]
    values = [2.0, 4.0, 3.0, None, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 3.5]
    svg = draw("line_chart", svg_charts.line_chart(labels, {"errors": values, "other": [1.0] * 12}))
    inside_the_picture(svg)
    points = polyline(svg, 0)
    assert len(points) == 11  # the None is skipped, not drawn as zero
    assert [x for x, _ in points] == sorted(x for x, _ in points)
    assert min(points, key=lambda p: p[1]) == points[1]  # 4.0 is the highest point on the page
    assert max(points, key=lambda p: p[1]) == points[3]  # 1.0 (the 5th label) the lowest
    # zero-based by default: the axis says 0..5 and a value sits at its height on it
    ticks = y_axis(svg)
    assert [label for _, label in ticks] == ["5", "3.75", "2.5", "1.25", "0"]
    zero_y, five_y = ticks[-1][0] - 3, ticks[0][0] - 3  # the label sits 3 px below its grid line
    assert points[0][1] == pytest.approx(zero_y - (zero_y - five_y) * 2 / 5, abs=0.1)
    # at most 6 labels: every second day, starting at the first, each over its point
    xl = x_axis(svg)
    assert [label for _, label in xl] == ["d0", "d2", "d4", "d6", "d8", "d10"]
    assert xl[0][0] == pytest.approx(points[0][0], abs=0.1) and xl[2][0] == pytest.approx(points[3][0], abs=0.1)
    assert [p.get("class") for p in svg.iter("polyline")] == ["line l0", "line l1"]


def test_a_line_chart_with_no_values_yet_draws_empty_axes():
    for zero_based in (True, False):
        chart = svg_charts.line_chart(["2024-06-03"], {"p50": [None]}, zero_based=zero_based)
        svg = draw("line_chart", chart)
        inside_the_picture(svg)
        assert svg.find("polyline").get("points") == ""
        assert [label for _, label in y_axis(svg)] == ["1", "0.75", "0.5", "0.25", "0"]
        assert [label for _, label in x_axis(svg)] == ["2024-06-03"]
    svg = draw("bar_chart", svg_charts.bar_chart([], {"new": []}))
    assert [r for r in svg.iter("rect") if r.find("title") is not None] == []
    assert [label for _, label in y_axis(svg)][-1] == "0"


def test_the_top_of_the_axis_is_never_below_the_data():
    for value in (1e-320, 1e-300, 0.0007, 0.3, 0.9999999999999999, 1, 7.3, 99.5, 1e6 + 1, 1e300):
        top = svg_charts.nice_max(value)
        assert value <= top <= 10 * value and math.isfinite(top), value
