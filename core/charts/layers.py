"""Per-layer lines of a network (the explosion and initialisation lessons)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.common import LOG_LABELS, PALETTE, red_rules, view_dash, views_of
from core.compare import VIEW
from core.values import finite_positive

# Shared data: layers that draw the same DataFrame are built from alt.Chart() and get the frame
# once, from alt.layer(..., data=frame) (see core.charts).
COMPARISON_DASHES = ([7, 3], [2, 2])  # the first comparison dashed, the second dotted


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

    The series in dashed (a float64 run, a theory) are drawn on top of the others, thinner and
    dashed: where they agree with the measured line, both stay visible.

    A frame with a core.compare.VIEW column holds two views (A's rows first): the views are told
    apart by the dash (A dashed, B solid), the series by colour, and the series in dashed are
    drawn thinner instead of dashed."""
    views = views_of(layers)
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
        # at the right: the series' legend fills the top row
        view_encoding["strokeDash"] = view_dash(views, legend="right")
    base = alt.Chart().encode(
        x=alt.X("layer:Q", title=x_title, scale=alt.Scale(domain=[0, int(long["layer"].max())])),
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(type="log"),
                axis=alt.Axis(labelExpr=LOG_LABELS)),
        color=alt.Color("series:N", title=None, sort=labels,
                        scale=alt.Scale(domain=labels, range=PALETTE[: len(labels)]),
                        legend=alt.Legend(orient="top", labelLimit=320)),
        tooltip=tooltip, **view_encoding,
    )
    is_comparison = alt.FieldOneOfPredicate(field="series", oneOf=dashed)
    layers = [  # the measured lines wide underneath, the comparisons thin on top, the first last
        base.transform_filter(~is_comparison).mark_line(  # points would fill A's dashes in
            strokeWidth=4 if not views else 3, opacity=0.75 if not views else 1,
            point=False if views else alt.OverlayMarkDef(size=14)),
        *(base.transform_filter(alt.datum.series == label).mark_line(
            strokeWidth=1.5 if views else 2.5 - 0.5 * rank,
            **({} if views else {"strokeDash": COMPARISON_DASHES[rank % 2]}))
          for rank, label in reversed(list(enumerate(dashed)))),
    ]
    layers += red_rules(pd.DataFrame(nonfinite, columns=["x", "label"]), "layer")
    return alt.layer(*layers, data=shown).properties(title=title, height=height)
