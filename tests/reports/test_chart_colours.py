"""One colour per metric in every chart (issue 17: 入住率 was blue in one chart and green in the next).

The dashboard's charts are drawn by static/js/reports.js; every series of a metric names that metric's
colour, so no chart falls back to ECharts' palette order (which gave each chart's first series blue)."""

from __future__ import annotations

import re

from base_ops.config import PROJECT_ROOT

SOURCE = (PROJECT_ROOT / "static" / "js" / "reports.js").read_text(encoding="utf-8")


def test_every_series_of_a_metric_has_that_metrics_colour():
    series = re.findall(r"\{\s*name:\s*\w+\.dataset\.series(\w+),(.*?)data:", SOURCE, flags=re.S)
    metrics = {"Occupancy": "occupancy", "Placement": "placement", "Count": "claims"}
    assert {name for name, _rest in series} == set(metrics), series
    for name, rest in series:
        colours = set(re.findall(r"color:\s*COLOURS\.(\w+)", rest))
        assert colours == {metrics[name]}, (name, rest)
    assert len([n for n, _r in series if n == "Occupancy"]) == 2  # the trend and the units chart
