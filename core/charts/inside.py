"""The charts of the lesson "inside a training run": a resumed run against the uninterrupted
one, how far their weights are apart, a TensorBoard log as TensorBoard reads it, and a finetuned
run against one from scratch."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.common import (
    LOG_LABELS,
    PALETTE,
    POSITIVE,
    VIEW_LEGEND_ROOM,
    epoch_axis,
    view_dashes,
    view_tooltip,
    views_of,
    wrapped,
)
from core.compare import VIEW

MARK = "#555555"  # the checkpoint's rule: an event, not a failure (red is for what is not finite)


def _rules(marks: list[tuple[float, str]], x: str) -> list:
    """A grey rule at each x with its label at the top of the plot, a line below the one before."""
    layers = []
    for row, (at, label) in enumerate(marks):
        rule = alt.Chart(pd.DataFrame({x: [at], "label": [label]})).encode(x=alt.X(f"{x}:Q"))
        layers += [rule.mark_rule(color=MARK, strokeWidth=1.5, strokeDash=[2, 2]),
                   rule.mark_text(align="left", dx=4, color=MARK, fontWeight="bold").encode(
                       y=alt.value(12 + 16 * row), text=alt.Text("label:N"))]
    return layers


def run_lines(frame: pd.DataFrame, runs: list[str], *, title: str, x_title: str, y_title: str,
              marks: list[tuple[float, str]], log: bool, height: int) -> alt.LayerChart:
    """Runs over the epochs (rows epoch, run, value, and a VIEW column when a view is pinned:
    A dashed), the runs coloured in the order given (the first, the reference, grey and wide
    underneath), with a rule at each (epoch, label) of marks. On a log scale, values it cannot
    show are left out of the lines."""
    views = views_of(frame)
    colours = ["#9a9a9a", *PALETTE][:len(runs)]
    tooltip = [alt.Tooltip("run:N", title=" "), alt.Tooltip("epoch:Q", title=x_title),
               alt.Tooltip("value:Q", title=y_title, format=".8g")]
    lines = alt.Chart().mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=epoch_axis(x_title),
        y=alt.Y("value:Q", title=y_title,
                scale=alt.Scale(type="log") if log else alt.Scale(zero=False)),
        color=alt.Color("run:N", title=None, sort=runs,
                        scale=alt.Scale(domain=runs, range=colours),
                        legend=alt.Legend(orient="top", labelLimit=360)),
        strokeWidth=alt.condition(alt.datum.run == runs[0], alt.value(5), alt.value(2)),
        detail=alt.Detail(f"{VIEW}:N") if views else alt.Detail("run:N"),
        tooltip=[view_tooltip(), *tooltip] if views else tooltip,
        **view_dashes(frame, legend="bottom"),
    )
    shown = frame.query("value > 0") if log else frame
    return alt.layer(lines.transform_filter(POSITIVE) if log else lines,
                     *_rules(marks, "epoch"), data=shown).properties(
        title=wrapped(title, 70), height=height + (VIEW_LEGEND_ROOM if views else 0))


def apart(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str, same_label: str,
          height: int) -> alt.LayerChart:
    """The largest |weight difference| per epoch (rows epoch, difference; a VIEW column when
    pinned) on a log scale; an epoch where the runs are the same bit for bit (0, which a log
    axis cannot show) is a labelled point on the bottom edge, never left out."""
    views = views_of(frame)
    tooltip = [alt.Tooltip("epoch:Q", title=x_title),
               alt.Tooltip("difference:Q", title=y_title, format=".3g")]
    if views:
        tooltip.insert(0, view_tooltip())
    x = epoch_axis(x_title)
    differ = alt.Chart().transform_filter("datum.difference > 0").mark_line(
        point=True, color=PALETTE[0]).encode(
        x=x, y=alt.Y("difference:Q", title=y_title, scale=alt.Scale(type="log"),
                      axis=alt.Axis(labelExpr=LOG_LABELS)),
        tooltip=tooltip, **view_dashes(frame, legend="bottom"))
    same = alt.Chart().transform_filter("datum.difference == 0").transform_calculate(
        label=f"'{same_label}'")
    same_marks = [same.mark_point(shape="diamond", filled=True, size=80, color=PALETTE[3])
                  .encode(x=x, y=alt.value("height"),
                          tooltip=[*tooltip, alt.Tooltip("label:N", title=" ")])]
    if not (frame["difference"] > 0).any():  # no line: the points say it, and an axis too
        same_marks.append(same.mark_text(align="left", dx=8, dy=-10, color=PALETTE[3])
                          .encode(x=x, y=alt.value("height"), text="label:N"))
    return alt.layer(differ, *same_marks, data=frame).properties(
        title=wrapped(title, 70), height=height + (VIEW_LEGEND_ROOM if views else 0))


def logged_scalars(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str,
                   height: int) -> alt.Chart:
    """A TensorBoard log's scalars as its reader gives them (rows tag, step, value; a VIEW
    column when pinned), a line per tag."""
    tags = list(dict.fromkeys(frame["tag"]))
    tooltip = [alt.Tooltip("tag:N", title=" "), alt.Tooltip("step:Q", title=x_title),
               alt.Tooltip("value:Q", title=y_title, format=".8g")]
    views = views_of(frame)
    return alt.Chart(frame).mark_line(strokeWidth=2).encode(
        x=epoch_axis(x_title, "step"), y=alt.Y("value:Q", title=y_title),
        color=alt.Color("tag:N", title=None, sort=tags,
                        scale=alt.Scale(domain=tags, range=PALETTE[:len(tags)]),
                        legend=alt.Legend(orient="top", labelLimit=320)),
        detail=alt.Detail(f"{VIEW}:N") if views else alt.Detail("tag:N"),
        tooltip=[view_tooltip(), *tooltip] if views else tooltip,
        **view_dashes(frame, legend="bottom"),
    ).properties(title=title, height=height + (VIEW_LEGEND_ROOM if views else 0))


def weight_ranges(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str,
                  height: int) -> alt.Chart:
    """Each weight histogram's range per epoch, as TensorBoard's reader gives it (rows tag,
    step, min, max): a band per tag."""
    tags = list(dict.fromkeys(frame["tag"]))
    return alt.Chart(frame).mark_area(opacity=0.35).encode(
        x=epoch_axis(x_title, "step"), y=alt.Y("min:Q", title=y_title), y2="max:Q",
        color=alt.Color("tag:N", title=None, sort=tags, legend=alt.Legend(orient="top",
                                                                           columns=3)),
        tooltip=[alt.Tooltip("tag:N", title=" "), alt.Tooltip("step:Q", title=x_title),
                 alt.Tooltip("min:Q", format=".4g"), alt.Tooltip("max:Q", format=".4g")],
    ).properties(title=title, height=height)


def moved_bars(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str,
               height: int) -> alt.LayerChart:
    """How far something moved (rows name, moved), a bar each, with its value written on it: 0
    (kept exactly) is a value to read, not a missing bar."""
    base = alt.Chart(frame).encode(
        y=alt.Y("name:N", title=y_title, sort=None, axis=alt.Axis(labelOverlap=False)),
        x=alt.X("moved:Q", title=x_title),
        tooltip=[alt.Tooltip("name:N", title=" "), alt.Tooltip("moved:Q", format=".3~g")])
    return alt.layer(base.mark_bar(color=PALETTE[0]),
                     base.mark_text(align="left", dx=4).encode(
                         text=alt.Text("moved:Q", format=".3~g"))).properties(
        title=title, height=height)


def grids(frame: pd.DataFrame, *, title: str, size: int = 90) -> alt.HConcatChart:
    """Small 2-D tensors side by side (rows panel, row, col, value): a cell each, coloured by its
    value and with the value written on it, exactly as printed."""
    panels = []
    for panel in dict.fromkeys(frame["panel"]):
        cells = frame[frame["panel"] == panel]
        base = alt.Chart(cells).encode(
            x=alt.X("col:O", title=None, axis=None), y=alt.Y("row:O", title=None, axis=None),
            tooltip=[alt.Tooltip("panel:N", title=" "), "row:O", "col:O",
                     alt.Tooltip("value:Q", format=".6g")])
        side = size * max(1, int(cells["col"].max()) + 1) // 2
        panels.append(alt.layer(
            base.mark_rect(stroke="white").encode(
                color=alt.Color("value:Q", legend=None, scale=alt.Scale(scheme="blues"))),
            base.mark_text(fontSize=13).encode(text=alt.Text("value:Q", format=".6~g"))
        ).properties(title=wrapped(panel, 18), width=side, height=side))
    return alt.hconcat(*panels, spacing=14).properties(title=title)
