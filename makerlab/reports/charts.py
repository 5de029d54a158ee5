"""Small SVG charts for the report: they print sharply and need no JavaScript.

Each function returns a self-contained ``<svg>`` (``Markup``) sized by its
``viewBox``, so it scales to the width of the page in the browser and in
WeasyPrint alike. Text uses the report's font stack.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from markupsafe import Markup

FONT = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"
# Colour-blind-safe palette (Okabe-Ito), one colour per equipment category.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")
INK, MUTED, GRID = "#212529", "#6c757d", "#dee2e6"


def _attr(value: Any) -> str:
    return escape(str(value), {'"': "&quot;"})


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def category_colours(categories: Sequence[str]) -> dict[str, str]:
    """A stable colour per category, in the order given."""
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(dict.fromkeys(categories))}


def utilization_bars(units: Sequence[dict[str, Any]], *, title: str,
                     category_labels: dict[str, str], empty_text: str,
                     percent: Any = None) -> Markup:
    """Columns of utilization per unit, coloured by category, with a 100 % line.

    Loans can exceed 100 %; the scale then grows and those columns are marked.

    Not split: one SVG drawn top to bottom (axes, bars, labels), each step
    a few lines that read best in drawing order.
    """
    width, left, right, top = 720.0, 38.0, 8.0, 30.0
    n = len(units)
    rotate = n > 10
    longest = max((len(u["name"]) for u in units), default=0)
    label_h = min(84.0, 8 + 4.2 * min(longest, 22)) if rotate else 22.0
    plot_h = 120.0
    height = top + plot_h + label_h + 4
    colours = category_colours([u["category"] for u in units])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'class="chart chart-bars" role="img" aria-label="{_attr(title)}" '
             f'font-family="{_attr(FONT)}" font-size="10">',
             f"<title>{escape(title)}</title>"]
    if n == 0:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
                     f'fill="{MUTED}">{escape(empty_text)}</text></svg>')
        return Markup("".join(parts))  # noqa: S704 - every text above is escaped
    top_value = max(1.0, max(u["utilization"] for u in units))
    scale_max = math.ceil(top_value * 4) / 4
    plot_w = width - left - right

    def y(value: float) -> float:
        return top + plot_h * (1 - min(value, scale_max) / scale_max)

    step = 0.25 if scale_max <= 1.5 else 0.5
    tick = 0.0
    while tick <= scale_max + 1e-9:
        yy = y(tick)
        strong = abs(tick - 1.0) < 1e-9
        dash = "" if strong else ' stroke-dasharray="3 2"'
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" '
                     f'stroke="{INK if strong else GRID}" stroke-width="{1 if strong else 0.6}"'
                     f"{dash}/>")
        parts.append(f'<text x="{left - 4}" y="{yy + 3:.1f}" text-anchor="end" fill="{MUTED}">'
                     f'{int(round(tick * 100))}\u202f%</text>')
        tick += step
    slot = plot_w / n
    bar_w = max(2.0, min(44.0, slot * 0.72))
    for i, unit in enumerate(units):
        cx = left + slot * (i + 0.5)
        value = unit["utilization"]
        yy = y(value)
        parts.append(
            f'<rect x="{cx - bar_w / 2:.1f}" y="{yy:.1f}" width="{bar_w:.1f}" '
            f'height="{top + plot_h - yy:.1f}" fill="{colours[unit["category"]]}">'
            f'<title>{escape(unit["name"])}: {_fmt(value * 100)} %</title></rect>'
        )
        if n <= 24:
            shown = percent(value) if percent else f"{_fmt(value * 100)} %"
            parts.append(f'<text x="{cx:.1f}" y="{yy - 3:.1f}" text-anchor="middle" '
                         f'font-size="{8 if n > 12 else 9}" fill="{INK}">{escape(shown)}</text>')
        name = unit["name"] if len(unit["name"]) <= 24 else unit["name"][:23] + "…"
        base = top + plot_h + 10
        if rotate:
            parts.append(f'<text transform="translate({cx + 3:.1f},{base - 2:.1f}) rotate(-50)" '
                         f'text-anchor="end" font-size="{7.5 if n > 30 else 8.5}" '
                         f'fill="{INK}">{escape(name)}</text>')
        else:
            limit = max(4, int(slot / 5.6))
            short = name if len(name) <= limit else name[: limit - 1] + "…"
            parts.append(f'<text x="{cx:.1f}" y="{base + 2:.1f}" text-anchor="middle" '
                         f'fill="{INK}">{escape(short)}</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
                 f'y2="{top + plot_h}" stroke="{INK}" stroke-width="1"/>')
    parts.append(_legend(colours, category_labels, left))  # one swatch per category, on top
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def _ramp(fraction: float) -> str:
    """Light to dark blue; ``fraction`` in 0..1."""
    lo, hi = (232, 241, 251), (8, 69, 148)
    f = max(0.0, min(1.0, fraction)) ** 0.75
    r, g, b = (round(a + (c - a) * f) for a, c in zip(lo, hi, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def weekday_hour_heatmap(heatmap: dict[str, Any], *, title: str, weekday_labels: Sequence[str],
                         closed_label: str, scale_label: str, decimal: str = ".") -> Markup:
    """Units in use on average per local weekday and hour, as a grid of cells.

    Cells outside opening hours are hatched grey; the darker a cell, the more
    units were in use (the scale shows the busiest hour's average number of
    units in use). Cell values are in tooltips only: a number in each of
    168 cells made the chart busy and slowed the PDF down.

    Not split: one SVG drawn top to bottom (labels, cells, scale), each step
    a few lines that read best in drawing order.
    """
    capacity: list[list[int]] = heatmap["capacity_minutes"]
    # Average units in use: booked minutes per occurrence of the weekday-hour
    # (once a week, so a week shows the week itself; a year, its average).
    times = heatmap.get("occurrences") or [[1] * 24 for _day in range(7)]
    booked = [[heatmap["booked_minutes"][d][h] / max(times[d][h], 1) for h in range(24)]
              for d in range(7)]
    used_hours = [h for h in range(24) if any(booked[d][h] or capacity[d][h] for d in range(7))]
    first, last = (min(used_hours), max(used_hours)) if used_hours else (8, 19)
    hours = list(range(first, last + 1))
    width, left, top = 720.0, 34.0, 16.0
    cell_w = (width - left - 2) / len(hours)
    cell_h = 17.0
    legend_y = top + 7 * cell_h + 10
    height = legend_y + 16
    peak = max((v for day in booked for v in day), default=0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'class="chart chart-heatmap" role="img" aria-label="{_attr(title)}" '
             f'font-family="{_attr(FONT)}" font-size="9">',
             f"<title>{escape(title)}</title>",
             '<defs><pattern id="closed" width="4" height="4" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><rect width="4" height="4" fill="#f1f3f5"/>'
             '<line x1="0" y1="0" x2="0" y2="4" stroke="#ced4da" stroke-width="1.2"/>'
             "</pattern></defs>"]
    for j, hour in enumerate(hours):
        parts.append(f'<text x="{left + cell_w * (j + 0.5):.1f}" y="{top - 5}" '
                     f'text-anchor="middle" fill="{MUTED}">{hour:02d}</text>')
    for d in range(7):
        yy = top + d * cell_h
        parts.append(f'<text x="{left - 5}" y="{yy + cell_h / 2 + 3:.1f}" text-anchor="end" '
                     f'fill="{INK}">{escape(str(weekday_labels[d]))}</text>')
        for j, hour in enumerate(hours):
            x = left + j * cell_w
            minutes = booked[d][hour]
            if minutes:
                fill = _ramp(minutes / peak if peak else 0)
            elif capacity[d][hour]:
                fill = "#ffffff"
            else:
                fill = "url(#closed)"
            tip = (f"{weekday_labels[d]} {hour:02d}–{(hour + 1) % 24:02d}: "
                   f"{_fmt(minutes / 60).replace('.', decimal)}")
            parts.append(f'<rect x="{x:.1f}" y="{yy:.1f}" width="{cell_w:.1f}" height="{cell_h}" '
                         f'fill="{fill}" stroke="#ffffff" stroke-width="1">'
                         f"<title>{escape(tip)}</title></rect>")
    # Legend: closed swatch and the colour scale.
    parts.append(f'<rect x="{left}" y="{legend_y}" width="12" height="10" fill="url(#closed)" '
                 f'stroke="{GRID}"/>')
    parts.append(f'<text x="{left + 16}" y="{legend_y + 8.5}" fill="{MUTED}">'
                 f"{escape(closed_label)}</text>")
    x0 = left + 30 + 5.5 * len(closed_label)
    parts.append(f'<text x="{x0}" y="{legend_y + 8.5}" fill="{MUTED}">'
                 f"{escape(scale_label)}</text>")
    x0 += 10 + 5.2 * len(scale_label)
    for i in range(10):
        parts.append(f'<rect x="{x0 + i * 12:.1f}" y="{legend_y}" width="12" height="10" '
                     f'fill="{_ramp((i + 1) / 10)}"/>')
    peak_text = _fmt(peak / 60).replace(".", decimal) if peak else "0"
    parts.append(f'<text x="{x0 - 3:.1f}" y="{legend_y + 8.5}" text-anchor="end" '
                 f'fill="{MUTED}">0</text>')
    parts.append(f'<text x="{x0 + 124:.1f}" y="{legend_y + 8.5}" fill="{MUTED}">'
                 f"{peak_text}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def month_columns(months: Sequence[dict[str, Any]], *, title: str, month_labels: Sequence[str],
                  category_labels: dict[str, str], hours: Any, empty_text: str) -> Markup:
    """Booked hours per month as columns stacked by category, the total above each."""
    width, left, right, top, plot_h = 720.0, 46.0, 8.0, 30.0, 130.0
    height = top + plot_h + 24
    categories = sorted({c for m in months for c in m["categories"]})
    colours = category_colours(categories)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'class="chart chart-months" role="img" aria-label="{_attr(title)}" '
             f'font-family="{_attr(FONT)}" font-size="10">',
             f"<title>{escape(title)}</title>"]
    peak = max((m["booked_hours"] for m in months), default=0.0)
    if not months or peak <= 0:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
                     f'fill="{MUTED}">{escape(empty_text)}</text></svg>')
        return Markup("".join(parts))  # noqa: S704 - every text above is escaped
    scale = _nice_ceiling(peak)
    for i in range(5):
        value = scale * i / 4
        yy = top + plot_h * (1 - i / 4)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" '
                     f'stroke="{INK if i == 0 else GRID}" stroke-width="{1 if i == 0 else 0.6}"/>')
        parts.append(f'<text x="{left - 4}" y="{yy + 3:.1f}" text-anchor="end" fill="{MUTED}">'
                     f"{escape(hours(value))}</text>")
    slot = (width - left - right) / len(months)
    bar_w = max(3.0, min(40.0, slot * 0.7))
    for i, month in enumerate(months):
        cx = left + slot * (i + 0.5)
        base = top + plot_h
        for category in categories:
            value = month["categories"].get(category, {}).get("booked_hours", 0.0)
            if value <= 0:
                continue
            h = plot_h * value / scale
            parts.append(f'<rect x="{cx - bar_w / 2:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{colours[category]}"><title>'
                         f'{escape(month_labels[i])}, {escape(category_labels[category])}: '
                         f"{escape(hours(value))}</title></rect>")
            base -= h
        if len(months) <= 24 and month["booked_hours"] > 0:
            total = escape(hours(month["booked_hours"]))
            parts.append(f'<text x="{cx:.1f}" y="{base - 3:.1f}" text-anchor="middle" '
                         f'font-size="8" fill="{INK}">{total}</text>')
        if len(months) <= 24 or i % 3 == 0:
            parts.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14:.1f}" text-anchor="middle" '
                         f'fill="{INK}">{escape(month_labels[i])}</text>')
    parts.append(_legend(colours, category_labels, left))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def category_bars(categories: Sequence[dict[str, Any]], *, title: str,
                  category_labels: dict[str, str], hours: Any, percent: Any,
                  empty_text: str) -> Markup:
    """One horizontal bar of booked hours per category, with its utilization."""
    width, left, right, row_h, top = 720.0, 150.0, 130.0, 20.0, 6.0
    height = top + row_h * max(len(categories), 1) + 6
    colours = category_colours([c["category"] for c in categories])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'class="chart chart-categories" role="img" aria-label="{_attr(title)}" '
             f'font-family="{_attr(FONT)}" font-size="10">',
             f"<title>{escape(title)}</title>"]
    peak = max((c["booked_hours"] for c in categories), default=0.0)
    if not categories:
        parts.append(f'<text x="{width / 2}" y="{height / 2 + 3}" text-anchor="middle" '
                     f'fill="{MUTED}">{escape(empty_text)}</text></svg>')
        return Markup("".join(parts))  # noqa: S704 - every text above is escaped
    plot_w = width - left - right
    for i, cat in enumerate(categories):
        yy = top + i * row_h
        label = category_labels[cat["category"]]
        w = plot_w * cat["booked_hours"] / peak if peak else 0.0
        parts.append(f'<text x="{left - 6}" y="{yy + 13:.1f}" text-anchor="end" fill="{INK}">'
                     f"{escape(label)}</text>")
        parts.append(f'<rect x="{left}" y="{yy + 3:.1f}" width="{max(w, 0.5):.1f}" '
                     f'height="{row_h - 6:.1f}" fill="{colours[cat["category"]]}"/>')
        parts.append(f'<text x="{left + w + 5:.1f}" y="{yy + 13:.1f}" fill="{INK}">'
                     f'{escape(hours(cat["booked_hours"]))} · {escape(percent(cat["utilization"]))}'
                     "</text>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten at or above ``value``."""
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def _legend(colours: dict[str, str], category_labels: dict[str, str], x: float) -> str:
    parts = []
    for category, colour in colours.items():
        label = str(category_labels.get(category, category))
        parts.append(f'<rect x="{x:.1f}" y="6" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="15" fill="{INK}">{escape(label)}</text>')
        x += 24 + 6.2 * len(label)
    return "".join(parts)
