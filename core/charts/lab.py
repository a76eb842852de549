"""The training lab's charts. The lab redraws them ten times a second while it trains: these
builders carry no data, so their spec is built once per set of titles and each redraw sends only
the new rows (the frame goes to st.vega_lite_chart's data, which every layer without data of its
own inherits)."""

from __future__ import annotations

import altair as alt

from core.charts.common import (
    LAYER_LEGEND,
    LOG_LABELS,
    PALETTE,
    POSITIVE,
    VIEW_LEGEND_ROOM,
    epoch_axis,
    title_lines,
    view_dash,
    view_tooltip,
)
from core.compare import VIEW


def lab_curves(*, title: str, x_title: str, y_title: str, log: bool, height: int,
               views: tuple[str, str] | None = None) -> alt.Chart:
    """Curves over the epochs, from rows epoch, series (translated) and value. On a log scale,
    values that cannot sit on it (zero, nan, inf) are left out of the lines. views: the names of
    a pinned run A and the run B in the rows' core.compare.VIEW column (A dashed)."""
    tooltip = [alt.Tooltip("series:N", title=" "), alt.Tooltip("epoch:Q", title=x_title),
               alt.Tooltip("value:Q", title=y_title, format=".6g")]
    chart = alt.Chart().mark_line(strokeWidth=2).encode(
        x=epoch_axis(x_title),
        y=alt.Y("value:Q", title=y_title,
                scale=alt.Scale(type="log") if log else alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, scale=alt.Scale(range=PALETTE),
                        legend=alt.Legend(orient="top")),
        tooltip=tooltip if views is None else [view_tooltip(), *tooltip],
    )
    if views is not None:
        # below the plot: the series' legend takes the top of a half-width chart
        chart = chart.encode(detail=alt.Detail(f"{VIEW}:N"),
                             strokeDash=view_dash(list(views), legend="bottom"))
    # a layer of one: a Vega-Lite view without data must be a layer (a single view requires it)
    return alt.layer(chart.transform_filter(POSITIVE) if log else chart).properties(
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
    lines = alt.Chart().transform_filter(POSITIVE).mark_line(strokeWidth=2).encode(
        x=epoch_axis(x_title),
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(type="log"),
                axis=alt.Axis(labelExpr=LOG_LABELS)),
        color=alt.Color("layer:O", title=layer_title, scale=alt.Scale(scheme="viridis"),
                        legend=LAYER_LEGEND),
        tooltip=tooltip if views is None else [view_tooltip(), *tooltip],
    )
    if views is not None:
        lines = lines.encode(detail=alt.Detail(f"{VIEW}:N"),
                             strokeDash=view_dash(list(views), legend="bottom"))
    return alt.layer(shade, lines).properties(
        title=title_lines(title), height=height + (VIEW_LEGEND_ROOM if views else 0))



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
