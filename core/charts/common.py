"""The encodings every lesson's charts share, written once: the palette, a pinned view A dashed
beside B solid, the red rule where a run stops being finite, legends that fit, titles that wrap,
and what a log axis can show."""

from __future__ import annotations

import re
import unicodedata

import altair as alt
import pandas as pd

from core.compare import VIEW

# Measured first and strongest; comparisons (float64, theory) after it in lighter tones.
PALETTE = ["#1f4e9c", "#f28e2b", "#7f7f7f", "#59a14f", "#b07aa1", "#9c755f"]
RED = "#d62728"  # where something stops being finite, diverges or stops

# ---- A pinned view A beside the view B (core.compare.side_by_side: a VIEW column, A first) -----

A_DASH, B_DASH = [6, 4], [1, 0]
# Pixels added to a chart's height for the legend naming A and B: Streamlit fits the whole chart,
# legends and titles included, into its height, so the plot would shrink by as much.
VIEW_LEGEND_ROOM = 40


def views_of(frame: pd.DataFrame) -> list[str]:
    """The views a frame holds, A first; none when it has no VIEW column."""
    return list(dict.fromkeys(frame[VIEW])) if VIEW in frame else []


def view_dash(views: list[str], legend: str | None = "top") -> alt.StrokeDash:
    """A (views[0]) dashed and B solid, named in a legend at legend ("top", "right", "bottom"),
    or in none (another channel's legend names the views)."""
    return alt.StrokeDash(
        f"{VIEW}:N", title=None, sort=views,
        scale=alt.Scale(domain=views, range=[A_DASH, B_DASH][-len(views):]),
        legend=None if legend is None else alt.Legend(
            orient=legend, symbolType="stroke", symbolStrokeWidth=2.5, symbolSize=400,
            symbolStrokeColor="#333333", labelLimit=320))


def view_dashes(frame: pd.DataFrame, legend: str | None = "top") -> dict:
    """The strokeDash encoding of view_dash for a frame with a pinned view; nothing for a frame
    of one view."""
    views = views_of(frame)
    return {"strokeDash": view_dash(views, legend)} if views else {}


def view_detail(frame: pd.DataFrame, field: str) -> list:
    """The lines to draw apart: one per field value, and per view when a view is pinned."""
    return [alt.Detail(f"{field}:N")] + ([alt.Detail(f"{VIEW}:N")] if VIEW in frame else [])


def view_tooltip() -> alt.Tooltip:
    return alt.Tooltip(f"{VIEW}:N", title=" ")


# ---- Where a run stops: a red rule and its label ----------------------------------------------

def red_rules(marks: pd.DataFrame, x: str, align: str = "left") -> list:
    """A red dashed rule at each row's x (marks: columns x and label), labelled at the top of the
    plot, each label a line below the one before, so that two runs stopping near each other are
    both read. Nothing a chart drops silently: a value it cannot show is marked here."""
    if not len(marks):  # also an empty frame without columns
        return []
    layers = []
    for row, (at, label) in enumerate(zip(marks["x"], marks["label"], strict=True)):
        rule = alt.Chart(pd.DataFrame({x: [at], "label": [label]})).encode(x=alt.X(f"{x}:Q"))
        layers += [rule.mark_rule(color=RED, strokeWidth=2, strokeDash=[4, 3]),
                   rule.mark_text(align=align, dx=4 if align == "left" else -4, color=RED,
                                  fontWeight="bold")
                   .encode(y=alt.value(12 + 18 * row), text=alt.Text("label:N"))]
    return layers


# ---- Axes, legends and titles -----------------------------------------------------------------

POSITIVE = "isFinite(datum.value) && datum.value > 0"  # what a log axis can show
# A log axis's (or legend's) labels: plain numbers in three digits from 0.001 to 9999 ("4",
# "0.01", "2350", not "4e+0", "1e-2" or "2345.99"), powers of ten written short outside ("1e-12",
# "1e31", not "1e+31")
LOG_LABELS = ("abs(datum.value) >= 0.001 && abs(datum.value) < 10000"
              " ? format(datum.value, '.3~r') : replace(format(datum.value, '.0e'), 'e+', 'e')")


def epoch_axis(title: str, field: str = "epoch") -> alt.X:
    """Epochs and steps are whole numbers: ticks on whole numbers only ("0", not "0.000000" for a
    run at epoch 0, and no 0.5 between the epochs of a short run)."""
    return alt.X(f"{field}:Q", title=title, axis=alt.Axis(format="d", tickMinStep=1))


DASHES = [[1, 0], [7, 3], [2, 2], [9, 3, 2, 3]]  # solid, dashed, dotted, dash-dot
LEGEND_WIDTH = 620  # pixels a legend may span: a lesson's chart column at 1280 x 720


def label_width(label: str) -> float:
    """About how many pixels a legend label takes at 11 px: 6.5 a character, 11 a Chinese one,
    and 40 for its symbol and the gap after it."""
    return 40 + sum(11 if unicodedata.east_asian_width(c) in "WF" else 6.5 for c in str(label))


def columns_that_fit(labels: list[str], columns: int) -> int:
    """columns, or as many as fit LEGEND_WIDTH side by side: a legend never cuts a label
    (labelLimit is wide), so a column too many runs past the chart's right edge, and the edge
    cut "lr=0.2278 · converges while oscillating" to a wrong "lr=0.2278 · converges"."""
    widest = max((label_width(label) for label in labels), default=0)
    return max(1, min(columns, int(LEGEND_WIDTH // widest) if widest else columns))


def picked_by_legend(series: str) -> tuple[alt.Parameter, dict]:
    """A click on a legend entry picks that series (shift-click adds one, a click elsewhere
    clears): the others fade, in the browser, with no round trip to the server. The parameter
    to add to the chart, and the opacity encoding that shows the pick."""
    pick = alt.selection_point(fields=[series], bind="legend")
    return pick, {"opacity": alt.condition(pick, alt.value(1.0), alt.value(0.12))}


# A network's layers in two columns: seven in one ran past a half-width chart's 200 px
LAYER_LEGEND = alt.Legend(columns=2)


def wrapped(title: str, width: int | None) -> str | list[str]:
    """A chart title in lines of at most width characters (a Chinese character counts two), so
    that Vega-Lite does not cut it with "…"; as it is where it fits or width is None."""
    def size(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    if width is None or size(title) <= width:
        return title
    lines, line = [], ""
    # words, and each Chinese character on its own (it may end a line)
    for piece in re.findall(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+\s*|\s+", title):
        if line and size(line + piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    return [*lines, line.rstrip()] if line.strip() else lines


def title_lines(title: str) -> list[str]:
    """A title with a parenthesis on two lines, the parenthesis second: a half-width chart cut
    "Activation std per layer (last batch of each epoch)" to "… (last batch of each…"."""
    for opening in (" (", "（"):
        head, found, rest = title.partition(opening)
        if found and rest:
            return [head, found.strip() + rest]
    return [title]
