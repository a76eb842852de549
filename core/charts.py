"""Altair chart builders. Pages pass in tidy DataFrames and the translated labels."""

from __future__ import annotations

import math
import re
import unicodedata

import altair as alt
import pandas as pd

from core.compare import VIEW
from core.values import finite_positive

# Shared data: layers that draw the same DataFrame are built from alt.Chart() and get the frame
# once, from alt.layer(..., data=frame). When every layer carries the same frame, Altair hashes
# the frame's printed text for each layer to hoist it: tens of milliseconds per chart.
# Encodings are channel objects (alt.X("x:Q"), alt.Tooltip(...)), never shorthand strings
# (x="x:Q"): Altair resolves each string against the whole Vega-Lite schema, 3 to 7 ms apiece.

# Measured first and strongest; comparisons (float64, theory) after it in lighter tones.
PALETTE = ["#1f4e9c", "#f28e2b", "#7f7f7f", "#59a14f", "#b07aa1", "#9c755f"]


def view_dash(frame: pd.DataFrame) -> dict:
    """With a pinned view (frame has core.compare.VIEW, A's rows first), the encodings that draw
    A dashed and B solid, and name both in a legend; nothing when the frame has one view."""
    if VIEW not in frame:
        return {}
    views = list(dict.fromkeys(frame[VIEW]))
    return {"strokeDash": alt.StrokeDash(f"{VIEW}:N", title=None, sort=views, scale=alt.Scale(
        domain=views, range=[[6, 4], [1, 0]][-len(views):]),
        legend=alt.Legend(orient="top", symbolType="stroke", symbolStrokeWidth=2.5,
                          symbolSize=400, symbolStrokeColor="#333333"))}


def view_detail(frame: pd.DataFrame, field: str) -> list:
    """The lines to draw apart: one per field value, and per view when a view is pinned."""
    return [alt.Detail(f"{field}:N")] + ([alt.Detail(f"{VIEW}:N")] if VIEW in frame else [])


def layer_lines(
    layers: pd.DataFrame,
    series: dict[str, str],
    *,
    title: str,
    x_title: str,
    y_title: str,
    dashed: list[str],
    nonfinite: list[tuple[int, str]],
    height: int,
) -> alt.LayerChart:
    """Per-layer values of several series on a log scale.

    layers has a column layer and one per series; series maps those columns to their labels, in
    legend order. Values that cannot sit on a log axis (nan, inf, zero) are left out of the lines,
    and a red rule marks each (layer, label) of nonfinite, where a run's measured values stop
    being finite, so nothing disappears silently.

    A frame with a core.compare.VIEW column holds two views (A's rows first): the views are told
    apart by the dash (A dashed, B solid), the series by colour, and the series in dashed are
    drawn thinner instead of dashed."""
    views = list(dict.fromkeys(layers[VIEW])) if VIEW in layers else []
    long = layers.melt(id_vars=["layer", *([VIEW] if views else [])], value_vars=list(series),
                       var_name="series")
    long["series"] = long["series"].map(series)
    shown = long[finite_positive(long["value"])]
    labels = list(series.values())
    tooltip = [alt.Tooltip("series:N", title=" "), alt.Tooltip("layer:Q", title=x_title),
               alt.Tooltip("value:Q", title=y_title, format=".6g")]
    view_encoding = {}
    if views:
        tooltip.insert(0, alt.Tooltip(f"{VIEW}:N", title="  "))
        view_encoding["strokeDash"] = alt.StrokeDash(
            f"{VIEW}:N", title=None, sort=views,
            scale=alt.Scale(domain=views, range=[[6, 4], [1, 0]][: len(views)]),
            # at the right: the series' legend fills the top row
            legend=alt.Legend(orient="right", symbolType="stroke", symbolStrokeWidth=3,
                              symbolSize=400, labelLimit=240))
    base = alt.Chart().encode(  # see "Shared data" above
        x=alt.X("layer:Q", title=x_title, scale=alt.Scale(domain=[0, int(long["layer"].max())])),
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(type="log"),
                axis=alt.Axis(format="~e")),
        color=alt.Color("series:N", title=None, sort=labels,
                        scale=alt.Scale(domain=labels, range=PALETTE[: len(labels)]),
                        legend=alt.Legend(orient="top", labelLimit=320)),
        tooltip=tooltip, **view_encoding,
    )
    is_comparison = alt.FieldOneOfPredicate(field="series", oneOf=dashed)
    comparison = base.transform_filter(is_comparison)
    layers = [  # comparisons underneath, so the measured line stays visible on top
        comparison.mark_line(strokeWidth=1.5, opacity=0.8) if views
        else comparison.mark_line(strokeDash=[6, 4], strokeWidth=2),
        base.transform_filter(~is_comparison).mark_line(  # points would fill A's dashes in
            strokeWidth=3, point=False if views else alt.OverlayMarkDef(size=14)),
    ]
    for row, (layer, label) in enumerate(nonfinite):  # each label a line below the one before
        rule = alt.Chart(pd.DataFrame({"layer": [layer], "label": [label]})).encode(
            x=alt.X("layer:Q"))
        layers += [
            rule.mark_rule(color="#d62728", strokeWidth=2),
            rule.mark_text(align="left", dx=4, dy=-6, color="#d62728", fontWeight="bold")
            .encode(y=alt.value(10 + 18 * row), text=alt.Text("label:N")),
        ]
    return alt.layer(*layers, data=shown).properties(title=title, height=height)


# ---- Loss functions (lessons/loss.py) ---------------------------------------------------------

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


# the lines of losses drawn together: the loss shown solid, the others each dashed its own way,
# so that two that coincide (SmoothL1 and Huber at beta = delta = 1) both stay visible; the
# points' orange (PALETTE[1]) is left to the points
SERIES_COLOURS = [PALETTE[0], "#59a14f", "#7f7f7f", "#b07aa1", "#9c755f", "#e15759"]
SERIES_DASHES = [[1, 0], [8, 4], [2, 3], [12, 3, 3, 3], [5, 2], [1, 5]]


def _series(names: list[str], title: str) -> dict:
    """Colour and dash of each loss's line, under one legend."""
    legend = alt.Legend(orient="top", labelLimit=200, columns=2, symbolType="stroke",
                        symbolStrokeWidth=3, symbolSize=300, title=None)
    return {"color": alt.Color("series:N", sort=names, legend=legend, title=title or None,
                               scale=alt.Scale(domain=names,
                                               range=SERIES_COLOURS[: len(names)])),
            "strokeDash": alt.StrokeDash("series:N", sort=names, legend=legend,
                                         title=title or None, scale=alt.Scale(
                                             domain=names, range=SERIES_DASHES[: len(names)]))}


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
    over B's, under a legend naming both (of a family, each view's own loss only)."""
    title = wrapped(title, title_width)
    if VIEW in curve and "own" in curve:
        curve = curve[curve["own"]].drop(columns=["series", "own"])
    low, high = float(curve["x"].min()), float(curve["x"].max())
    ceiling = float(curve["loss"].max()) if top is None else top
    finite = marks["x"].map(math.isfinite) & marks["loss"].map(math.isfinite)
    above = finite & (marks["loss"] > ceiling)
    shown = marks.assign(
        x=marks["x"].where(finite, low).clip(low, high),
        loss=marks["loss"].where(finite, ceiling).clip(upper=ceiling),
        flag=[nonfinite_label if not ok else f"↑ {value:.3g}" if up else ""
              for ok, up, value in zip(finite, above, marks["loss"], strict=True)],
    )
    x = alt.X("x:Q", title=x_title, scale=alt.Scale(domain=[0 if probability else low, high]))
    y = alt.Y("loss:Q", title=y_title, scale=alt.Scale() if top is None else alt.Scale(
        domain=[min(0.0, float(curve["loss"].min())), top], nice=False))
    sample_tips = [alt.Tooltip("sample:Q", title=sample_title),
                   alt.Tooltip("class:Q", title="class"),
                   alt.Tooltip("x:Q", title=x_title, format=".4g"),
                   alt.Tooltip("sample_loss:Q", title=sample_loss_title, format=".6g")]
    curve_tips = [alt.Tooltip("x:Q", title=x_title, format=".4g"),
                  alt.Tooltip("loss:Q", title=y_title, format=".4g")]
    rules = _threshold_layers(thresholds, x) if thresholds is not None and len(thresholds) \
        else []

    def flags(points: alt.Chart) -> alt.Chart:
        return points.transform_filter("datum.flag != ''").mark_text(
            dy=14, color="#d62728", fontWeight="bold").encode(text=alt.Text("flag:N"))

    if VIEW not in curve:
        if "series" in curve:
            names = list(dict.fromkeys(curve["series"]))
            lines = alt.Chart(curve).mark_line(clip=True).encode(
                x=x, y=y, **_series(names, series_title),
                strokeWidth=alt.condition(alt.datum.own, alt.value(3.5), alt.value(2.5)),
                tooltip=[alt.Tooltip("series:N", title=series_title or " "), *curve_tips])
            own = alt.FieldEqualPredicate(field="own", equal=True)
            line_layers = [lines.transform_filter(own), lines.transform_filter(~own)]
            # the legend's two rows, not taken from the plot, and a taller plot for four lines
            extra = 100
        else:
            line_layers = [alt.Chart(curve).mark_line(color=PALETTE[0], strokeWidth=3,
                                                      clip=True).encode(
                x=x, y=y, tooltip=curve_tips)]
            extra = 0
        points = alt.Chart(shown).encode(x=x, y=y, tooltip=sample_tips)
        return alt.layer(
            *rules,
            *line_layers,
            points.mark_point(size=140, filled=True, color=PALETTE[1], opacity=0.85),
            points.mark_text(dx=9, dy=-9, color=PALETTE[1], fontWeight="bold").encode(
                text=alt.Text("sample:Q")),
            flags(points),
        ).properties(title=title, height=height + extra)
    views = list(dict.fromkeys(curve[VIEW]))  # A, B
    color = alt.Color(f"{VIEW}:N", title=None, sort=views,
                      scale=alt.Scale(domain=views, range=[PALETTE[2], PALETTE[0]]),
                      legend=alt.Legend(orient="top", labelLimit=320))
    dash = alt.StrokeDash(f"{VIEW}:N", sort=views, legend=None,
                          scale=alt.Scale(domain=views, range=[[7, 5], [1, 0]]))
    line = alt.Chart(curve).mark_line(strokeWidth=3, clip=True).encode(
        x=x, y=y, color=color, strokeDash=dash,
        tooltip=[alt.Tooltip(f"{VIEW}:N", title=" "), *curve_tips])
    points = alt.Chart(shown).encode(x=x, y=y, color=color,
                                     tooltip=[alt.Tooltip(f"{VIEW}:N", title=" "), *sample_tips])
    is_a = alt.FieldEqualPredicate(field=VIEW, equal=views[0])
    return alt.layer(  # A over B: where they coincide, A's dashes and rings show on B's line
        *rules,
        line.transform_filter(~is_a),
        line.transform_filter(is_a),
        points.transform_filter(~is_a).mark_point(size=140, filled=True, opacity=0.85),
        points.transform_filter(~is_a).mark_text(dx=9, dy=-9, fontWeight="bold").encode(
            text=alt.Text("sample:Q")),
        points.transform_filter(is_a).mark_point(size=220, filled=False, strokeWidth=2.5),
        flags(points),
    ).properties(title=title, height=height + 40)  # the legend's row, not taken from the plot


# ---- Optimiser lesson (lessons/optim.py) -------------------------------------------------------

DASHES = [[1, 0], [7, 3], [2, 2], [9, 3, 2, 3]]  # solid, dashed, dotted, dash-dot
LEGEND_WIDTH = 620  # pixels a legend may span: a lesson's chart column at 1280 x 720


def _label_width(label: str) -> float:
    """About how many pixels a legend label takes at 11 px: 6.5 a character, 11 a Chinese one,
    and 40 for its symbol and the gap after it."""
    return 40 + sum(11 if unicodedata.east_asian_width(c) in "WF" else 6.5 for c in str(label))


def _legend_columns(labels: list[str], columns: int) -> int:
    """columns, or as many as fit LEGEND_WIDTH side by side: a legend never cuts a label
    (labelLimit is wide), so a column too many runs past the chart's right edge, and the edge
    cut "lr=0.2278 · converges while oscillating" to a wrong "lr=0.2278 · converges"."""
    widest = max((_label_width(label) for label in labels), default=0)
    return max(1, min(columns, int(LEGEND_WIDTH // widest) if widest else columns))


def picked_by_legend(series: str) -> tuple[alt.Parameter, dict]:
    """A click on a legend entry picks that series (shift-click adds one, a click elsewhere
    clears): the others fade, in the browser, with no round trip to the server. The parameter
    to add to the chart, and the opacity encoding that shows the pick."""
    pick = alt.selection_point(fields=[series], bind="legend")
    return pick, {"opacity": alt.condition(pick, alt.value(1.0), alt.value(0.12))}


def optim_curves(
    long: pd.DataFrame,
    *,
    x: str,
    y: str,
    series: str,
    title: str,
    x_title: str,
    y_title: str,
    log_y: bool,
    height: int,
    markers: pd.DataFrame | None = None,
    current: int | None = None,
    floor: float | None = None,
    legend_columns: int = 2,
    dash: tuple[str, list[str]] | None = None,
    integer_x: bool = False,
    colours: list[str] | None = None,
) -> alt.LayerChart:
    """Lines of y against x, one per series. On a log axis, values it cannot show (zero, nan,
    inf) are left out, and so are values below floor; markers (columns x, label) draw a red rule
    where a series diverged, and current draws a grey rule at the step being looked at. With a
    VIEW column (a pinned view beside the current one), A's lines are dashed; otherwise dash,
    (column, its values in order), gives each value its own dash (the lr tab's verdicts). More
    than ten series take twenty colours, so that no two share one. integer_x: x counts steps,
    its ticks are whole numbers. colours: one per series in the order they first appear (a run
    in the landscape's colour). A legend of more than two rows adds its rows to height, so the
    plot keeps its own."""
    shown = long[finite_positive(long[y])] if log_y else long[long[y].map(math.isfinite)]
    if floor is not None:
        shown = shown[shown[y] >= floor]
    order = list(dict.fromkeys(long[series]))
    scale = alt.Scale(type="log") if log_y else alt.Scale()
    legend_columns = _legend_columns(order, legend_columns)
    legend = alt.Legend(orient="top", columns=legend_columns, labelLimit=1000)
    dashes = {}
    if dash is not None and VIEW not in long:  # on the series, so its legend shows the dash too
        legend = alt.Legend(orient="top", columns=legend_columns, labelLimit=1000,
                            symbolType="stroke", symbolSize=500, symbolStrokeWidth=2.5)
        field, kinds = dash
        kind = long.drop_duplicates(series).set_index(series)[field]
        dashes = {"strokeDash": alt.StrokeDash(f"{series}:N", title=None, sort=order,
                                               legend=legend, scale=alt.Scale(domain=order, range=[
                                                   DASHES[kinds.index(kind[name])]
                                                   for name in order]))}
    pick, faded = picked_by_legend(series)
    lines = alt.Chart().mark_line(strokeWidth=2.5).encode(  # see "Shared data" above
        **faded,
        x=alt.X(f"{x}:Q", title=x_title,
                axis=alt.Axis(format="d", tickMinStep=1) if integer_x else alt.Axis()),
        y=alt.Y(f"{y}:Q", title=y_title, scale=scale,
                axis=alt.Axis(format="~e") if log_y else alt.Axis()),
        color=alt.Color(f"{series}:N", title=None, sort=order,
                        scale=alt.Scale(domain=order, range=colours) if colours
                        else alt.Scale(scheme="tableau20") if len(order) > 10 else alt.Scale(),
                        legend=legend),
        tooltip=[alt.Tooltip(f"{series}:N", title=" "), alt.Tooltip(f"{x}:Q", title=x_title),
                 alt.Tooltip(f"{y}:Q", title=y_title, format=".6g")],
        **view_dash(long), **dashes,
    ).add_params(pick)
    if VIEW in long:
        lines = lines.encode(detail=view_detail(long, series), tooltip=[
            alt.Tooltip(f"{VIEW}:N", title=" "), alt.Tooltip(f"{series}:N", title=" "),
            alt.Tooltip(f"{x}:Q", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title,
                                                              format=".6g")])
    layers = [lines]
    if current is not None:
        layers.append(alt.Chart(pd.DataFrame({x: [current]})).mark_rule(color="#7f7f7f")
                      .encode(x=alt.X(f"{x}:Q")))
    if markers is not None and len(markers):
        rule = alt.Chart(markers.rename(columns={"x": x})).encode(x=alt.X(f"{x}:Q"))
        layers += [rule.mark_rule(color="#d62728", strokeWidth=2, strokeDash=[4, 3]),
                   rule.mark_text(align="left", dx=4, color="#d62728", fontWeight="bold")
                   .encode(y=alt.value(12), text=alt.Text("label:N"))]
    rows = math.ceil(len(order) / legend_columns)  # a legend's rows beyond two take no plot
    return alt.layer(*layers, data=shown).properties(title=title,
                                                     height=height + 25 * max(rows - 2, 0))


TRAJECTORY_COLOURS = ["#1f4e9c", "#e8710a", "#2a9d3a", "#9b3fb5"]


def run_colours(paths: pd.DataFrame) -> list[str]:
    """Each run's colour, in the order its labels first appear in paths (columns label, run):
    the landscape and the loss per step draw a run in the same one. With a VIEW column run i has
    colour i in both views, whatever its label says."""
    order = list(dict.fromkeys(paths["label"]))
    if VIEW not in paths:
        return TRAJECTORY_COLOURS[: len(order)]
    runs = list(dict.fromkeys(paths["run"]))
    first_run = paths.drop_duplicates("label").set_index("label")["run"]
    return [TRAJECTORY_COLOURS[runs.index(first_run[label]) % len(TRAJECTORY_COLOURS)]
            for label in order]


def optim_landscape(
    surface: pd.DataFrame,
    paths: pd.DataFrame,
    arrows: pd.DataFrame,
    minima: pd.DataFrame,
    *,
    view: tuple[float, float, float, float],
    title: str,
    loss_title: str,
    height: int,
    evaluations: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """A filled contour of the loss (log colour; cells x..x2, y..y2) with each run's path, its
    current point, and arrows (columns label, x, y, x2, y2, angle, kind) drawn from it; and
    evaluations (label, evaluation, x, y, loss), the points a step's closure evaluated (LBFGS),
    as hollow circles joined in their order. With a VIEW column in paths (a pinned view beside the
    current one), A's paths are dashed and each run keeps its colour in both views."""
    x_min, x_max, y_min, y_max = view
    xs = alt.Scale(domain=[x_min, x_max], nice=False, zero=False)
    ys = alt.Scale(domain=[y_min, y_max], nice=False, zero=False)
    heat = surface.assign(level=surface["loss"].clip(lower=1e-6))
    shade = alt.Scale(type="log", range=["#fbfbf7", "#8a8f99"])  # light valleys, darker hills
    contour = alt.Chart(heat).mark_rect(strokeWidth=0.6).encode(
        x=alt.X("x:Q", scale=xs, title="x"), x2=alt.X2("x2"),
        y=alt.Y("y:Q", scale=ys, title="y"), y2=alt.Y2("y2"),
        color=alt.Color("level:Q", scale=shade, title=loss_title,
                        legend=alt.Legend(format=".0e", orient="right")),
        stroke=alt.Stroke("level:Q", scale=shade, legend=None),  # no hairline gaps
        tooltip=[alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f"),
                 alt.Tooltip("loss:Q", title=loss_title, format=".4g")],
    )
    inside = paths[paths["x"].between(x_min, x_max) & paths["y"].between(y_min, y_max)]
    order = list(dict.fromkeys(paths["label"]))
    colours = run_colours(paths)
    columns = _legend_columns(order, 2)
    colour = alt.Color("label:N", title=None, sort=order,
                       scale=alt.Scale(domain=order, range=colours),
                       legend=alt.Legend(orient="bottom", columns=columns, labelLimit=1000))
    quiet = alt.Color("label:N", sort=order, legend=None,  # the paths' legend is the one key
                      scale=alt.Scale(domain=order, range=colours))
    tips = [*([alt.Tooltip(f"{VIEW}:N", title=" ")] if VIEW in paths else []),
            alt.Tooltip("label:N", title=" "), alt.Tooltip("step:Q"),
            alt.Tooltip("x:Q", format=".5g"), alt.Tooltip("y:Q", format=".5g"),
            alt.Tooltip("loss:Q", format=".5g")]
    now_rows = inside[inside[VIEW] == inside[VIEW].iloc[-1]] if VIEW in paths and len(inside) \
        else inside
    pick, faded = picked_by_legend("label")
    path = alt.Chart(now_rows).mark_line(strokeWidth=2, clip=True,
                                         point=alt.OverlayMarkDef(size=10, clip=True)).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), color=colour, order=alt.Order("step:Q"),
        detail=alt.Detail("label:N"), tooltip=tips, **faded).add_params(pick)
    layers = [contour, path]
    if VIEW in paths:  # both views' lines without points, A dashed (points would hide the dash)
        layers.append(alt.Chart(inside).mark_line(strokeWidth=2.5, clip=True).encode(
            x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), color=quiet,
            order=alt.Order("step:Q"), detail=view_detail(paths, "label"), tooltip=tips,
            **view_dash(paths)))
    if len(arrows):
        shaft = alt.Chart(arrows).encode(
            x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), x2=alt.X2("x2"), y2=alt.Y2("y2"),
            strokeDash=alt.condition(alt.datum.kind == "gradient", alt.value([1, 0]),
                                     alt.value([5, 3])),
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("kind:N"),
                     alt.Tooltip("size:Q", format=".4g")])
        head = alt.Chart(arrows).mark_point(shape="triangle", filled=True, size=90, clip=True,
                                            color="#111111", opacity=1).encode(
            x=alt.X("x2:Q", scale=xs), y=alt.Y("y2:Q", scale=ys), angle=alt.Angle(
                "angle:Q", scale=alt.Scale(domain=[0, 360], range=[0, 360])))
        layers += [shaft.mark_rule(color="#111111", strokeWidth=2.5, clip=True), head]
    if evaluations is not None and len(evaluations):
        inner = evaluations[evaluations["x"].between(x_min, x_max)
                            & evaluations["y"].between(y_min, y_max)]
        layers.append(alt.Chart(inner).mark_line(
            strokeWidth=1, strokeDash=[2, 2], clip=True,
            point=alt.OverlayMarkDef(filled=False, size=60, clip=True)).encode(
            x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys),
            color=quiet,
            order=alt.Order("evaluation:Q"), detail=alt.Detail("label:N"),
            tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("evaluation:Q"),
                     alt.Tooltip("x:Q", format=".5g"), alt.Tooltip("y:Q", format=".5g"),
                     alt.Tooltip("loss:Q", format=".5g")]))
    now = paths.groupby("label", sort=False).tail(1) if "current" not in paths else \
        paths[paths["current"]]
    layers.append(alt.Chart(now[now["x"].between(x_min, x_max)
                                & now["y"].between(y_min, y_max)]).mark_point(
        size=160, filled=True, stroke="#111111", strokeWidth=1.5, opacity=1, clip=True).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), color=quiet, tooltip=tips))
    layers.append(alt.Chart(minima).mark_point(shape="cross", size=140, color="#d62728",
                                               filled=True).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys),
        tooltip=[alt.Tooltip("x:Q", format=".4f"), alt.Tooltip("y:Q", format=".4f")]))
    rows = math.ceil(len(order) / columns)  # a legend's rows beyond two take no plot
    return alt.layer(*layers).properties(title=title, height=height + 30 * max(rows - 2, 0))


def optim_sweep(
    cells: pd.DataFrame,
    *,
    value: str,
    log_colour: bool,
    title: str,
    value_title: str,
    missing_label: str,
    height: int,
) -> alt.LayerChart:
    """Heat map over learning rate (log axis) × momentum. Cells where `value` is missing (nan or
    negative: diverged, or never reached the tolerance) are drawn in black with missing_label."""
    ok = cells[value].map(lambda v: math.isfinite(v) and v >= 0 and (v > 0 or not log_colour))
    tips = [alt.Tooltip("lr:Q", format=".4g"), alt.Tooltip("momentum:Q", format=".4f"),
            alt.Tooltip("final_loss:Q", format=".4g"), alt.Tooltip("diverged_at:Q"),
            alt.Tooltip("steps_to_tol:Q")]
    base = alt.Chart(cells.assign(ok=ok)).encode(
        x=alt.X("lr_lo:Q", scale=alt.Scale(type="log", nice=False), title="lr (log)",
                axis=alt.Axis(format="~e")), x2=alt.X2("lr_hi"),
        y=alt.Y("m_lo:Q", scale=alt.Scale(nice=False, zero=False), title="momentum"),
        y2=alt.Y2("m_hi"), tooltip=tips)
    good = base.transform_filter(alt.datum.ok).mark_rect().encode(
        color=alt.Color(f"{value}:Q", title=value_title,
                        scale=alt.Scale(type="log" if log_colour else "linear",
                                        scheme="viridis", reverse=True),
                        legend=alt.Legend(format="~e" if log_colour else "d")))
    bad = base.transform_filter(~alt.datum.ok).mark_rect(color="#111111")
    label = alt.Chart(pd.DataFrame({"text": [missing_label]})).mark_text(
        align="left", baseline="bottom", color="#111111", fontWeight="bold").encode(
        x=alt.value(0), y=alt.value(-4), text=alt.Text("text:N"))
    return alt.layer(bad, good, label).properties(
        title=title, height=height)


# ---- Initialisation lesson (lessons/init.py) ------------------------------------------------

def init_matrix(
    frame: pd.DataFrame, *, value: str, healthy: str, rows: list[str], columns: list[str],
    chosen: tuple[str, str], title: str, value_title: str, healthy_label: str, height: int,
    pinned_label: str | None = None,
) -> alt.LayerChart:
    """A heatmap of one value per (activation, scheme) cell, on a log colour scale centred on 1.

    frame has columns activation, scheme, row, column (their labels), value (numbers, possibly
    nan/inf/0), healthy (bool) and label (the text shown in the cell, which says "nan" or "inf"
    where the value is not finite). Cells whose value cannot sit on the log scale are grey with
    their label, never dropped; cells inside the healthy band get a thick green outline, the chosen
    (activation, scheme) a black one. A click on a cell selects it: the selection parameter "cell"
    carries its activation and scheme.

    With pinned_label (a pinned view's name), frame also has columns pinned and pinned_healthy:
    that view's value and verdict for the same cell, which each cell's tooltip adds."""
    # The look of each cell is data through fixed scales: Altair takes about 15 ms to build each
    # alt.condition, several times the rest of the chart. (scale=None breaks Streamlit's chart
    # code in a layer with a selection.) log10 is 0 where the value has no logarithm (Vega-Lite
    # would drop a cell with a null colour); a grey cell covers it.
    on_scale = finite_positive(frame[value])
    log10 = [math.log10(v) if ok else 0.0 for v, ok in zip(frame[value], on_scale, strict=True)]
    shown = frame.assign(on_scale=on_scale, log10=log10,
                         ink=["white" if abs(v) > 3 else "black" for v in log10])
    base = alt.Chart().encode(  # see "Shared data" above
        x=alt.X("column:N", sort=columns, title=None,
                axis=alt.Axis(labelAngle=-30, labelLimit=160, labelOverlap=False)),
        y=alt.Y("row:N", sort=rows, title=None),
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
    cells = base.mark_rect().encode(
        tooltip=tooltip,
        color=alt.Color("log10:Q", title=f"log10 {value_title}",
                        scale=alt.Scale(scheme="redblue", domain=[-6, 6], clamp=True,
                                        reverse=True, domainMid=0)),
        stroke=alt.Stroke(f"{healthy}:N", legend=None, scale=alt.Scale(
            domain=[True, False], range=["#1b7837", "white"])),
        strokeWidth=alt.StrokeWidth(f"{healthy}:N", legend=None, scale=alt.Scale(
            domain=[True, False], range=[4, 1])),
    ).add_params(pick)
    not_finite = base.transform_filter("!datum.on_scale").mark_rect(
        color="#bdbdbd", stroke="white", strokeWidth=1)
    activation, scheme = chosen
    chosen_outline = base.transform_filter(
        (alt.datum.activation == activation) & (alt.datum.scheme == scheme)).mark_rect(
        fill=None, stroke="black", strokeWidth=3, strokeDash=[4, 2])
    text = base.mark_text(fontSize=12, fontWeight="bold").encode(
        text=alt.Text("label:N"), color=alt.Color("ink:N", legend=None, scale=alt.Scale(
            domain=["white", "black"], range=["white", "black"])))
    # a fixed size per cell: a chart of bands does not stretch to its container
    return alt.layer(cells, not_finite, chosen_outline, text, data=shown).properties(
        title=title, width=alt.Step(58), height=alt.Step(height // len(rows)))


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
        layers += [rule.mark_rule(color="#d62728", strokeWidth=2, strokeDash=[5, 3]),
                   rule.mark_text(align="left", dx=4, dy=-6, color="#d62728")
                   .encode(y=alt.value(12), text=alt.Text("label:N"))]
    return alt.layer(*layers).properties(title=title, height=height)


# ---- Learning-rate schedules (lessons/schedules.py) -------------------------------------------

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
              axis=alt.Axis(format="~e", values=[10.0 ** d for d in decades]))
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
                 alt.Tooltip("value:Q", title=y_title, format=".5g")], **view_dash(steps))
    if VIEW in steps:
        lines = lines.encode(detail=view_detail(steps, "series"))
    layers = [lines]
    if suggested is not None:
        point = now.iloc[[suggested]].assign(label=suggested_label)
        mark = alt.Chart(point).encode(x=x, y=alt.Y("smoothed:Q"), tooltip=[
            alt.Tooltip("label:N", title=" "), alt.Tooltip("lr:Q", format=".3e"),
            alt.Tooltip("smoothed:Q", format=".5g")])
        layers += [mark.mark_point(size=220, filled=True, color="#d62728", opacity=1),
                   mark.mark_text(align="right", dx=-10, dy=-12, color="#d62728",
                                  fontWeight="bold").encode(text=alt.Text("label:N"))]
    if stopped_at is not None:
        rule = alt.Chart(now.iloc[[stopped_at]].assign(label=stopped_label)).encode(x=x)
        layers += [rule.mark_rule(color="#d62728", strokeDash=[4, 3], strokeWidth=2),
                   rule.mark_text(align="right", dx=-4, color="#d62728", fontWeight="bold")
                   .encode(y=alt.value(12), text=alt.Text("label:N"))]
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
    event, named in a legend under the chart. On a log axis a rate of 0 cannot be drawn: it is
    left out of the line. With a VIEW column (a pinned view beside the current one), A's lines
    are dashed instead of the second series of each view."""
    shown = curves[finite_positive(curves["lr"])] if log_y else curves
    order = list(dict.fromkeys(curves["series"]))
    lines = alt.Chart(shown).mark_line(strokeWidth=2.5, interpolate="step-after").encode(
        x=alt.X("epoch:Q", title=x_title, axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("lr:Q", title=y_title, scale=alt.Scale(type="log") if log_y else alt.Scale(),
                axis=alt.Axis(format="~e") if log_y else alt.Axis()),
        color=alt.Color("series:N", title=None, sort=order,
                        scale=alt.Scale(domain=order, range=PALETTE[:len(order)]),
                        legend=alt.Legend(orient="top", columns=2, labelLimit=360)),
        strokeDash=alt.StrokeDash("series:N", sort=order, legend=None, scale=alt.Scale(
            domain=order, range=[[1, 0], [6, 3], [1, 0], [6, 3]][:len(order)])),
        tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("epoch:Q", title=x_title),
                 alt.Tooltip("lr:Q", title=y_title, format=".6g")])
    if VIEW in curves:
        lines = lines.encode(detail=view_detail(curves, "series"), **view_dash(curves), tooltip=[
            alt.Tooltip(f"{VIEW}:N", title=" "), alt.Tooltip("series:N", title=" "),
            alt.Tooltip("epoch:Q", title=x_title), alt.Tooltip("lr:Q", title=y_title,
                                                               format=".6g")])
    if not len(events):
        return lines.properties(title=title, height=height)
    kinds = list(dict.fromkeys(events["label"]))
    rules = alt.Chart(events).mark_rule(strokeWidth=2, strokeDash=[4, 3]).encode(
        x=alt.X("epoch:Q"),
        stroke=alt.Stroke("label:N", title=None, sort=kinds, scale=alt.Scale(
            domain=kinds, range=["#d62728", "#2a9d3a", "#7f7f7f"][:len(kinds)]),
            legend=alt.Legend(orient="bottom", labelLimit=560)),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("epoch:Q", title=x_title)])
    return alt.layer(lines, rules).resolve_scale(color="independent").properties(
        title=title, height=height)

# ---- Training lab (lessons/lab.py) ------------------------------------------------------------
# The lab redraws its charts ten times a second while it trains: these builders carry no data, so
# their spec is built once per set of titles and each redraw sends only the new rows (the frame
# goes to st.vega_lite_chart's data, which every layer without data of its own inherits).

_POSITIVE = "isFinite(datum.value) && datum.value > 0"  # what a log axis can show


def _epoch_axis(title: str) -> alt.X:
    """Epochs are whole numbers: ticks on whole epochs only ("0", not "0.000000" for a run at
    epoch 0, and no 0.5 between the epochs of a short run)."""
    return alt.X("epoch:Q", title=title, axis=alt.Axis(format="d", tickMinStep=1))


def lab_curves(*, title: str, x_title: str, y_title: str, log: bool, height: int,
               views: tuple[str, str] | None = None) -> alt.Chart:
    """Curves over the epochs, from rows epoch, series (translated) and value. On a log scale,
    values that cannot sit on it (zero, nan, inf) are left out of the lines. views: the names of
    a pinned run A and the run B in the rows' core.compare.VIEW column (A dashed)."""
    tooltip = [alt.Tooltip("series:N", title=" "), alt.Tooltip("epoch:Q", title=x_title),
               alt.Tooltip("value:Q", title=y_title, format=".6g")]
    chart = alt.Chart().mark_line(strokeWidth=2).encode(
        x=_epoch_axis(x_title),
        y=alt.Y("value:Q", title=y_title,
                scale=alt.Scale(type="log") if log else alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, scale=alt.Scale(range=PALETTE),
                        legend=alt.Legend(orient="top")),
        tooltip=tooltip if views is None else [_view_tooltip(), *tooltip],
    )
    if views is not None:
        chart = chart.encode(detail=alt.Detail(f"{VIEW}:N"), strokeDash=_view_dash(views))
    # a layer of one: a Vega-Lite view without data must be a layer (a single view requires it)
    return alt.layer(chart.transform_filter(_POSITIVE) if log else chart).properties(
        title=title, height=height + (VIEW_LEGEND_ROOM if views else 0))


def lab_layer_stds(band: tuple[float, float], *, title: str, x_title: str, y_title: str,
                   layer_title: str, band_label: str, height: int,
                   views: tuple[str, str] | None = None) -> alt.LayerChart:
    """Each layer's std (rows epoch, layer, value) over the epochs on a log scale, over the
    healthy band shaded; values that cannot sit on a log axis are left out. views: as in
    lab_curves (a pinned run A dashed beside B)."""
    healthy = alt.InlineData(values=[{"low": band[0], "high": band[1], "label": band_label}])
    shade = alt.Chart(healthy).mark_rect(color="#59a14f", opacity=0.12).encode(
        y=alt.Y("low:Q"), y2=alt.Y2("high:Q"), tooltip=[alt.Tooltip("label:N", title=" ")])
    tooltip = [alt.Tooltip("layer:O", title=layer_title), alt.Tooltip("epoch:Q", title=x_title),
               alt.Tooltip("value:Q", title=y_title, format=".4g")]
    lines = alt.Chart().transform_filter(_POSITIVE).mark_line(strokeWidth=2).encode(
        x=_epoch_axis(x_title),
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(type="log"),
                axis=alt.Axis(format="~e")),
        color=alt.Color("layer:O", title=layer_title, scale=alt.Scale(scheme="viridis"),
                        legend=LAYER_LEGEND),
        tooltip=tooltip if views is None else [_view_tooltip(), *tooltip],
    )
    if views is not None:
        lines = lines.encode(detail=alt.Detail(f"{VIEW}:N"), strokeDash=_view_dash(views))
    return alt.layer(shade, lines).properties(
        title=_title_lines(title), height=height + (VIEW_LEGEND_ROOM if views else 0))


# A network's layers in two columns: seven in one ran past a half-width chart's 200 px
LAYER_LEGEND = alt.Legend(columns=2)


def _title_lines(title: str) -> list[str]:
    """A title with a parenthesis on two lines, the parenthesis second: a half-width chart cut
    "Activation std per layer (last batch of each epoch)" to "… (last batch of each…"."""
    for opening in (" (", "（"):
        head, found, rest = title.partition(opening)
        if found and rest:
            return [head, found.strip() + rest]
    return [title]


# Pixels added to a chart's height for the legend naming A and B: Streamlit fits the whole chart,
# legends and titles included, into its height, so the plot would shrink by as much.
VIEW_LEGEND_ROOM = 40


def _view_dash(views: tuple[str, str]) -> alt.StrokeDash:
    """A pinned run A (views[0]) dashed, the run B solid, a legend naming both (below the plot:
    the series' legend takes the top of a half-width chart)."""
    return alt.StrokeDash(f"{VIEW}:N", title=None, legend=alt.Legend(orient="bottom"),
                          scale=alt.Scale(domain=list(views), range=[[6, 4], [1, 0]]))


def _view_tooltip() -> alt.Tooltip:
    return alt.Tooltip(f"{VIEW}:N", title=" ")


def lab_weights(*, title: str, x_title: str, y_title: str, layer_title: str,
                height: int) -> alt.LayerChart:
    """A histogram of each Linear layer's weights (rows layer, weight), the layers overlaid in
    their own colours."""
    return alt.layer(alt.Chart().mark_bar(opacity=0.55, binSpacing=0).encode(
        x=alt.X("weight:Q", title=x_title, bin=alt.Bin(maxbins=40)),
        y=alt.Y("count():Q", title=y_title, stack=None),
        color=alt.Color("layer:O", title=layer_title, scale=alt.Scale(scheme="viridis"),
                        legend=LAYER_LEGEND),
        tooltip=[alt.Tooltip("layer:O", title=layer_title),
                 alt.Tooltip("count():Q", title=y_title)],
    )).properties(title=title, height=height)


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
) -> alt.LayerChart:
    """Several losses of one element against the same quantity, one line each, dashed each its own
    way (the loss lesson's comparison): curves has loss, x, value; marks (loss, sample, x, value)
    the typed elements on each loss's line. thresholds and top as in loss_curve."""
    names = list(dict.fromkeys(curves["loss"]))
    lines = curves.rename(columns={"loss": "series"})
    ceiling = float(lines["value"].max()) if top is None else top
    finite = marks["x"].map(math.isfinite) & marks["value"].map(math.isfinite)
    points = marks[finite].rename(columns={"loss": "series"})
    points = points.assign(shown=points["value"].clip(upper=ceiling))
    x = alt.X("x:Q", title=x_title, scale=alt.Scale(
        domain=[float(lines["x"].min()), float(lines["x"].max())], nice=False))
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
                 alt.Tooltip("x:Q", title=x_title, format=".4g"),
                 alt.Tooltip("value:Q", title=y_title, format=".6g")])
    # a point above the top sits on it, labelled with its value (MSE's 9 at an error of 3)
    above = alt.Chart(points[points["value"] > ceiling].assign(
        label=[f"↑ {v:.3g}" for v in points["value"][points["value"] > ceiling]])).mark_text(
        dy=12, color="#d62728", fontWeight="bold").encode(
        x=x, y=alt.Y("shown:Q", scale=y_scale), text=alt.Text("label:N"))
    return alt.layer(*rules, line, dots, above).properties(
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
        color="#d62728", strokeWidth=2.5,
        point=alt.OverlayMarkDef(color="#d62728", size=40)).encode(
        x=x, y=y, tooltip=[alt.Tooltip("time", type="quantitative", title=x_title),
                           alt.Tooltip("state", type="nominal", title=path_title),
                           alt.Tooltip("log_prob", type="quantitative", format=".4g")])
    return [heat, line]


def ctc_lattice(
    cells: pd.DataFrame,
    path: pd.DataFrame,
    *,
    title: str,
    x_title: str,
    y_title: str,
    color_title: str,
    path_title: str,
    open_title: str = "",
    value: str = "log_alpha",
) -> alt.LayerChart:
    """CTC's alignment lattice: value (log_alpha, or occupancy: the share of all alignments through
    the cell) as a heatmap over time × extended label (state 0 at the top) and the most probable
    alignment as a line over it. Cells no alignment reaches are left out; cells that α reaches
    but from which the end cannot be reached (complete false; columns of core's lattices) are
    grey, so the coloured band is the paths that add up to the loss. Quantitative axes with cells
    one unit wide: an ordinal heatmap and a line on it do not share one scale."""
    labels = _state_labels(cells, path)
    x, y = _lattice_axes(path, labels, x_title, y_title)
    layers = _lattice_layers(cells, path, x, y, value, color_title, x_title=x_title,
                             y_title=y_title, path_title=path_title, open_title=open_title)
    # the height holds the title and the axes too (the chart is fitted to its container)
    height = 120 + min(22 * len(labels), 600)
    return alt.layer(*layers).properties(title=title, height=height)
