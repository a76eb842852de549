"""The terrain lesson's charts: the sharpness and the loss as the run trains (redrawn live: no
data in their specs, the rows are sent at draw time), the loss slice with its path, the line
from the initial weights, the cloud of mini-batch gradients, and the network drawn to be clicked.

A pinned run A beside the run B: in the curves A is dashed (common.view_dash); the slices and
clouds are drawn side by side, each view its own chart, on the scales the page gives both."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.common import (
    PALETTE,
    POSITIVE,
    RED,
    VIEW_LEGEND_ROOM,
    epoch_axis,
    red_rules,
    view_dash,
    view_tooltip,
    wrapped,
)
from core.compare import VIEW

BAND_OPACITY = 0.12
# The network drawing's click selections, one a layer (a parameter shared by two layers of a
# chart left it undrawn): Streamlit returns each one's fields
PICKS = ("connection", "neuron")


def run_curves(*, title: str, x_title: str, y_title: str, height: int,
               thresholds: tuple[tuple[float, str], ...] = (), band: float = 0.0,
               nonfinite: tuple[tuple[int, str], ...] = (),
               views: tuple[str, str] | None = None) -> alt.LayerChart:
    """A value over the epochs on a log axis (rows epoch, series, value; a VIEW column with
    views; the title names the series: no legend but A's and B's), with horizontal dashed rules
    at thresholds (value, label), each in a shaded band of ±band of it, and a red rule at each
    epoch of nonfinite (epoch, label) where a run's value stops being finite (it leaves the log
    axis there: said, not dropped)."""
    tooltip = [alt.Tooltip("series:N", title=" "), alt.Tooltip("epoch:Q", title=x_title),
               alt.Tooltip("value:Q", title=y_title, format=".6g")]
    lines = alt.Chart().transform_filter(POSITIVE).mark_line(strokeWidth=2).encode(
        x=epoch_axis(x_title),
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(type="log", nice=False),
                axis=alt.Axis(format="~g")),
        color=alt.Color("series:N", title=None, scale=alt.Scale(range=PALETTE), legend=None),
        tooltip=tooltip if views is None else [view_tooltip(), *tooltip])
    if views is not None:
        lines = lines.encode(detail=alt.Detail(f"{VIEW}:N"),
                             strokeDash=view_dash(list(views), legend="bottom"))
    layers = [lines]
    if thresholds:
        rows = pd.DataFrame([{"value": value, "low": value * (1 - band),
                              "high": value * (1 + band), "label": label}
                             for value, label in thresholds])
        rule = alt.Chart(alt.InlineData(values=rows.to_dict("records")))
        if band:
            layers.append(rule.mark_rect(color=PALETTE[3], opacity=BAND_OPACITY).encode(
                y=alt.Y("low:Q"), y2=alt.Y2("high:Q")))
        layers += [rule.mark_rule(color="#333333", strokeDash=[6, 3], strokeWidth=1.5).encode(
                       y=alt.Y("value:Q"),
                       tooltip=[alt.Tooltip("label:N", title=" "),
                                alt.Tooltip("value:Q", format=".6g")]),
                   rule.mark_text(align="right", baseline="bottom", dx=-4, dy=-2, fontSize=14,
                                  fontWeight="bold", color="#333333").encode(
                       x=alt.value("width"), y=alt.Y("value:Q"), text=alt.Text("label:N"))]
    if nonfinite:
        layers += red_rules(pd.DataFrame(list(nonfinite), columns=["x", "label"]), "epoch")
    return alt.layer(*layers).properties(
        title=title, height=height + (VIEW_LEGEND_ROOM if views else 0))


def loss_slice(cells: pd.DataFrame, path: pd.DataFrame, *, bands: tuple[str, ...], title: str,
               a_title: str, b_title: str, loss_title: str, epoch_title: str,
               nonfinite: str, height: int, span: float,
               legend_below: bool = False) -> alt.LayerChart:
    """The slice as a filled contour map: each cell (a, b) coloured by its loss's band
    (column level, one of bands in order: the page gives two views the same bands), a loss
    that is not finite in red (nonfinite); the path (epoch, a, b, loss) on it, its start a
    hollow circle and its end, the weights themselves, a filled one. span: the axes' reach;
    legend_below: the bands' legend under the map, two to a row (a half-width chart, beside
    another run's, has no room for it at the right)."""
    step = float(cells["a"].diff().abs().replace(0, pd.NA).dropna().min()) \
        if len(cells) > 1 else 1.0
    boxes = cells.assign(a1=cells["a"] - step / 2, a2=cells["a"] + step / 2,
                         b1=cells["b"] - step / 2, b2=cells["b"] + step / 2)
    axis_a = alt.Scale(domain=[-span - step / 2, span + step / 2], nice=False, zero=False)
    axis_b = alt.Scale(domain=[-span - step / 2, span + step / 2], nice=False, zero=False)
    overflowed = bool((cells["level"] == nonfinite).any())
    domain = [*bands, *([nonfinite] if overflowed else [])]
    colours = _viridis(len(bands)) + ([RED] if overflowed else [])
    contour = alt.Chart(boxes).mark_rect(strokeWidth=0.5).encode(
        x=alt.X("a1:Q", scale=axis_a, title=a_title), x2=alt.X2("a2"),
        y=alt.Y("b1:Q", scale=axis_b, title=b_title), y2=alt.Y2("b2"),
        color=alt.Color("level:N", title=loss_title, sort=domain,
                        scale=alt.Scale(domain=domain, range=colours),
                        legend=alt.Legend(orient="bottom", columns=2, symbolType="square")
                        if legend_below else alt.Legend(orient="right", symbolType="square")),
        stroke=alt.Stroke("level:N", sort=domain, scale=alt.Scale(domain=domain,
                                                                  range=colours), legend=None),
        tooltip=[alt.Tooltip("a:Q", format=".3g", title=a_title),
                 alt.Tooltip("b:Q", format=".3g", title=b_title),
                 alt.Tooltip("loss:Q", format=".5g", title=loss_title)])
    inside = path[path["a"].abs().le(span * 1.02) & path["b"].abs().le(span * 1.02)]
    tips = [alt.Tooltip("epoch:Q", title=epoch_title), alt.Tooltip("a:Q", format=".4g"),
            alt.Tooltip("b:Q", format=".4g"), alt.Tooltip("loss:Q", format=".5g",
                                                          title=loss_title)]
    route = alt.Chart(inside).encode(x=alt.X("a:Q", scale=axis_a), y=alt.Y("b:Q", scale=axis_b),
                                     tooltip=tips)
    ends = alt.Chart(pd.concat([inside.head(1).assign(end=0), inside.tail(1).assign(end=1)]))
    layers = [contour,
              route.mark_line(color="white", strokeWidth=4, clip=True).encode(
                  order=alt.Order("epoch:Q")),
              route.mark_line(color="#111111", strokeWidth=1.8, clip=True,
                              point=alt.OverlayMarkDef(size=12, color="#111111")).encode(
                  order=alt.Order("epoch:Q"))]
    for end, filled in ((0, False), (1, True)):  # the start hollow, the weights now filled
        layers.append(ends.transform_filter(alt.datum.end == end).mark_point(
            size=150, strokeWidth=2.5, color="#111111", filled=filled, opacity=1,
            clip=True).encode(x=alt.X("a:Q", scale=axis_a), y=alt.Y("b:Q", scale=axis_b),
                              tooltip=tips))
    return alt.layer(*layers).properties(title=wrapped(title, 44), height=height)


def _viridis(count: int) -> list[str]:
    """count colours from viridis, dark (low loss: the valleys) to light."""
    stops = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
             "#6ece58", "#b5de2b", "#fde725"]
    if count <= 1:
        return stops[:1]
    return [stops[round(i * (len(stops) - 1) / (count - 1))] for i in range(count)]


def interpolation(line: pd.DataFrame, *, title: str, x_title: str, y_title: str,
                  marks: tuple[tuple[float, str], ...], height: int) -> alt.LayerChart:
    """The loss along the straight line from the initial weights (alpha 0) to the current ones
    (alpha 1), a little beyond each (rows alpha, loss, and a VIEW column with a pinned run, A
    dashed); grey rules at marks (alpha, label). A loss that is not finite or not positive
    cannot sit on the log axis: such points are drawn on a red rule instead."""
    views = list(dict.fromkeys(line[VIEW])) if VIEW in line else None
    good = line[line["loss"].map(lambda v: v == v and 0 < v < float("inf"))]
    tooltip = [alt.Tooltip("alpha:Q", title=x_title, format=".3f"),
               alt.Tooltip("loss:Q", title=y_title, format=".6g")]
    curve = alt.Chart(good).mark_line(strokeWidth=2.5, color=PALETTE[0]).encode(
        x=alt.X("alpha:Q", title=x_title),
        y=alt.Y("loss:Q", title=y_title, scale=alt.Scale(type="log"),
                axis=alt.Axis(format="~g")),
        tooltip=tooltip if views is None else [view_tooltip(), *tooltip])
    if views is not None:
        curve = curve.encode(strokeDash=view_dash(views, legend="top"),
                             detail=alt.Detail(f"{VIEW}:N"))
    rules = alt.Chart(pd.DataFrame(list(marks), columns=["alpha", "label"]))
    layers = [curve, rules.mark_rule(color="#7f7f7f", strokeDash=[4, 3]).encode(
                  x=alt.X("alpha:Q")),
              rules.mark_text(align="left", dx=4, baseline="top", color="#555555").encode(
                  x=alt.X("alpha:Q"), y=alt.value(4), text=alt.Text("label:N"))]
    bad = line[~line.index.isin(good.index)]
    if len(bad):
        layers += red_rules(pd.DataFrame({"x": [float(bad["alpha"].iloc[0])],
                                          "label": ["∞"]}), "alpha")
    return alt.layer(*layers).properties(title=wrapped(title, 32), height=height)


def noise_cloud(spread: pd.DataFrame, *, title: str, along_title: str, across_title: str,
                batch_label: str, full_label: str, height: int, reach: float) -> alt.LayerChart:
    """Mini-batch gradients (rows kind "batch", along, across) around the full-batch gradient
    (kind "full") and an arrow from the origin to it, both axes from −reach to reach (the page
    gives two views the same)."""
    names = {"batch": batch_label, "full": full_label}
    points = spread.assign(name=spread["kind"].map(names))
    scale = alt.Scale(domain=[-reach, reach], nice=False, zero=False)
    order = [batch_label, full_label]
    base = alt.Chart(points).encode(
        x=alt.X("along:Q", title=along_title, scale=scale),
        y=alt.Y("across:Q", title=across_title, scale=scale),
        color=alt.Color("name:N", title=None, sort=order,
                        scale=alt.Scale(domain=order, range=[PALETTE[1], PALETTE[0]]),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("name:N", title=" "), alt.Tooltip("along:Q", format=".4g"),
                 alt.Tooltip("across:Q", format=".4g")])
    full = points[points["kind"] == "full"]
    arrow = alt.Chart(full.assign(x0=0.0, y0=0.0)).mark_rule(
        strokeWidth=2.5, color=PALETTE[0], clip=True).encode(
        x=alt.X("x0:Q", scale=scale), y=alt.Y("y0:Q", scale=scale), x2=alt.X2("along"),
        y2=alt.Y2("across"))
    return alt.layer(
        base.transform_filter(alt.datum.kind == "batch").mark_circle(size=30, opacity=0.55,
                                                                      clip=True),
        arrow,
        base.transform_filter(alt.datum.kind == "full").mark_point(
            size=220, filled=True, shape="diamond", opacity=1, clip=True),
        alt.Chart(pd.DataFrame({"x": [0.0], "y": [0.0]})).mark_point(
            shape="cross", size=120, color="#111111").encode(
            x=alt.X("x:Q", scale=scale), y=alt.Y("y:Q", scale=scale)),
    ).properties(title=wrapped(title, 44), height=height)


def network(neurons: pd.DataFrame, edges: pd.DataFrame, *, picked: tuple[int, int, int],
            title: str, layer_title: str, neuron_title: str, source_title: str,
            weight_title: str, grad_title: str, bias_title: str, height: int) -> alt.LayerChart:
    """The network: a connection per weight (rows x, y, x2, y2, layer, neuron, source, weight,
    grad) coloured by its sign and as thick as it is large, a circle per neuron (x, y, layer,
    neuron, source, bias, grad) coloured by its bias; the picked one (layer, neuron, source)
    outlined. A click on a connection selects its fields in the parameter PICKS[0], on a neuron
    in PICKS[1]. A weight that is not finite is drawn red."""
    largest = float(edges["weight"].abs().replace(float("inf"), 0).max()) if len(edges) else 1.0
    largest = largest if largest == largest and largest > 0 else 1.0
    layer, neuron, source = picked
    clicks = [alt.selection_point(name=name, fields=["layer", "neuron", "source"], on="click",
                                  clear=False, toggle=False) for name in PICKS]
    is_picked = (alt.datum.layer == layer) & (alt.datum.neuron == neuron) \
        & (alt.datum.source == source)
    diverging = alt.Scale(scheme="redblue", domain=[-largest, largest], reverse=True)
    finite = edges.assign(finite=edges["weight"].map(lambda v: v == v and abs(v) < float("inf")))
    lines = alt.Chart(finite).mark_rule().encode(
        x=alt.X("x:Q", axis=None, scale=alt.Scale(padding=30)), y=alt.Y("y:Q", axis=None),
        x2=alt.X2("x2"), y2=alt.Y2("y2"),
        color=alt.condition(alt.datum.finite, alt.Color("weight:Q", scale=diverging,
                                                        title=weight_title),
                            alt.value(RED)),
        strokeWidth=alt.condition(is_picked, alt.value(7), alt.StrokeWidth(
            "size:Q", scale=alt.Scale(domain=[0, largest], range=[0.6, 5]), legend=None)),
        opacity=alt.condition(is_picked, alt.value(1.0), alt.value(0.75)),
        tooltip=[alt.Tooltip("layer:Q", title=layer_title),
                 alt.Tooltip("neuron:Q", title=neuron_title),
                 alt.Tooltip("source:Q", title=source_title),
                 alt.Tooltip("weight:Q", title=weight_title, format=".6g"),
                 alt.Tooltip("grad:Q", title=grad_title, format=".4g")],
    ).transform_calculate(size="abs(datum.weight)").add_params(clicks[0])
    circles = alt.Chart(neurons).mark_circle(size=420, opacity=1, stroke="#111111").encode(
        x=alt.X("x:Q"), y=alt.Y("y:Q"),
        color=alt.Color("bias:Q", scale=diverging, legend=None),
        strokeWidth=alt.condition(is_picked, alt.value(4), alt.value(1)),
        tooltip=[alt.Tooltip("layer:Q", title=layer_title),
                 alt.Tooltip("neuron:Q", title=neuron_title),
                 alt.Tooltip("bias:Q", title=bias_title, format=".6g"),
                 alt.Tooltip("grad:Q", title=grad_title, format=".4g")],
    ).transform_filter(alt.datum.layer > 0).add_params(clicks[1])
    # the inputs apart, grey: they have no bias (a colour field without a value drops its mark)
    inputs = alt.Chart(neurons).transform_filter(alt.datum.layer == 0).mark_circle(
        size=420, opacity=1, stroke="#111111", strokeWidth=1, color="#d9d9d9").encode(
        x=alt.X("x:Q"), y=alt.Y("y:Q"), tooltip=[alt.Tooltip("neuron:Q", title=neuron_title)])
    return alt.layer(lines, inputs, circles).properties(title=title, height=height)
