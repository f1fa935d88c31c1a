"""The report's charts as inline SVG, drawn in Python: no JavaScript, nothing fetched.

    forest_plot(rows, ...)   one row per finding: ratio, interval, thresholds, log-scale x
    ecdf_chart(curves, ...)  one line per group: the latency ECDF, log-scale x

Every element goes through `element`, which escapes attribute values and text, so a caller's
group name can never become markup. Text shown is also `visible`: control characters replaced
and wrapped in a bidi isolate (a right-to-left override in a name cannot reorder the chart).
Status is shown by colour *and* marker shape (STATUS_STYLE), for readers who cannot tell the
colours apart and for grey-scale print.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# colour, marker shape; the same pairs in the findings table and the legend.
STATUS_STYLE = {
    "confirmed": ("#b42318", "diamond"),
    "warning": ("#b54708", "triangle"),
    "insufficient_data": ("#4e5ba6", "ring"),
    "excluded": ("#8a94a6", "cross"),
    "ok": ("#067647", "circle"),
}
# Okabe & Ito's colour-blind safe palette (yellow left out: unreadable on white), cycled with dashes.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C564B")
DASHES = ("", "7 3", "2 2.5", "9 3 2 3")
INK, MUTED, GRID, BAND = "#1d2939", "#667085", "#d0d5dd", "#f5f7fa"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_ISOLATE = re.compile(r"[\u2066-\u2069\u202a-\u202e]")  # embeddings, overrides, isolates


def element(tag: str, attrs: dict[str, object] | None = None, *children: object) -> Markup:
    """`<tag attr="…">children</tag>`; strings among the children are escaped, Markup kept."""
    rendered = "".join(f' {name.replace("_", "-")}="{escape(_attribute(value))}"'
                       for name, value in (attrs or {}).items() if value is not None)
    inner = "".join(str(child) if isinstance(child, Markup) else str(escape(str(child))) for child in children)
    return Markup(f"<{tag}{rendered}>{inner}</{tag}>")


def _attribute(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def visible(text: str, limit: int | None = None) -> str:
    """Caller text as a chart shows it: controls replaced, shortened to `limit`, bidi-isolated."""
    cleaned = _ISOLATE.sub("", _CONTROL.sub("\ufffd", text))
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return f"\u2068{cleaned}\u2069"


@dataclass(frozen=True)
class LogScale:
    """Data in [low, high] onto pixels [left, right], logarithmically."""

    low: float
    high: float
    left: float
    right: float

    def __call__(self, value: float) -> float:
        value = min(max(value, self.low), self.high)
        share = (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return self.left + share * (self.right - self.left)

    def ticks(self, candidates: Sequence[float]) -> list[float]:
        return [t for t in candidates if self.low <= t <= self.high]


def marker(status: str, x: float, y: float, size: float = 5.0) -> Markup:
    colour, shape = STATUS_STYLE[status]
    s = size
    if shape == "diamond":
        return element("path", {"d": f"M{x:.1f},{y - s * 1.25:.1f}L{x + s * 1.25:.1f},{y:.1f}L{x:.1f},"
                                      f"{y + s * 1.25:.1f}L{x - s * 1.25:.1f},{y:.1f}Z", "fill": colour})
    if shape == "triangle":
        return element("path", {"d": f"M{x:.1f},{y - s * 1.2:.1f}L{x + s * 1.15:.1f},{y + s * 0.85:.1f}"
                                      f"L{x - s * 1.15:.1f},{y + s * 0.85:.1f}Z", "fill": colour})
    if shape == "ring":
        return element("circle", {"cx": x, "cy": y, "r": s * 0.9, "fill": "#ffffff", "stroke": colour,
                                  "stroke_width": 2})
    if shape == "cross":
        return element("path", {"d": f"M{x - s:.1f},{y - s:.1f}L{x + s:.1f},{y + s:.1f}M{x - s:.1f},{y + s:.1f}"
                                      f"L{x + s:.1f},{y - s:.1f}", "stroke": colour, "stroke_width": 2.2,
                                 "fill": "none"})
    return element("circle", {"cx": x, "cy": y, "r": s * 0.9, "fill": colour})


# The same shapes as text, for the tables and legends: a glyph costs the PDF far less than an SVG
# per cell (Noto Sans CJK and DejaVu Sans have all five).
GLYPHS = {"diamond": "◆", "triangle": "▲", "ring": "○", "cross": "×", "circle": "●"}


def status_glyph(status: str) -> str:
    return GLYPHS[STATUS_STYLE[status][1]]


# --- forest plot ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ForestRow:
    label: str  # the group compared (caller text: escaped, clipped to the label column)
    ratio: float | None
    low: float | None  # None with a ratio: the interval is unbounded on that side
    high: float | None
    status: str
    note: str  # shown right of the plot: the ratio and interval, or why there is none
    title: str  # the tooltip: the full comparison and reason


@dataclass(frozen=True)
class ForestHeading:
    label: str  # what the rows below compare: the metric and the reference group


RATIO_TICKS = (0.05, 0.1, 0.2, 0.25, 0.5, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0)
ROW, TOP, BOTTOM = 17, 30, 34
LABEL_W, NOTE_W, WIDTH = 300, 150, 940


def text_width(text: str, size: float) -> float:
    """A text's width in px, estimated on the generous side (the chart has no font metrics):
    wide (CJK, fullwidth) characters 1 em, m/w 0.9, capitals 0.7, the rest 0.58."""
    def em(c: str) -> float:
        if ord(c) >= 0x1100 and not 0x2000 <= ord(c) <= 0x206F:
            return 1.0
        return 0.9 if c in "mwMW@" else 0.7 if c.isupper() else 0.58

    return size * sum(em(c) for c in text)


def clip(text: str, width: float, size: float) -> str:
    """`text` shortened with an ellipsis to fit `width` px (estimated) at font `size`."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def forest_plot(rows: Sequence[ForestRow | ForestHeading], *, thresholds: Sequence[tuple[float, str]],
                axis_label: str, font: str, description: str) -> Markup:
    """Rows of ratios with intervals on a log axis, under headings; dashed lines at each threshold,
    solid at 1. Each finding is one `<g class="finding">`."""
    # The axis spans the estimates and thresholds; intervals may widen it at most twofold each way
    # (a longer one ends in an arrow), so one wide interval cannot squash every other row.
    findings = [r for r in rows if isinstance(r, ForestRow)]
    points = [r.ratio for r in findings if r.ratio is not None and r.ratio > 0] + [t for t, _ in thresholds]
    points += [0.5, 2.0]
    ends = [v for r in findings for v in (r.low, r.high) if v is not None and v > 0]
    low = max(min(points + [max(v, min(points) / 2) for v in ends]) / 1.1, 0.05)
    high = min(max(points + [min(v, max(points) * 2) for v in ends]) * 1.1, 20.0)
    scale = LogScale(low, high, LABEL_W + 10, WIDTH - NOTE_W - 10)
    height = TOP + ROW * len(rows) + BOTTOM
    bottom = TOP + ROW * len(rows)
    parts: list[Markup] = []
    for i, row in enumerate(rows):
        y = TOP + ROW * i
        if isinstance(row, ForestHeading):
            parts.append(element("line", {"x1": 0, "y1": y + 0.5, "x2": WIDTH, "y2": y + 0.5, "stroke": GRID,
                                          "stroke_width": 0.8}))
        elif i % 2 == 0:
            parts.append(element("rect", {"x": 0, "y": y, "width": WIDTH, "height": ROW, "fill": BAND}))
    for tick in scale.ticks(RATIO_TICKS):
        x = scale(tick)
        parts.append(element("line", {"x1": x, "y1": TOP - 4, "x2": x, "y2": bottom, "stroke": GRID,
                                      "stroke_width": 0.6}))
        parts.append(element("text", {"x": x, "y": bottom + 14, "text_anchor": "middle", "font_size": 10,
                                      "fill": MUTED}, f"{tick:g}"))
    parts.append(element("line", {"x1": scale(1.0), "y1": TOP - 6, "x2": scale(1.0), "y2": bottom, "stroke": INK,
                                  "stroke_width": 1.1}))
    for k, (value, name) in enumerate(sorted(thresholds)):
        if low <= value <= high:
            x = scale(value)
            parts.append(element("line", {"x1": x, "y1": TOP - 6, "x2": x, "y2": bottom, "stroke": "#98a2b3",
                                          "stroke_width": 1, "stroke_dasharray": "4 3"}))
            parts.append(element("text", {"x": x, "y": TOP - 10 - 9 * (k % 2), "text_anchor": "middle",
                                          "font_size": 9, "fill": MUTED}, name))
    for i, row in enumerate(rows):
        y = TOP + ROW * i + ROW / 2
        if isinstance(row, ForestHeading):
            parts.append(element("text", {"x": 4, "y": y + 4, "font_size": 10.5, "font_weight": "bold",
                                          "fill": INK}, clip(row.label, scale.left - 14, 10.5)))
        else:
            parts.append(_forest_row(row, y, scale))
    parts.append(element("text", {"x": (scale.left + scale.right) / 2, "y": height - 4, "text_anchor": "middle",
                                  "font_size": 10.5, "fill": INK}, axis_label))
    return element("svg", {"class": "chart forest", "xmlns": "http://www.w3.org/2000/svg", "role": "img",
                           "viewBox": f"0 0 {WIDTH} {height}", "width": WIDTH, "height": height, "font_family": font,
                           "aria_label": description}, element("title", {}, description), *parts)


def _forest_row(row: ForestRow, y: float, scale: LogScale) -> Markup:
    colour = STATUS_STYLE[row.status][0]
    parts = [element("title", {}, row.title),
             element("text", {"x": LABEL_W, "y": y + 3.5, "text_anchor": "end", "font_size": 10.5, "fill": INK},
                     visible(clip(row.label, LABEL_W - 24, 10.5))),
             element("text", {"x": WIDTH - NOTE_W + 4, "y": y + 3.5, "font_size": 10, "fill": MUTED},
                     clip(row.note, NOTE_W - 6, 10))]
    if row.ratio is not None:  # a ratio of 0 (no event in the group) sits on the left edge
        left = scale(row.low) if row.low is not None and row.low > 0 else scale.left
        right = scale(row.high) if row.high is not None else scale.right
        parts.append(element("line", {"x1": left, "y1": y, "x2": right, "y2": y, "stroke": colour,
                                      "stroke_width": 1.6}))
        for edge, bounded in ((left, row.low is not None and row.low > scale.low),
                              (right, row.high is not None and row.high < scale.high)):
            if bounded:
                parts.append(element("line", {"x1": edge, "y1": y - 3.5, "x2": edge, "y2": y + 3.5,
                                              "stroke": colour, "stroke_width": 1.4}))
            else:  # off the axis or unbounded: an arrow head says the interval goes on
                d = 1 if edge > scale(1.0) else -1
                parts.append(element("path", {"d": f"M{edge - 5 * d:.1f},{y - 3.5:.1f}L{edge:.1f},{y:.1f}"
                                                   f"L{edge - 5 * d:.1f},{y + 3.5:.1f}", "fill": "none",
                                              "stroke": colour, "stroke_width": 1.4}))
        parts.append(marker(row.status, scale(max(row.ratio, scale.low)), y))
    else:
        parts.append(element("text", {"x": scale(1.0) + 6, "y": y + 3.5, "font_size": 9.5, "fill": MUTED,
                                      "font_style": "italic"}, clip(row.note, 200, 9.5)))
    return element("g", {"class": "finding", "data_status": row.status}, *parts)


# --- ECDF ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Curve:
    label: str  # the group (caller text: escaped and shortened)
    n: int
    quantiles: Sequence[float]  # at probabilities i / (len - 1)


ECDF_W, ECDF_PLOT_H, LEGEND_ROW = 460, 230, 15
MS_TICKS = tuple(m * 10.0 ** e for e in range(-1, 7) for m in (1, 2, 5))


def ecdf_chart(curves: Sequence[Curve], *, title: str, x_label: str, font: str, n_label: str) -> Markup:
    """Each group's ECDF on a log-ms x axis; guides at p50, p90 and p95 (the metrics' points)."""
    positive = [q for c in curves for q in c.quantiles if q > 0]
    low, high = (min(positive), max(positive)) if positive else (1.0, 10.0)
    if high / low < 4:  # a narrow spread still gets a readable axis
        middle = math.sqrt(low * high)
        low, high = middle / 2, middle * 2
    left, right, top = 46, ECDF_W - 12, 26
    bottom = top + ECDF_PLOT_H
    scale = LogScale(low / 1.05, high * 1.05, left, right)

    def y_of(p: float) -> float:
        return bottom - p * ECDF_PLOT_H

    parts: list[Markup] = [element("text", {"x": left, "y": 15, "font_size": 12, "font_weight": "bold",
                                            "fill": INK}, title)]
    for p in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(element("line", {"x1": left, "y1": y_of(p), "x2": right, "y2": y_of(p), "stroke": GRID,
                                      "stroke_width": 0.6}))
        parts.append(element("text", {"x": left - 5, "y": y_of(p) + 3.5, "text_anchor": "end", "font_size": 9.5,
                                      "fill": MUTED}, f"{p:g}"))
    for p, name in ((0.9, "p90"), (0.95, "p95")):
        parts.append(element("line", {"x1": left, "y1": y_of(p), "x2": right, "y2": y_of(p), "stroke": GRID,
                                      "stroke_width": 0.6, "stroke_dasharray": "3 3"}))
        parts.append(element("text", {"x": right - 2, "y": y_of(p) - 2 if name == "p95" else y_of(p) + 9,
                                      "text_anchor": "end", "font_size": 8.5, "fill": MUTED}, name))
    ticks = scale.ticks(MS_TICKS)
    if len(ticks) > 7:
        ticks = [t for t in ticks if f"{t:g}"[0] in "15"]
    for tick in ticks:
        x = scale(tick)
        parts.append(element("line", {"x1": x, "y1": top, "x2": x, "y2": bottom, "stroke": GRID,
                                      "stroke_width": 0.6}))
        parts.append(element("text", {"x": x, "y": bottom + 13, "text_anchor": "middle", "font_size": 9.5,
                                      "fill": MUTED}, f"{tick:g}"))
    parts.append(element("rect", {"x": left, "y": top, "width": right - left, "height": ECDF_PLOT_H,
                                  "fill": "none", "stroke": "#98a2b3", "stroke_width": 0.8}))
    parts.append(element("text", {"x": (left + right) / 2, "y": bottom + 28, "text_anchor": "middle",
                                  "font_size": 10.5, "fill": INK}, x_label))
    legend_top = bottom + 44
    for i, curve in enumerate(curves):
        colour, dash = PALETTE[i % len(PALETTE)], DASHES[(i // len(PALETTE)) % len(DASHES)]
        k = len(curve.quantiles) - 1
        points = " ".join(f"{scale(max(q, scale.low)):.1f},{y_of(j / k if k else 1.0):.1f}"
                          for j, q in enumerate(curve.quantiles))
        style = {"fill": "none", "stroke": colour, "stroke_width": 1.7, "stroke_dasharray": dash or None,
                 "stroke_linejoin": "round"}
        parts.append(element("g", {"class": "curve"}, element("title", {}, f"{visible(curve.label)} ({n_label} "
                                                                             f"{curve.n})"),
                             element("polyline", {"points": points, **style})))
        column, line = i % 2, i // 2
        lx, ly = left + column * (ECDF_W - left) / 2, legend_top + line * LEGEND_ROW
        parts.append(element("line", {"x1": lx, "y1": ly - 3.5, "x2": lx + 22, "y2": ly - 3.5, **style}))
        count = f" ({n_label} {curve.n})"
        room = (ECDF_W - left) / 2 - 32 - text_width(count, 10)
        parts.append(element("text", {"x": lx + 27, "y": ly, "font_size": 10, "fill": INK},
                             visible(clip(curve.label, room, 10)) + count))
    height = legend_top + LEGEND_ROW * ((len(curves) + 1) // 2)
    return element("svg", {"class": "chart ecdf", "xmlns": "http://www.w3.org/2000/svg", "role": "img",
                           "viewBox": f"0 0 {ECDF_W} {height}", "width": ECDF_W, "height": height,
                           "font_family": font, "aria_label": title}, element("title", {}, title), *parts)
