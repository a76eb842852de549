"""The loss lesson's charts: one element's loss against what it punishes, losses compared on the
same quantity, and CTC's alignment lattices."""

from __future__ import annotations

import math
from dataclasses import dataclass

import altair as alt
import pandas as pd

from core.charts.common import PALETTE, RED, view_dash, views_of, wrapped
from core.compare import VIEW

SERIES_COLOURS = [PALETTE[0], "#59a14f", "#7f7f7f", "#b07aa1", "#9c755f", "#e15759"]
SERIES_DASHES = [[1, 0], [8, 4], [2, 3], [12, 3, 3, 3], [5, 2], [1, 5]]


def _series(names: list[str], title: str, columns: int = 2) -> dict:
    """Colour and dash of each loss's line, under one legend in columns (0: no legend, where a
    chart beside it names the same lines)."""
    legend = alt.Legend(orient="top", labelLimit=200, columns=columns, symbolType="stroke",
                        symbolStrokeWidth=3, symbolSize=300, title=None) if columns else None
    return {"color": alt.Color("series:N", sort=names, legend=legend, title=title or None,
                               scale=alt.Scale(domain=names,
                                               range=SERIES_COLOURS[: len(names)])),
            "strokeDash": alt.StrokeDash("series:N", sort=names, legend=legend,
                                         title=title or None, scale=alt.Scale(
                                             domain=names, range=SERIES_DASHES[: len(names)]))}


LABEL_SIZE = 14  # a point's sample number, read from the back of a room


def _placed(marks: pd.DataFrame, value: str, span: tuple[float, float], ceiling: float,
            nonfinite_label: str) -> pd.DataFrame:
    """The typed elements placed inside the plot, with a flag naming what was moved, so that
    nothing is dropped and no point outside the axes shrinks the plot (Vega-Lite fits every
    point in): not finite (at the left edge, at the top), above the top (↑ its value), left or
    right of the x axis (← or → its x). at: each point's own x, for its tooltip."""
    low, high = span
    finite = marks["x"].map(math.isfinite) & marks[value].map(math.isfinite)
    flags = []
    for ok, x, y in zip(finite, marks["x"], marks[value], strict=True):
        moved = [f"← x = {x:.3g}" if x < low else "", f"x = {x:.3g} →" if x > high else "",
                 f"↑ {y:.3g}" if y > ceiling else ""]
        flags.append(" ".join(m for m in moved if m) if ok else nonfinite_label)
    return marks.assign(at=marks["x"], x=marks["x"].where(finite, low).clip(low, high),
                        **{value: marks[value].where(finite, ceiling).clip(upper=ceiling)},
                        flag=flags)


def _point_labels(points: pd.DataFrame, width: float, height: float) -> list[str]:
    """Each point's label: the samples drawn at its place (within a hundredth of the axes, per
    view) named once, on the first of them ("1, 2"): coincident points printed their numbers
    over one another."""
    views = points[VIEW] if VIEW in points else [""] * len(points)
    places = [(view, round(x * 100 / (width or 1)), round(y * 100 / (height or 1)))
              for view, x, y in zip(views, points["x"], points["loss"], strict=True)]
    samples: dict = {}
    for place, sample in zip(places, points["sample"], strict=True):
        samples.setdefault(place, {})[sample] = None
    labels, seen = [], set()
    for place in places:
        labels.append("" if place in seen else ", ".join(map(str, samples[place])))
        seen.add(place)
    return labels


def _threshold_layers(thresholds: pd.DataFrame, x: alt.X) -> list:
    """Dotted rules where a loss changes form (columns x, label, option), labelled once at the
    positive side, the labels of different options one under another."""
    rule = alt.Chart(thresholds).mark_rule(color="#555555", strokeDash=[3, 3], strokeWidth=1.5)
    layers = [rule.encode(x=x)]
    for level, option in enumerate(dict.fromkeys(thresholds["option"])):
        own = thresholds[(thresholds["option"] == option) & (thresholds["x"] > 0)]
        layers.append(alt.Chart(own).mark_text(
            align="left", baseline="top", dx=4, color="#333333", fontWeight="bold").encode(
            x=x, y=alt.value(4 + 16 * level), text=alt.Text("label:N")))
    return layers


def loss_curve(
    curve: pd.DataFrame,
    marks: pd.DataFrame,
    *,
    title: str,
    x_title: str,
    y_title: str,
    sample_title: str,
    sample_loss_title: str,
    nonfinite_label: str,
    height: int,
    probability: bool,
    thresholds: pd.DataFrame | None = None,
    top: float | None = None,
    series_title: str = "",
    title_width: int | None = None,
    field: str = "loss",
    legend: int = 2,
) -> alt.LayerChart:
    """The loss of one sample as a function of x (the true class's probability or logit), with the
    current samples as points on it. Points whose x or loss is not finite sit on the chart's edge
    in red with a label, so nothing disappears silently.

    A family drawn together (curve has series and own): one line per loss, this loss's solid and
    first (under the others), the points on it. thresholds (x, label, option): dotted rules where
    a loss changes form. top: the y range ends there; lines leave the chart at the top, and a
    point above it sits on the edge labelled with its value.

    Two views compared (core.compare.side_by_side: curve and marks with a VIEW column, A first):
    each view's curve and points in its own colour, A's curve dashed and its points rings, drawn
    over B's, under a legend naming both (of a family, each view's own loss only; a view's
    lines of several class weights each drawn, in its colour).

    field: the column of curve and marks drawn up the y axis, "loss", or "gradient" for the
    same picture of d loss / d x (the marks' own gradient is their value). legend: the columns of
    the lines' legend, 0 for none (where the loss chart beside it names the same lines)."""
    if field != "loss":
        curve = curve.drop(columns="loss").rename(columns={field: "loss"})
        marks = marks.assign(loss=marks[field], sample_loss=marks[field])
    if VIEW in curve and "own" in curve:  # a view of one loss alone has no own (nan): keep it
        curve = curve[curve["own"].fillna(True).astype(bool)].drop(columns="own")
    low, high = float(curve["x"].min()), float(curve["x"].max())
    ceiling = float(curve["loss"].max()) if top is None else top
    shown = _placed(marks, "loss", (low, high), ceiling, nonfinite_label)
    shown = shown.assign(label=_point_labels(shown, high - low, ceiling))
    encoding = _Encoding(
        x=alt.X("x:Q", title=x_title, scale=alt.Scale(domain=[0 if probability else low, high])),
        y=alt.Y("loss:Q", title=y_title, scale=alt.Scale() if top is None else alt.Scale(
            domain=[min(0.0, float(curve["loss"].min())), top], nice=False)),
        curve_tips=[alt.Tooltip("x:Q", title=x_title, format=".4g"),
                    alt.Tooltip("loss:Q", title=y_title, format=".4g")],
        sample_tips=[alt.Tooltip("sample:Q", title=sample_title),
                     alt.Tooltip("class:Q", title="class"),
                     alt.Tooltip("at:Q", title=x_title, format=".4g"),
                     alt.Tooltip("sample_loss:Q", title=sample_loss_title, format=".6g")],
        series_title=series_title, legend=legend)
    rules = _threshold_layers(thresholds, encoding.x) \
        if thresholds is not None and len(thresholds) else []
    layers, legend_room = (_one_view if VIEW not in curve else _two_views)(
        curve, shown, encoding)
    flags = alt.Chart(shown).encode(x=encoding.x, y=encoding.y).transform_filter(
        "datum.flag != ''").mark_text(dy=14, color=RED, fontWeight="bold").encode(
        text=alt.Text("flag:N"))
    # the legend's room is added, not taken from the plot: Streamlit fits the whole chart
    return alt.layer(*rules, *layers, flags).properties(title=wrapped(title, title_width),
                                                         height=height + legend_room)


@dataclass(frozen=True)
class _Encoding:
    """What loss_curve's layers share: its axes, tooltips and legend."""

    x: alt.X
    y: alt.Y
    curve_tips: list
    sample_tips: list
    series_title: str
    legend: int


def _one_view(curve: pd.DataFrame, shown: pd.DataFrame, enc: _Encoding) -> tuple[list, int]:
    """The curve (or a line per loss of a family, or per class weight: series, own) and the
    points on it; with the height its legend takes."""
    if "series" in curve:
        names = list(dict.fromkeys(curve["series"]))
        lines = alt.Chart(curve).mark_line(clip=True).encode(
            x=enc.x, y=enc.y, **_series(names, enc.series_title, enc.legend),
            strokeWidth=alt.condition(alt.datum.own, alt.value(3.5), alt.value(2.5)),
            tooltip=[alt.Tooltip("series:N", title=enc.series_title or " "), *enc.curve_tips])
        own = alt.FieldEqualPredicate(field="own", equal=True)
        line_layers = [lines.transform_filter(own), lines.transform_filter(~own)]
        room = 24 * math.ceil(len(names) / enc.legend) + 16 if enc.legend else 0
    else:
        line_layers = [alt.Chart(curve).mark_line(color=PALETTE[0], strokeWidth=3,
                                                  clip=True).encode(
            x=enc.x, y=enc.y, tooltip=enc.curve_tips)]
        room = 0
    points = alt.Chart(shown).encode(x=enc.x, y=enc.y, tooltip=enc.sample_tips)
    return [*line_layers,
            points.mark_point(size=140, filled=True, color=PALETTE[1], opacity=0.85),
            points.mark_text(dx=9, dy=-9, color=PALETTE[1], fontWeight="bold",
                             fontSize=LABEL_SIZE, align="left").encode(
                text=alt.Text("label:N"))], room


def _two_views(curve: pd.DataFrame, shown: pd.DataFrame, enc: _Encoding) -> tuple[list, int]:
    """A's and B's curves and points, each view in its colour, A dashed with rings drawn over
    B's: where they coincide, A's dashes and rings show on B's line."""
    views = views_of(curve)  # A, B
    view_tip = alt.Tooltip(f"{VIEW}:N", title=" ")
    color = alt.Color(f"{VIEW}:N", title=None, sort=views,
                      scale=alt.Scale(domain=views, range=[PALETTE[2], PALETTE[0]]),
                      legend=alt.Legend(orient="top", labelLimit=320) if enc.legend else None)
    lines = {"detail": alt.Detail("series:N"),
             "tooltip": [view_tip, alt.Tooltip("series:N", title=enc.series_title or " "),
                         *enc.curve_tips]} \
        if "series" in curve else {"tooltip": [view_tip, *enc.curve_tips]}
    line = alt.Chart(curve).mark_line(strokeWidth=3, clip=True).encode(
        x=enc.x, y=enc.y, color=color, strokeDash=view_dash(views, legend=None), **lines)
    points = alt.Chart(shown).encode(x=enc.x, y=enc.y, color=color,
                                     tooltip=[view_tip, *enc.sample_tips])
    is_a = alt.FieldEqualPredicate(field=VIEW, equal=views[0])
    return [line.transform_filter(~is_a), line.transform_filter(is_a),
            points.transform_filter(~is_a).mark_point(size=140, filled=True, opacity=0.85),
            points.transform_filter(~is_a).mark_text(
                dx=9, dy=-9, fontWeight="bold", fontSize=LABEL_SIZE, align="left").encode(
                text=alt.Text("label:N")),
            points.transform_filter(is_a).mark_point(size=220, filled=False, strokeWidth=2.5),
            ], 40 if enc.legend else 0


def loss_comparison(
    curves: pd.DataFrame,
    marks: pd.DataFrame,
    *,
    title: str,
    x_title: str,
    y_title: str,
    series_title: str,
    sample_title: str,
    height: int,
    thresholds: pd.DataFrame | None = None,
    top: float | None = None,
    title_width: int | None = None,
    nonfinite_label: str = "nan",
) -> alt.LayerChart:
    """Several losses of one element against the same quantity, one line each, dashed each its own
    way (the loss lesson's comparison): curves has loss, x, value; marks (loss, sample, x, value)
    the typed elements on each loss's line. thresholds, top and nonfinite_label as in
    loss_curve."""
    names = list(dict.fromkeys(curves["loss"]))
    lines = curves.rename(columns={"loss": "series"})
    ceiling = float(lines["value"].max()) if top is None else top
    span = float(lines["x"].min()), float(lines["x"].max())
    points = _placed(marks.rename(columns={"loss": "series"}).assign(
        own=marks["value"]), "value", span, ceiling, nonfinite_label).rename(
        columns={"value": "shown", "own": "value"})
    x = alt.X("x:Q", title=x_title, scale=alt.Scale(domain=list(span), nice=False))
    y_scale = alt.Scale() if top is None else alt.Scale(
        domain=[min(0.0, float(lines["value"].min())), top], nice=False)
    series = _series(names, series_title)
    rules = _threshold_layers(thresholds, x) if thresholds is not None and len(thresholds) \
        else []
    line = alt.Chart(lines).mark_line(strokeWidth=3, clip=True).encode(
        x=x, y=alt.Y("value:Q", title=y_title, scale=y_scale), **series,
        tooltip=[alt.Tooltip("series:N", title=series_title),
                 alt.Tooltip("x:Q", title=x_title, format=".4g"),
                 alt.Tooltip("value:Q", title=y_title, format=".4g")])
    dots = alt.Chart(points).mark_point(size=110, filled=True, opacity=0.9).encode(
        x=x, y=alt.Y("shown:Q", scale=y_scale), color=alt.Color(
            "series:N", sort=names, legend=None,
            scale=alt.Scale(domain=names, range=SERIES_COLOURS[: len(names)])),
        shape=alt.value("diamond"),
        tooltip=[alt.Tooltip("series:N", title=series_title),
                 alt.Tooltip("sample:Q", title=sample_title),
                 alt.Tooltip("at:Q", title=x_title, format=".4g"),
                 alt.Tooltip("value:Q", title=y_title, format=".6g")])
    # a point moved into the plot is labelled with what it holds (MSE's 9 at an error of 3)
    moved = alt.Chart(points[points["flag"] != ""]).mark_text(
        dy=12, color=RED, fontWeight="bold").encode(
        x=x, y=alt.Y("shown:Q", scale=y_scale), text=alt.Text("flag:N"))
    return alt.layer(*rules, line, dots, moved).properties(
        title=wrapped(title, title_width), height=height)


def ctc_lattices(
    cells: pd.DataFrame,
    path: pd.DataFrame,
    *,
    title: str,
    occupancy_title: str,
    x_title: str,
    y_title: str,
    color_title: str,
    occupancy_color_title: str,
    path_title: str,
    open_title: str,
) -> alt.LayerChart:
    """CTC's two lattices of one sample, one above the other on the same time axis: log α, and
    below it (under its own title, a row of the chart) the share of all alignments through each
    cell: the paths that add up to the loss. One layered chart, not two concatenated: Streamlit
    stretches a concatenated chart's parts to the column's width and its axes and legends then
    spill over the edge."""
    labels = _state_labels(cells, path)
    # the lower lattice's first row: the two rows between hold its title (one row of a long
    # target's lattice, 15 px, left the bold title touching the upper lattice)
    below = len(labels) + 2
    axis_labels = [*labels, "", "", *labels]
    x, y = _lattice_axes(path, axis_labels, x_title, y_title)
    texts = {"x_title": x_title, "y_title": y_title, "path_title": path_title,
             "open_title": open_title}
    heading = alt.Chart(pd.DataFrame({"x0": [-0.5], "y0": [below - 1.5],
                                      "text": [occupancy_title]})
                        ).mark_text(align="left", baseline="middle", fontWeight="bold",
                                    fontSize=13).encode(x=x, y=y, text=alt.Text("text:N"))
    layers = [*_lattice_layers(cells, path, x, y, "log_alpha", color_title, **texts),
              heading,
              *_lattice_layers(cells, path, x, y, "occupancy", occupancy_color_title,
                               offset=below, **texts)]
    height = 140 + min(22 * len(axis_labels), 900)
    return alt.layer(*layers).resolve_scale(color="independent").properties(
        title=title, height=height)


def _state_labels(cells: pd.DataFrame, path: pd.DataFrame) -> list[str]:
    names = dict(zip(path["s"], path["state"], strict=False)) | dict(
        zip(cells["s"], cells["state"], strict=False))
    return [names.get(s, str(s)) for s in range(max(names, default=0) + 1)]


def _lattice_axes(path: pd.DataFrame, labels: list[str], x_title: str,
                  y_title: str) -> tuple[alt.X, alt.Y]:
    """Time across, one row per label down (the first at the top), cells one unit wide."""
    label_expr = "[" + ",".join(repr(label) for label in labels) + "][datum.value]"
    x = alt.X("x0", type="quantitative", title=x_title,
              scale=alt.Scale(domain=[-0.5, float(path["time"].max()) + 0.5], nice=False),
              axis=alt.Axis(tickMinStep=1, format="d"))
    y = alt.Y("y0", type="quantitative", title=y_title,
              scale=alt.Scale(domain=[-0.5, len(labels) - 0.5], nice=False, reverse=True,
                              zero=False),
              axis=alt.Axis(tickMinStep=1, labelExpr=label_expr, values=list(range(len(labels)))))
    return x, y


def _lattice_layers(cells: pd.DataFrame, path: pd.DataFrame, x: alt.X, y: alt.Y, value: str,
                    color_title: str, *, x_title: str, y_title: str, path_title: str,
                    open_title: str, offset: int = 0) -> list:
    """The heatmap of value over the lattice's cells (a cell off every complete path grey) and
    the most probable alignment over it, offset rows down."""
    complete = cells["complete"] if "complete" in cells else pd.Series(True, index=cells.index)
    boxes = cells.assign(x0=cells["time"] - 0.5, x1=cells["time"] + 0.5,
                         y0=cells["s"] + offset - 0.5, y1=cells["s"] + offset + 0.5,
                         complete=complete, open=complete.map({True: "", False: open_title}))
    scale = alt.Scale(scheme="viridis") if value == "log_alpha" else alt.Scale(
        scheme="blues", domain=[0, 1])
    heat = alt.Chart(boxes).mark_rect(stroke="#ffffff", strokeWidth=0.5).encode(
        x=x, x2=alt.X2("x1"), y=y, y2=alt.Y2("y1"),
        color=alt.condition("datum.complete", alt.Color(
            value, type="quantitative", title=color_title, scale=scale,
            legend=alt.Legend(gradientLength=120)), alt.value("#e4e4e4")),
        tooltip=[alt.Tooltip("time", type="quantitative", title=x_title),
                 alt.Tooltip("state", type="nominal", title=y_title),
                 alt.Tooltip(value, type="quantitative", title=color_title, format=".4g"),
                 alt.Tooltip("open", type="nominal", title=" "),
                 *[alt.Tooltip(column, type="quantitative", format=".4g")
                   for column in ("log_alpha", "log_beta", "occupancy")
                   if column in cells and column != value]])
    line = alt.Chart(path.assign(x0=path["time"], y0=path["s"] + offset)).mark_line(
        color=RED, strokeWidth=2.5,
        point=alt.OverlayMarkDef(color=RED, size=40)).encode(
        x=x, y=y, tooltip=[alt.Tooltip("time", type="quantitative", title=x_title),
                           alt.Tooltip("state", type="nominal", title=path_title),
                           alt.Tooltip("log_prob", type="quantitative", format=".4g")])
    return [heat, line]
