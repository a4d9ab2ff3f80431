"""Small inline SVG charts for evidence, drawn on the trusted side from numbers only.

A check adds a chart to its evidence with `grader.verify.toolkit.bar_chart`:
`{"kind": "bars", "title": ..., "unit": ..., "bars": [{"label", "value"}], "band": [lo, hi]}`
where `band` is the accepted range (drawn shaded; bars outside it are red).
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

WIDTH, LABEL_W, VALUE_W, ROW_H, TOP = 520, 130, 70, 20, 22


def _num(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def bar_chart_svg(chart: dict) -> Markup:
    bars = [(str(b.get("label", "")), _num(b.get("value"))) for b in chart.get("bars", []) if isinstance(b, dict)]
    bars = [(label, value) for label, value in bars if value is not None][:40]
    if not bars:
        return Markup("")
    band = chart.get("band")
    band = [_num(band[0]), _num(band[1])] if isinstance(band, (list, tuple)) and len(band) == 2 else None
    points = [v for _, v in bars] + [0.0] + ([x for x in band if x is not None] if band else [])
    lo, hi = min(points), max(points)
    if hi == lo:
        hi = lo + 1.0
    plot_w = WIDTH - LABEL_W - VALUE_W

    def x(v: float) -> float:
        return LABEL_W + (v - lo) / (hi - lo) * plot_w

    height = TOP + ROW_H * len(bars) + 6
    unit = str(chart.get("unit", ""))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" '
             f'aria-label="{escape(chart.get("title", "chart"))}">',
             f'<text x="0" y="13" font-weight="600">{escape(chart.get("title", ""))}</text>']
    if band and None not in band:
        parts.append(f'<rect x="{x(band[0]):.1f}" y="{TOP - 4}" width="{max(1.0, x(band[1]) - x(band[0])):.1f}" '
                     f'height="{ROW_H * len(bars) + 4}" fill="#dafbe1"/>')
    zero = x(0.0)
    parts.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{TOP - 4}" y2="{height - 2}" stroke="#8c959f"/>')
    for i, (label, value) in enumerate(bars):
        y = TOP + i * ROW_H
        inside = band is None or None in band or band[0] <= value <= band[1]
        left, right = sorted((zero, x(value)))
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 13}" text-anchor="end">{escape(label[:24])}</text>')
        parts.append(f'<rect x="{left:.1f}" y="{y + 3}" width="{max(1.0, right - left):.1f}" height="{ROW_H - 6}" '
                     f'fill="{"#1a7f37" if inside else "#cf222e"}"/>')
        parts.append(f'<text x="{WIDTH - VALUE_W + 6}" y="{y + 13}">{value:.4g}{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
