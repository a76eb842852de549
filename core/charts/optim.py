"""The optimiser lesson's charts (the schedules lesson draws its runs with them too): lines per
series, runs on a 2-D landscape, and the learning-rate × momentum sweep."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from core.charts.common import (
    DASHES,
    LOG_LABELS,
    RED,
    columns_that_fit,
    epoch_axis,
    picked_by_legend,
    red_rules,
    view_dashes,
    view_detail,
    view_tooltip,
)
from core.compare import VIEW
from core.values import finite_positive


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
    integer_x: bool = False,
    colours: list[str] | None = None,
) -> alt.LayerChart:
    """Lines of y against x, one per series. On a log axis, values it cannot show (zero, nan,
    inf) are left out, and so are values below floor; markers (columns x, label) draw a red rule
    where a series diverged, and current draws a grey rule at the step being looked at. With a
    VIEW column (a pinned view beside the current one), A's lines are dashed. More than
    twelve series take twenty colours, so that no two share one. integer_x: x counts steps,
    its ticks are whole numbers. colours: one per series in the order they first appear (a run
    in the landscape's colour). A legend of more than two rows adds its rows to height, so the
    plot keeps its own."""
    shown = long[finite_positive(long[y])] if log_y else long[long[y].map(math.isfinite)]
    if floor is not None:
        shown = shown[shown[y] >= floor]
    order = list(dict.fromkeys(long[series]))
    scale = alt.Scale(type="log") if log_y else alt.Scale()
    legend_columns = columns_that_fit(order, legend_columns)
    legend = alt.Legend(orient="top", columns=legend_columns, labelLimit=1000)
    pick, faded = picked_by_legend(series)
    lines = alt.Chart().mark_line(strokeWidth=2.5).encode(
        **faded,
        x=alt.X(f"{x}:Q", title=x_title,
                axis=alt.Axis(format="d", tickMinStep=1) if integer_x else alt.Axis()),
        y=alt.Y(f"{y}:Q", title=y_title, scale=scale,
                axis=alt.Axis(labelExpr=LOG_LABELS) if log_y else alt.Axis()),
        color=alt.Color(f"{series}:N", title=None, sort=order,
                        scale=alt.Scale(domain=order, range=colours or LINE_COLOURS)
                        if colours or len(order) <= len(LINE_COLOURS)
                        else alt.Scale(scheme="tableau20"),
                        legend=legend),
        tooltip=[alt.Tooltip(f"{series}:N", title=" "), alt.Tooltip(f"{x}:Q", title=x_title),
                 alt.Tooltip(f"{y}:Q", title=y_title, format=".6g")],
        **view_dashes(long),
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
    if markers is not None:
        layers += red_rules(markers, x)
    rows = math.ceil(len(order) / legend_columns)  # a legend's rows beyond two take no plot
    return alt.layer(*layers, data=shown).properties(title=title,
                                                     height=height + 25 * max(rows - 2, 0))


def lr_lines(
    curves: pd.DataFrame,
    *,
    y: str,
    title: str,
    x_title: str,
    y_title: str,
    lr_title: str,
    verdicts: list[str],
    height: int,
    log_y: bool = False,
    floor: float | None = None,
    y_domain: tuple[float, float] | None = None,
    legend_shown: bool = True,
) -> alt.LayerChart:
    """The learning-rate runs (columns iteration, lr, series, verdict, y) as lines coloured by lr
    on a ramp of dark to bright hues (its legend one bar above, however many rates: up to
    thirty), each verdict (in the order of verdicts) its own dash, named by the page's sentence
    under the charts. With a VIEW column, A's lines are dashed instead. On a log axis what it
    cannot show (zero, nan, inf) and values below floor are left out; y_domain clips the y axis
    (x per iteration, where a diverging run would flatten the others). legend_shown False leaves
    the lr bar to a chart beside this one."""
    if log_y:
        shown = curves[finite_positive(curves[y])]
        shown = shown if floor is None else shown[shown[y] >= floor]
    else:
        shown = curves[curves[y].map(math.isfinite)]
    scale = alt.Scale(type="log") if log_y else alt.Scale(domain=list(y_domain), nice=False) \
        if y_domain else alt.Scale()
    compared = VIEW in curves
    dash = view_dashes(curves, "top" if legend_shown else None) if compared else {
        "strokeDash": alt.StrokeDash("verdict:N", legend=None, scale=alt.Scale(
            domain=verdicts, range=DASHES[:len(verdicts)]))}
    lines = alt.Chart(shown).mark_line(strokeWidth=2.5, clip=True).encode(
        x=epoch_axis(x_title, "iteration"),
        y=alt.Y(f"{y}:Q", title=y_title, scale=scale,
                axis=alt.Axis(labelExpr=LOG_LABELS) if log_y else alt.Axis()),
        color=alt.Color("lr:Q", title=lr_title, scale=alt.Scale(
            scheme={"name": "plasma", "extent": [0, 0.8]}),
            legend=alt.Legend(orient="top", gradientLength=220) if legend_shown else None),
        detail=view_detail(curves, "series"),
        tooltip=[*([view_tooltip()] if compared else []), alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("verdict:N", title=" "), alt.Tooltip("iteration:Q", title=x_title),
                 alt.Tooltip(f"{y}:Q", title=y_title, format=".6g")],
        **dash)
    return lines.properties(title=title, height=height)


TRAJECTORY_COLOURS = ["#1f4e9c", "#e8710a", "#2a9d3a", "#9b3fb5"]
# Up to twelve lines (the course's ten rates and the two thresholds), each dark or saturated
# enough to be read on a projector: no light grey, yellow or pastel that vanishes on white
LINE_COLOURS = ["#1f4e9c", "#e8710a", "#117733", "#882255", "#17a2b8", "#8c564b", "#aa4499",
                "#111111", "#999933", "#cc3311", "#332288", "#44aa99"]


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
                        legend=alt.Legend(labelExpr=LOG_LABELS, orient="right")),
        stroke=alt.Stroke("level:Q", scale=shade, legend=None),  # no hairline gaps
        tooltip=[alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f"),
                 alt.Tooltip("loss:Q", title=loss_title, format=".4g")],
    )
    inside = paths[paths["x"].between(x_min, x_max) & paths["y"].between(y_min, y_max)]
    order = list(dict.fromkeys(paths["label"]))
    colours = run_colours(paths)
    columns = columns_that_fit(order, 2)
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
            **view_dashes(paths)))
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
    layers.append(alt.Chart(minima).mark_point(shape="cross", size=140, color=RED,
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
    negative: diverged, or never reached the tolerance) are drawn in black with missing_label.
    On a log colour scale an exact zero (float32 reached the minimum exactly) cannot be placed:
    it takes the colour of the lowest positive value, the best, never the missing black (the
    tooltip keeps the 0)."""
    shown = cells.assign(ok=cells[value].map(lambda v: math.isfinite(v) and v >= 0),
                         shade=cells[value])
    if log_colour:
        positive = shown.loc[shown["ok"] & (shown[value] > 0), value]
        floor = float(positive.min()) if len(positive) else 1.0
        shown["shade"] = shown[value].where(~(shown["ok"] & (shown[value] == 0)), floor)
    tips = [alt.Tooltip("lr:Q", format=".4g"), alt.Tooltip("momentum:Q", format=".4f"),
            alt.Tooltip("final_loss:Q", format=".4g"), alt.Tooltip("diverged_at:Q"),
            alt.Tooltip("steps_to_tol:Q")]
    base = alt.Chart(shown).encode(
        x=alt.X("lr_lo:Q", scale=alt.Scale(type="log", nice=False), title="lr (log)",
                axis=alt.Axis(labelExpr=LOG_LABELS)), x2=alt.X2("lr_hi"),
        y=alt.Y("m_lo:Q", scale=alt.Scale(nice=False, zero=False), title="momentum"),
        y2=alt.Y2("m_hi"), tooltip=tips)
    good = base.transform_filter(alt.datum.ok).mark_rect().encode(
        color=alt.Color("shade:Q", title=value_title,
                        scale=alt.Scale(type="log" if log_colour else "linear",
                                        scheme="viridis", reverse=True),
                        legend=alt.Legend(labelExpr=LOG_LABELS) if log_colour
                        else alt.Legend(format="d")))
    bad = base.transform_filter(~alt.datum.ok).mark_rect(color="#111111")
    label = alt.Chart(pd.DataFrame({"text": [missing_label]})).mark_text(
        align="left", baseline="bottom", color="#111111", fontWeight="bold").encode(
        x=alt.value(0), y=alt.value(-4), text=alt.Text("text:N"))
    return alt.layer(bad, good, label).properties(
        title=title, height=height)
