"""The regularisation lesson's charts. The fits and the losses are redrawn while the networks
train: those builders carry no data (their spec is built once per set of titles, each redraw
sends only the rows: ui.charts.show_chart's data), and every row says which series it is."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from core.charts.common import (
    LAYER_LEGEND,
    LOG_LABELS,
    PALETTE,
    POSITIVE,
    VIEW_LEGEND_ROOM,
    epoch_axis,
    red_rules,
    view_dash,
    view_dashes,
    view_detail,
    view_tooltip,
    views_of,
)
from core.compare import VIEW

Y_LIMITS = (-2.5, 2.5)  # the course's plt.ylim: a wild fit runs off the top, as in its figure


def fit_curves(series: tuple[str, ...], *, title: str, x_title: str, y_title: str, height: int,
               views: tuple[str, str] | None = None) -> alt.LayerChart:
    """The two networks' curves over x, and the training and test points (rows x, y, series,
    kind "curve" or "point"; series names them in legend order: the two nets, then the two
    sets of points). A curve leaving the course's y range is cut at its edge; the page says
    where a curve is not finite. views: a pinned A's curves dashed beside B's."""
    colour = alt.Color("series:N", title=None, sort=list(series),
                       scale=alt.Scale(domain=list(series), range=PALETTE[:len(series)]),
                       legend=alt.Legend(orient="top", columns=2, labelLimit=320))
    tooltip = [alt.Tooltip("series:N", title=" "), alt.Tooltip("x:Q", title=x_title, format=".3f"),
               alt.Tooltip("y:Q", title=y_title, format=".4f")]
    base = alt.Chart().encode(
        x=alt.X("x:Q", title=x_title, scale=alt.Scale(domain=[-1.05, 1.05], nice=False)),
        y=alt.Y("y:Q", title=y_title, scale=alt.Scale(domain=list(Y_LIMITS), clamp=True)),
        color=colour, tooltip=tooltip if views is None else [view_tooltip(), *tooltip])
    curves = base.transform_filter(alt.datum.kind == "curve").transform_filter(
        "isFinite(datum.y)").mark_line(strokeWidth=3, clip=True)
    if views is not None:
        curves = curves.encode(detail=alt.Detail(f"{VIEW}:N"),
                               strokeDash=view_dash(list(views), legend="bottom"))
    points = base.transform_filter(alt.datum.kind == "point").mark_point(
        size=90, filled=True, opacity=0.75)
    return alt.layer(curves, points).properties(
        title=title, height=height + (VIEW_LEGEND_ROOM if views else 0))


def fit_rows(curves: pd.DataFrame, points: pd.DataFrame, net_names: dict[str, str],
             set_names: dict[str, str]) -> pd.DataFrame:
    """fit_curves' rows from core.regularisation.fit's frames (curves: x, net, y[, view];
    points: x, y, set), each named in the reader's language."""
    curve_rows = curves.assign(series=curves["net"].map(net_names), kind="curve")
    point_rows = points.assign(series=points["set"].map(set_names), kind="point")
    return pd.concat([curve_rows.drop(columns="net"), point_rows.drop(columns="set")],
                     ignore_index=True)


def loss_curves(nets: tuple[str, ...], sets: tuple[str, ...], *, title: str | list[str],
                x_title: str, y_title: str, height: int,
                stops: tuple[tuple[int, str], ...] = (), views: tuple[str, str] | None = None,
                y_axis_title: bool = True) -> alt.LayerChart:
    """Each network's training and test loss (rows iteration, net, set, value; nets and sets
    name them in legend order, the training set first) on a log scale: a colour per network,
    its test loss fainter. Values that cannot sit on a log axis are left out of the lines, and
    stops (iteration, label) draw a red rule where a loss stops being finite. views: a pinned A
    dashed beside B. Without y_axis_title the axis is left untitled (y_title names the values in
    the tooltip): on a plot shorter than its title, the title ran past the chart's top."""
    tooltip = [alt.Tooltip("net:N", title=" "), alt.Tooltip("set:N", title="  "),
               alt.Tooltip("iteration:Q", title=x_title),
               alt.Tooltip("value:Q", title=y_title, format=".6g")]
    lines = alt.Chart().transform_filter(POSITIVE).mark_line(strokeWidth=2.5).encode(
        x=epoch_axis(x_title, "iteration"),
        y=alt.Y("value:Q", title=y_title if y_axis_title else None, scale=alt.Scale(type="log"),
                axis=alt.Axis(labelExpr=LOG_LABELS)),
        color=alt.Color("net:N", title=None, sort=list(nets),
                        scale=alt.Scale(domain=list(nets), range=PALETTE[:len(nets)]),
                        legend=alt.Legend(orient="top", labelLimit=320)),
        opacity=alt.Opacity("set:N", title=None, sort=list(sets),
                            scale=alt.Scale(domain=list(sets), range=[1.0, 0.4]),
                            legend=alt.Legend(orient="bottom", symbolType="stroke",
                                              symbolStrokeWidth=3)),
        detail=alt.Detail("set:N"),
        tooltip=tooltip if views is None else [view_tooltip(), *tooltip])
    if views is not None:
        lines = lines.encode(detail=[alt.Detail("set:N"), alt.Detail(f"{VIEW}:N")],
                             strokeDash=view_dash(list(views), legend="bottom"))
    rules = red_rules(pd.DataFrame(list(stops), columns=["x", "label"]), "iteration")
    return alt.layer(lines, *rules).properties(
        title=title, height=height + (VIEW_LEGEND_ROOM if views else 0))


def first_nonfinite(losses: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The first iteration where each group's loss is not finite (rows of by, iteration)."""
    bad = losses[~losses["value"].map(math.isfinite)]
    return bad.groupby(by, sort=False, as_index=False)["iteration"].min()


def weight_norms(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str,
                 layer_title: str, width: int, height: int) -> alt.FacetChart:
    """Each layer's weight norm over the iterations (rows iteration, net (its name), layer,
    norm[, view]), a panel per network: weight decay pulls every layer's down. Non-finite norms
    are left out (the losses chart marks where a run diverged)."""
    shown = frame[frame["norm"].map(math.isfinite)]
    tooltip = [alt.Tooltip("net:N", title=" "), alt.Tooltip("layer:O", title=layer_title),
               alt.Tooltip("iteration:Q", title=x_title),
               alt.Tooltip("norm:Q", title=y_title, format=".4f")]
    return alt.Chart(shown).mark_line(strokeWidth=2).encode(
        x=epoch_axis(x_title, "iteration"),
        y=alt.Y("norm:Q", title=y_title),
        color=alt.Color("layer:O", title=layer_title, scale=alt.Scale(scheme="viridis"),
                        legend=LAYER_LEGEND),
        detail=view_detail(shown, "layer"),
        tooltip=[view_tooltip(), *tooltip] if VIEW in shown else tooltip,
        **view_dashes(shown, legend="bottom"),
    ).properties(width=width, height=height).facet(
        column=alt.Column("net:N", title=None, sort=list(dict.fromkeys(shown["net"])),
                          header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
    ).properties(title=title)


def weight_histograms(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str,
                      iteration_title: str, layer_title: str, width: int,
                      height: int) -> alt.FacetChart:
    """What the course logs to TensorBoard: each layer's weight histogram (rows iteration, net
    (its name), layer, weight (a bin's centre), density[, view]) at each display step, later
    steps darker; a row of panels per network, a column per layer, each its own x range."""
    tooltip = [alt.Tooltip("iteration:Q", title=iteration_title),
               alt.Tooltip("weight:Q", title=x_title, format=".4f"),
               alt.Tooltip("density:Q", title=y_title, format=".3g")]
    return alt.Chart(frame).mark_line(strokeWidth=1.5, interpolate="step").encode(
        x=alt.X("weight:Q", title=x_title, axis=alt.Axis(tickCount=3, format="~g")),
        y=alt.Y("density:Q", title=y_title, axis=alt.Axis(tickCount=3)),
        color=alt.Color("iteration:Q", title=iteration_title,
                        scale=alt.Scale(scheme="blues", domainMin=0),
                        legend=alt.Legend(orient="right", format="d")),
        detail=view_detail(frame, "iteration"),
        tooltip=[view_tooltip(), *tooltip] if VIEW in frame else tooltip,
        **view_dashes(frame, legend="bottom"),
    ).properties(width=width, height=height).facet(
        row=alt.Row("net:N", title=None, sort=list(dict.fromkeys(frame["net"])),
                    header=alt.Header(labelFontWeight="bold")),
        column=alt.Column("layer:O", title=layer_title),
    ).resolve_scale(x="independent", y="independent").properties(title=title)


def decay_lines(frame: pd.DataFrame, methods: tuple[str, ...], *, titles: dict[str, str],
                axes: dict[str, str], x_title: str, width: int, height: int,
                legend_columns: int = 3) -> alt.HConcatChart:
    """The weights' norm and the loss (log scale) over the steps, side by side, one line per
    method (rows step, method (its name), loss, norm[, view]), under one legend: the pairs that
    are equal in exact arithmetic in tones of one colour, so that where they lie on each other
    and where they part is seen. Values a panel cannot show are left out of its lines."""
    colour = alt.Color("method:N", title=None, sort=list(methods),
                       scale=alt.Scale(domain=list(methods), range=DECAY_COLOURS),
                       legend=alt.Legend(orient="top", columns=legend_columns, labelLimit=400))
    # the L2 runs thin over their weight_decay twins: where they agree, both are seen
    width_of = alt.StrokeWidth("method:N", legend=None, scale=alt.Scale(
        domain=list(methods), range=DECAY_WIDTHS))
    panels = []
    for y, log in (("norm", False), ("loss", True)):
        shown = frame[frame[y].map(lambda v, log=log: math.isfinite(v) and (v > 0 or not log))]
        tooltip = [alt.Tooltip("method:N", title=" "), alt.Tooltip("step:Q", title=x_title),
                   alt.Tooltip(f"{y}:Q", title=axes[y], format=".6g")]
        panels.append(alt.Chart(shown).mark_line().encode(
            x=epoch_axis(x_title, "step"),
            y=alt.Y(f"{y}:Q", title=axes[y],
                    scale=alt.Scale(type="log") if log else alt.Scale(zero=False)),
            color=colour, detail=view_detail(shown, "method"), strokeWidth=width_of,
            tooltip=[view_tooltip(), *tooltip] if VIEW in shown else tooltip,
            **view_dashes(shown, legend="bottom"),
        ).properties(title=titles[y], width=width, height=height))
    return alt.hconcat(*panels)


# SGD's two ways in blues, Adam's two in oranges, AdamW green
DECAY_COLOURS = [PALETTE[0], "#8fb3e8", PALETTE[1], "#f7c48f", PALETTE[3]]
DECAY_WIDTHS = [5, 2, 5, 2, 2.5]


def dropout_outputs(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str,
                    eval_label: str, mean_label: str, height: int) -> alt.LayerChart:
    """The output of train() forward after forward (rows output[, view]), a histogram, with
    eval()'s output (marks: rows value, label, kind "eval" or "mean"[, view]) and the forwards'
    average as rules: the scaling makes them meet."""
    views = views_of(frame)
    tooltip = [alt.Tooltip("count():Q", title=y_title)]
    bars = alt.Chart(frame).mark_bar(opacity=0.55 if views else 0.85, binSpacing=1).encode(
        x=alt.X("output:Q", title=x_title, bin=alt.Bin(maxbins=30)),
        y=alt.Y("count():Q", title=y_title, stack=None),
        color=alt.Color(f"{VIEW}:N", title=None, sort=views,
                        scale=alt.Scale(domain=views, range=PALETTE[:len(views)]),
                        legend=alt.Legend(orient="top")) if views else alt.value(PALETTE[0]),
        tooltip=[view_tooltip(), *tooltip] if views else tooltip)
    marks = pd.DataFrame([{"value": value, "label": label, "kind": kind,
                           **({VIEW: view} if views else {})}
                          for view, rows in (frame.groupby(VIEW, sort=False) if views
                                             else [(None, frame)])
                          for value, label, kind in (
                              (rows["eval"].iloc[0], eval_label, "eval"),
                              (rows["output"].mean(), mean_label, "mean"))])
    rules = alt.Chart(marks).mark_rule(strokeWidth=2.5).encode(
        x=alt.X("value:Q"),
        color=alt.Color("label:N", title=None, scale=alt.Scale(
            domain=[eval_label, mean_label], range=[PALETTE[2], PALETTE[1]]),
            legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("value:Q", format=",.2f",
                                                                 title=x_title)],
        **view_dashes(marks, legend=None))
    return alt.layer(bars, rules).resolve_scale(color="independent").properties(
        title=title, height=height)
