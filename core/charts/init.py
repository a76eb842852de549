"""The initialisation lesson's charts: the activation × scheme matrix and a method's histogram."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from core.charts.common import PALETTE, RED

LOG_SPAN = 6  # the colour scale's ends: 1e-6 and 1e6, clamped beyond


def cell_label(value: float) -> str:
    """A cell's number as the matrix writes it: two significant digits, and nan, inf and 0
    written out (0 is a number that underflowed float32)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return "0" if value == 0 else f"{value:.2g}"


def _log10(value: float) -> float:
    """Where a value sits on the log colour scale: 0 underflowed, so at the small end; inf at the
    large end; nan nowhere (0, under a grey cell: Vega-Lite would drop a cell with no colour)."""
    if math.isnan(value):
        return 0.0
    if value <= 0:
        return -LOG_SPAN
    return LOG_SPAN if math.isinf(value) else max(-LOG_SPAN, min(LOG_SPAN, math.log10(value)))


def init_matrix(
    frame: pd.DataFrame, *, value: str, healthy: str, rows: list[str], columns: list[str],
    chosen: tuple[str, str], title: str, value_title: str, healthy_label: str, height: int,
    pinned_label: str | None = None,
) -> alt.LayerChart:
    """A heatmap of one value per (activation, scheme) cell, on a log colour scale centred on 1.

    frame has columns activation, scheme, row, column (their labels), value (numbers, possibly
    nan/inf/0), healthy (bool) and label (the text shown in the cell: cell_label). A cell whose
    value is nan is grey with its label, never dropped; 0 (underflowed) and inf sit at the scale's
    ends. Cells inside the healthy band get a thick green frame inside the cell (it cannot run
    into a neighbour), the chosen (activation, scheme) a black dashed one. A click on a cell
    selects it: the selection parameter "cell" carries its activation and scheme.

    With pinned_label (a pinned view's name), frame also has columns pinned and pinned_healthy:
    that view's value and verdict for the same cell, which each cell's tooltip adds."""
    # The look of each cell is data through fixed scales: Altair takes about 15 ms to build each
    # alt.condition, several times the rest of the chart. (scale=None breaks Streamlit's chart
    # code in a layer with a selection.)
    log10 = [_log10(v) for v in frame[value]]
    shown = frame.assign(no_value=frame[value].isna(), log10=log10,
                         ink=["white" if abs(v) > 3 else "black" for v in log10])
    base = alt.Chart().encode(
        x=alt.X("column:N", sort=columns, title=None,
                axis=alt.Axis(labelAngle=-30, labelLimit=160, labelOverlap=False,
                              labelFontSize=13)),
        y=alt.Y("row:N", sort=rows, title=None, axis=alt.Axis(labelFontSize=13)),
    )
    # The cells layer takes the tooltips and the clicks; the layers on top have neither, so
    # Vega-Lite lets the pointer through them.
    pick = alt.selection_point(name="cell", fields=["activation", "scheme"], on="click")
    tooltip = [alt.Tooltip("row:N", title=" "), alt.Tooltip("column:N", title="  "),
               alt.Tooltip(f"{value}:Q", title=value_title, format=".4g"),
               alt.Tooltip(f"{healthy}:N", title=healthy_label)]
    if pinned_label is not None:
        tooltip += [alt.Tooltip("pinned:Q", title=f"{pinned_label}: {value_title}", format=".4g"),
                    alt.Tooltip("pinned_healthy:N", title=f"{pinned_label}: {healthy_label}")]
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        tooltip=tooltip,
        color=alt.Color("log10:Q", title=f"log10 {value_title}",
                        scale=alt.Scale(scheme="redblue", domain=[-LOG_SPAN, LOG_SPAN],
                                        clamp=True, reverse=True, domainMid=0)),
    ).add_params(pick)
    no_value = base.transform_filter("datum.no_value").mark_rect(
        color="#bdbdbd", stroke="white", strokeWidth=2)
    inset = {"width": alt.RelativeBandSize(0.86), "height": alt.RelativeBandSize(0.78)}
    healthy_frame = base.transform_filter(f"datum.{healthy}").mark_rect(
        fill=None, stroke="#1b7837", strokeWidth=3.5, **inset)
    activation, scheme = chosen
    chosen_frame = base.transform_filter(
        (alt.datum.activation == activation) & (alt.datum.scheme == scheme)).mark_rect(
        fill=None, stroke="black", strokeWidth=2.5, strokeDash=[4, 2],
        width=alt.RelativeBandSize(0.97), height=alt.RelativeBandSize(0.94))
    text = base.mark_text(fontSize=14, fontWeight="bold").encode(
        text=alt.Text("label:N"), color=alt.Color("ink:N", legend=None, scale=alt.Scale(
            domain=["white", "black"], range=["white", "black"])))
    # a fixed size per cell: a chart of bands does not stretch to its container
    return alt.layer(cells, no_value, healthy_frame, chosen_frame, text, data=shown).properties(
        title=title, width=alt.Step(62), height=alt.Step(height // len(rows)))


def init_histogram(
    histogram: pd.DataFrame, *, bounds: tuple[float, float] | None, title: str, x_title: str,
    y_title: str, measured_label: str, expected_label: str, bound_label: str, height: int,
) -> alt.LayerChart:
    """Bars: the fraction of drawn weights in each bin; line and dots: the fraction the method's
    distribution puts there; red rules: the bounds it draws between (if it has any)."""
    bars = alt.Chart(histogram.assign(series=measured_label)).mark_bar(
        color=PALETTE[0], opacity=0.75).encode(
        x=alt.X("left:Q", title=x_title), x2=alt.X2("right"), y=alt.Y("measured:Q", title=y_title),
        y2=alt.datum(0),
        tooltip=[alt.Tooltip("left:Q", format=".4g"), alt.Tooltip("right:Q", format=".4g"),
                 alt.Tooltip("measured:Q", title=measured_label, format=".4f"),
                 alt.Tooltip("expected:Q", title=expected_label, format=".4f")])
    theory = alt.Chart(histogram.assign(middle=(histogram["left"] + histogram["right"]) / 2)
                       ).mark_line(color=PALETTE[1], strokeWidth=2.5,
                                   point=alt.OverlayMarkDef(color=PALETTE[1], size=20)).encode(
        x=alt.X("middle:Q"), y=alt.Y("expected:Q"),
        tooltip=[alt.Tooltip("middle:Q", format=".4g"),
                 alt.Tooltip("expected:Q", title=expected_label, format=".4f")])
    layers = [bars, theory]
    if bounds is not None:
        rules = pd.DataFrame({"x": list(bounds),
                              "label": [f"{bound_label} {b:.4g}" for b in bounds]})
        rule = alt.Chart(rules).encode(x=alt.X("x:Q"), tooltip=[alt.Tooltip("label:N")])
        layers += [rule.mark_rule(color=RED, strokeWidth=2, strokeDash=[5, 3]),
                   rule.mark_text(align="left", dx=4, dy=-6, color=RED)
                   .encode(y=alt.value(12), text=alt.Text("label:N"))]
    return alt.layer(*layers).properties(title=title, height=height)
