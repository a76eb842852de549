"""Altair chart builders. Pages pass in tidy DataFrames and the translated labels."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.network import finite_positive

# Measured first and strongest; comparisons (float64, theory) after it in lighter tones.
PALETTE = ["#1f4e9c", "#f28e2b", "#7f7f7f", "#59a14f", "#b07aa1", "#9c755f"]


def layer_lines(
    long: pd.DataFrame,
    *,
    title: str,
    x_title: str,
    y_title: str,
    dashed: list[str],
    nonfinite_from: int | None,
    nonfinite_label: str,
    height: int,
) -> alt.LayerChart:
    """Per-layer values of several series on a log scale.

    long has columns layer, series, value. Values that cannot sit on a log axis (nan, inf, zero)
    are left out of the lines, and a red rule marks the first layer where the measured values stop
    being finite, so nothing disappears silently."""
    shown = long[finite_positive(long["value"])]
    series = list(dict.fromkeys(long["series"]))
    base = alt.Chart(shown).encode(
        x=alt.X("layer:Q", title=x_title, scale=alt.Scale(domain=[0, int(long["layer"].max())])),
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(type="log"),
                axis=alt.Axis(format="~e")),
        color=alt.Color("series:N", title=None, sort=series,
                        scale=alt.Scale(domain=series, range=PALETTE[: len(series)]),
                        legend=alt.Legend(orient="top", labelLimit=320)),
        strokeDash=alt.condition(
            alt.FieldOneOfPredicate(field="series", oneOf=dashed),
            alt.value([6, 4]), alt.value([1, 0])),
        strokeWidth=alt.condition(
            alt.FieldOneOfPredicate(field="series", oneOf=dashed), alt.value(2), alt.value(3.5)),
        tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("layer:Q", title=x_title),
                 alt.Tooltip("value:Q", title=y_title, format=".6g")],
    )
    layers = [base.mark_line(point=alt.OverlayMarkDef(size=12))]
    if nonfinite_from is not None:
        marker = pd.DataFrame({"layer": [nonfinite_from], "label": [nonfinite_label]})
        rule = alt.Chart(marker).encode(x="layer:Q")
        layers += [
            rule.mark_rule(color="#d62728", strokeWidth=2),
            rule.mark_text(align="left", dx=4, dy=-6, color="#d62728", fontWeight="bold")
            .encode(y=alt.value(10), text="label:N"),
        ]
    return alt.layer(*layers).properties(title=title, height=height)
