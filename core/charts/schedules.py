"""The schedules lesson's charts: the rates per epoch with the scheduler's events, and the
learning-rate range test."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from core.charts.common import (
    A_DASH,
    B_DASH,
    LOG_LABELS,
    PALETTE,
    RED,
    red_rules,
    view_dashes,
    view_detail,
)
from core.compare import VIEW
from core.values import finite_positive


def range_test(
    steps: pd.DataFrame,
    *,
    suggested: int | None,
    stopped_at: int | None,
    title: str,
    x_title: str,
    y_title: str,
    loss_label: str,
    smoothed_label: str,
    suggested_label: str,
    stopped_label: str,
    height: int,
) -> alt.LayerChart:
    """The range test: each batch's loss (thin) and the smoothed loss (thick) against the rate on
    a log axis; a red point at the suggested rate, a red rule where the test stopped. Non-finite
    losses are left out of the lines (the stop rule says where the run ended). With a VIEW column
    (a pinned view's rows first, then the current view's), A's lines are dashed and the point and
    rule (row numbers of the current view) are the current view's."""
    ids = ["step", "lr", *([VIEW] if VIEW in steps else [])]
    long = steps.melt(id_vars=ids, value_vars=["loss", "smoothed"], var_name="series")
    long["series"] = long["series"].map({"loss": loss_label, "smoothed": smoothed_label})
    shown = long[long["value"].map(math.isfinite)]
    labels = [smoothed_label, loss_label]
    now = steps[steps[VIEW] == steps[VIEW].iloc[-1]].reset_index(drop=True) if VIEW in steps \
        else steps
    decades = range(math.floor(math.log10(steps["lr"].min())),
                    math.ceil(math.log10(steps["lr"].max())) + 1)
    x = alt.X("lr:Q", title=x_title, scale=alt.Scale(type="log"),
              axis=alt.Axis(labelExpr=LOG_LABELS, values=[10.0 ** d for d in decades]))
    # The y axis follows the smoothed loss, which the reading is about; a batch's loss that
    # shoots past it is clipped at the chart's top edge, not dropped.
    smoothed = steps["smoothed"][steps["smoothed"].map(math.isfinite)]
    top = 1.5 * float(smoothed.max()) if len(smoothed) else 1.0
    lines = alt.Chart(shown).mark_line(clip=True).encode(
        x=x, y=alt.Y("value:Q", title=y_title, scale=alt.Scale(domain=[0, top], clamp=True)),
        color=alt.Color("series:N", title=None, sort=labels,
                        scale=alt.Scale(domain=labels, range=[PALETTE[0], "#9ab0d6"]),
                        legend=alt.Legend(orient="top", labelLimit=360)),
        strokeWidth=alt.StrokeWidth("series:N", legend=None,
                                    scale=alt.Scale(domain=labels, range=[3, 1.2])),
        tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("step:Q"),
                 alt.Tooltip("lr:Q", title=x_title, format=".3e"),
                 alt.Tooltip("value:Q", title=y_title, format=".5g")], **view_dashes(steps))
    if VIEW in steps:
        lines = lines.encode(detail=view_detail(steps, "series"))
    layers = [lines]
    if suggested is not None:
        point = now.iloc[[suggested]].assign(label=suggested_label)
        mark = alt.Chart(point).encode(x=x, y=alt.Y("smoothed:Q"), tooltip=[
            alt.Tooltip("label:N", title=" "), alt.Tooltip("lr:Q", format=".3e"),
            alt.Tooltip("smoothed:Q", format=".5g")])
        layers += [mark.mark_point(size=220, filled=True, color=RED, opacity=1),
                   mark.mark_text(align="right", dx=-10, dy=-12, color=RED,
                                  fontWeight="bold").encode(text=alt.Text("label:N"))]
    if stopped_at is not None:
        layers += red_rules(pd.DataFrame({"x": [now["lr"].iloc[stopped_at]],
                                          "label": [stopped_label]}), "lr", align="right")
    return alt.layer(*layers).properties(title=title, height=height)


def schedule_curves(
    curves: pd.DataFrame,
    events: pd.DataFrame,
    *,
    title: str,
    x_title: str,
    y_title: str,
    log_y: bool,
    height: int,
) -> alt.LayerChart:
    """The learning rate per epoch (columns epoch, lr, series), one line per series, and the
    events a scheduler reported (columns epoch, label) as vertical rules, one colour per kind of
    event, named in a legend under the chart. With columns group and order (a parameter group's
    rates recorded before and after scheduler.step()), a group has one colour and the order its
    dash (before solid, after dashed): the course's LambdaLR has two groups, each recorded both
    ways one epoch apart. On a log axis a rate of 0 cannot be drawn: it is left out of the line.
    With a VIEW column (a pinned view beside the current one), A's lines are dashed instead."""
    shown = curves[finite_positive(curves["lr"])] if log_y else curves
    order = list(dict.fromkeys(curves["series"]))
    kinds = curves.drop_duplicates("series").set_index("series")
    grouped = {"group", "order"} <= set(curves)
    colours = [PALETTE[int(kinds["group"][name]) % len(PALETTE)] for name in order] if grouped \
        else PALETTE[:len(order)]
    dashes = [B_DASH if kinds["order"][name] == "before" else A_DASH for name in order] \
        if grouped else [B_DASH] * len(order)
    legend = alt.Legend(orient="top", columns=2, labelLimit=360, symbolType="stroke",
                        symbolStrokeWidth=2.5, symbolSize=400)
    lines = alt.Chart(shown).mark_line(strokeWidth=2.5, interpolate="step-after").encode(
        x=alt.X("epoch:Q", title=x_title, axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("lr:Q", title=y_title, scale=alt.Scale(type="log") if log_y else alt.Scale(),
                axis=alt.Axis(labelExpr=LOG_LABELS) if log_y else alt.Axis()),
        color=alt.Color("series:N", title=None, sort=order,
                        scale=alt.Scale(domain=order, range=colours), legend=legend),
        strokeDash=alt.StrokeDash("series:N", sort=order, legend=legend if grouped else None,
                                  title=None,
                                  scale=alt.Scale(domain=order, range=dashes)),
        tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("epoch:Q", title=x_title),
                 alt.Tooltip("lr:Q", title=y_title, format=".6g")])
    if VIEW in curves:
        lines = lines.encode(detail=view_detail(curves, "series"), **view_dashes(curves), tooltip=[
            alt.Tooltip(f"{VIEW}:N", title=" "), alt.Tooltip("series:N", title=" "),
            alt.Tooltip("epoch:Q", title=x_title), alt.Tooltip("lr:Q", title=y_title,
                                                               format=".6g")])
    if not len(events):
        return lines.properties(title=title, height=height)
    kinds = list(dict.fromkeys(events["label"]))
    rules = alt.Chart(events).mark_rule(strokeWidth=2, strokeDash=[4, 3]).encode(
        x=alt.X("epoch:Q"),
        stroke=alt.Stroke("label:N", title=None, sort=kinds, scale=alt.Scale(
            domain=kinds, range=[RED, "#2a9d3a", "#7f7f7f"][:len(kinds)]),
            legend=alt.Legend(orient="bottom", labelLimit=560)),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("epoch:Q", title=x_title)])
    return alt.layer(lines, rules).resolve_scale(color="independent").properties(
        title=title, height=height)
