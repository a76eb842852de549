"""The normalisation lesson's charts: the N × C × (H·W) cube with the block a layer normalises
together, and BatchNorm's running statistics pass by pass beside the course's hand update."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts.common import (
    PALETTE,
    epoch_axis,
    view_dashes,
    view_detail,
    view_tooltip,
    wrapped,
)
from core.compare import VIEW

# The cube's size on screen whatever its shape: N across, H·W up, C into the page at an angle
WIDE, HIGH, DEEP = 4.0, 3.0, 2.6
SLANT = (0.55, 0.4)  # how far one unit of depth moves right and up
CUBE, BLOCK, EDGE = "#e6ecf5", PALETTE[0], "#ffffff"
TITLE_WIDTH = 44  # characters of a title line: the cube's chart is half a lesson's view


def _point(n: float, h: float, c: float, shape: tuple[int, int, int]) -> list[float]:
    """Screen position of a corner at (sample n, position h, channel c) of an N × C × HW cube."""
    samples, channels, positions = shape
    x, y, z = n * WIDE / samples, h * HIGH / positions, c * DEEP / channels
    return [x + z * SLANT[0], y + z * SLANT[1]]


def _quad(corners: list[tuple[float, float, float]], shape, properties: dict) -> dict:
    ring = [_point(*corner, shape) for corner in corners]
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}


def _faces(shape: tuple[int, int, int], bounds: tuple[tuple[int, int], ...], part: str,
           names: dict[str, str]) -> list[dict]:
    """The three faces one sees of the box bounds ((n0, n1), (c0, c1), (h0, h1)) of the cube of
    shape, a quadrilateral per cell: the front (its first channel), the top (its last position)
    and the right side (its last sample). Each cell names the value it shows."""
    (n0, n1), (c0, c1), (h0, h1) = bounds

    def cell(n: int, c: int, h: int) -> dict:
        return {"part": part, "where": f"{names['n']} {n}, {names['c']} {c}, {names['hw']} {h}"}

    quads = [_quad([(n, h, c0), (n + 1, h, c0), (n + 1, h + 1, c0), (n, h + 1, c0)], shape,
                   cell(n, c0, h)) for n in range(n0, n1) for h in range(h0, h1)]
    quads += [_quad([(n, h1, c), (n + 1, h1, c), (n + 1, h1, c + 1), (n, h1, c + 1)], shape,
                    cell(n, c, h1 - 1)) for n in range(n0, n1) for c in range(c0, c1)]
    quads += [_quad([(n1, h, c), (n1, h, c + 1), (n1, h + 1, c + 1), (n1, h + 1, c)], shape,
                    cell(n1 - 1, c, h)) for c in range(c0, c1) for h in range(h0, h1)]
    return quads


def cube(shape: tuple[int, int, int], block: tuple[tuple[int, int], ...] | None,
         names: dict[str, str], *, title: str, legend: dict[str, str], height: int,
         title_width: int = TITLE_WIDTH) -> alt.LayerChart:
    """The N × C × (H·W) cube of shape (samples, channels, positions), every value a cell, with
    block ((n0, n1), (c0, c1), (h0, h1)), the values normalised together, drawn over it in blue
    (None: no block, where torch refuses the layer). names: the axes' short names ("n", "c",
    "hw") and their labels ("N", "C", "H·W"); legend: the two parts' names."""
    samples, channels, positions = shape
    features = _faces(shape, ((0, samples), (0, channels), (0, positions)), legend["cube"], names)
    if block is not None:
        features += _faces(shape, block, legend["block"], names)
    parts = [legend["cube"], legend["block"]]
    cells = alt.Chart().mark_geoshape(stroke=EDGE, strokeWidth=1.2).encode(
        color=alt.Color("properties.part:N", title=None, sort=parts,
                        scale=alt.Scale(domain=parts, range=[CUBE, BLOCK]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("properties.where:N", title=" ")])
    labels = pd.DataFrame([
        {"text": names["N"], "at": _point(samples / 2, -0.35 * positions / HIGH, 0, shape)},
        {"text": names["HW"], "at": _point(-0.3 * samples / WIDE, positions / 2, 0, shape)},
        {"text": names["C"], "at": _point(samples + 0.3 * samples / WIDE, -0.2 * positions / HIGH,
                                          channels / 2, shape)}])
    axes = alt.Chart(labels.assign(x=labels["at"].str[0], y=labels["at"].str[1])).mark_text(
        fontSize=15, fontWeight="bold", color="#333333").encode(
        longitude=alt.Longitude("x:Q"), latitude=alt.Latitude("y:Q"), text=alt.Text("text:N"))
    # one constructor with the cells' GeoJSON: Altair deep-copies a chart's data at every
    # chained call, and the cells are hundreds of polygons
    return alt.LayerChart(
        layer=[cells, axes], projection=alt.Projection(type="identity", reflectY=True),
        title=wrapped(title, title_width), height=height,
        data=alt.InlineData(values={"type": "FeatureCollection", "features": features},
                            format=alt.DataFormat(property="features", type="json")))


def running_stats(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str,
                  feature_title: str, torch_label: str, hand_label: str, width: int,
                  height: int) -> alt.FacetChart:
    """Running mean and running variance per feature after each pass (rows pass, feature,
    statistic (its name), source (torch_label or hand_label), value[, view]), a panel per
    statistic: torch's as lines, the course's hand update as crosses, on the line where they
    agree."""
    tooltip = [alt.Tooltip("source:N", title=" "), alt.Tooltip("feature:O", title=feature_title),
               alt.Tooltip("pass:Q", title=x_title), alt.Tooltip("value:Q", title=y_title,
                                                                  format=".6g")]
    tooltip = [view_tooltip(), *tooltip] if VIEW in frame else tooltip
    base = alt.Chart().encode(
        x=epoch_axis(x_title, "pass"), y=alt.Y("value:Q", title=y_title),
        color=alt.Color("feature:O", title=feature_title, scale=alt.Scale(scheme="viridis"),
                        legend=alt.Legend(orient="bottom", direction="horizontal")),
        tooltip=tooltip)
    lines = base.transform_filter(alt.datum.source == torch_label).mark_line(
        strokeWidth=2, point=True).encode(detail=view_detail(frame, "feature"),
                                          **view_dashes(frame, legend="bottom"))
    crosses = base.transform_filter(alt.datum.source == hand_label).mark_point(
        shape="cross", size=120, strokeWidth=2.5, filled=False).encode(
        shape=alt.Shape("source:N", title=None, legend=alt.Legend(orient="bottom",
                                                                  labelLimit=400)))
    return alt.layer(lines, crosses, data=frame).properties(width=width, height=height).facet(
        column=alt.Column("statistic:N", title=None, sort=list(dict.fromkeys(frame["statistic"])),
                          header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
    ).resolve_scale(y="independent").properties(title=title)
