"""Altair charts from core.charts, drawn with their finished Vega-Lite spec cached."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.text import presenting

# Every chart's text (axes, legends, titles, text marks) in the page's own fonts: Streamlit's
# Source Sans for Latin, then the subset of Noto Sans CJK SC the app ships in static/ (declared in
# .streamlit/config.toml) for Chinese, which a machine without CJK fonts would draw as boxes.
CHART_FONT = '"Source Sans", "Noto Sans Subset", "Noto Sans SC Subset", sans-serif'


def show_chart(build, *args, stretch: bool = True, key: str | None = None, on_select="ignore",
               data: pd.DataFrame | None = None, **kwargs) -> None:
    """The Altair chart build(*args, **kwargs) from core.charts, across the column (stretch=False:
    at the size the chart sets itself, as a heatmap of bands needs); with large type in presenter
    mode. key and on_select as in st.vega_lite_chart, for a chart that is clicked on.

    The finished Vega-Lite spec is cached on the arguments: building and validating an Altair
    chart costs tens of milliseconds, most of a rerun, and a rerun mostly redraws the same chart.

    data: a chart redrawn with new rows many times a second (a run that trains live). build then
    makes a chart without data (alt.Chart() layers); its spec is cached on the other arguments
    alone and data is sent as it is, so a redraw neither hashes the rows nor rebuilds the spec."""
    large_type = presenting()
    name = f"{build.__module__}.{build.__qualname__}"
    if data is None:
        spec = _chart_spec(build, name, large_type, args, kwargs)
    else:
        spec = _data_less_spec(build, name, large_type, args, tuple(sorted(kwargs.items())))
    # Streamlit's chart theme would override presenter mode's sizes, so it is left out there
    st.vega_lite_chart(data, spec, width="stretch" if stretch else "content",
                       theme=None if large_type else "streamlit", key=key, on_select=on_select)


# Presenter mode's type is this much larger than the page's (20 px against 16 px).
LARGER = 1.25


def _styled(chart, large_type: bool):
    """The chart in presenter mode's large type."""
    if large_type:
        chart = (chart.configure_axis(labelFontSize=16, titleFontSize=18)
                 .configure_legend(labelFontSize=16, titleFontSize=16)
                 .configure_header(labelFontSize=16, titleFontSize=16)
                 .configure_title(fontSize=20, subtitleFontSize=16).configure_text(fontSize=14))
    return chart


OWN_SIZES = ("labelFontSize", "titleFontSize")  # a guide's own (axis, legend, facet header)


def _larger_marks(spec):
    """The spec with every text mark's own font size (a matrix's values in their cells, a rule's
    label) and every axis's, legend's or facet header's own label and title sizes (the init
    matrix's rows, a facet's panel titles) LARGER, as presenter mode's type grows;
    configure_text, configure_axis and configure_header reach only those that set none."""
    if isinstance(spec, list):
        return [_larger_marks(item) for item in spec]
    if not isinstance(spec, dict):
        return spec
    mark = spec.get("mark")
    if isinstance(mark, dict) and mark.get("type") == "text" and "fontSize" in mark:
        spec = spec | {"mark": mark | {"fontSize": round(mark["fontSize"] * LARGER, 1)}}
    for guide in ("axis", "legend", "header"):
        if isinstance(spec.get(guide), dict):
            spec = spec | {guide: spec[guide] | {
                size: round(spec[guide][size] * LARGER, 1)
                for size in OWN_SIZES if isinstance(spec[guide].get(size), int | float)}}
    # not the data, nor config: its sizes are presenter mode's already
    return {key: value if key in ("datasets", "data", "config") else _larger_marks(value)
            for key, value in spec.items()}


def _with_font(spec: dict) -> dict:
    return spec | {"config": {"font": CHART_FONT, **spec.get("config", {})}}


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    """A chart's data as its cache key, by value: every column's values, names and dtypes, and the
    index. About 0.6 ms where Streamlit's own DataFrame hash takes about 2 ms (the init matrix),
    several times per rerun. Not pickle: a frame computed afresh and its copy from st.cache_data
    pickle differently (pickle records which values are one object), which missed the cache on
    the rerun after every new computation."""
    parts = [repr((list(frame.columns), [str(dtype) for dtype in frame.dtypes])).encode()]
    for values in (frame.index.to_numpy(), *(column.to_numpy() for _, column in frame.items())):
        parts.append(values.tobytes() if values.dtype != object
                     else "\x1f".join(map(repr, values)).encode())
    return b"\x1e".join(parts)


@st.cache_data(max_entries=512, show_spinner=False, hash_funcs={pd.DataFrame: _frame_bytes})
def _chart_spec(_build, name: str, large_type: bool, args: tuple, kwargs: dict) -> dict:
    """Cached on the builder's name (Streamlit cannot hash a function) and its arguments.

    The spec and Arrow datasets st.altair_chart would send, made as Streamlit makes them (pinned
    version's internals) but without Altair's schema validation, which was half the cost of a
    new chart; tests/pages/test_charts.py validates every chart the pages send instead."""
    import altair as alt
    from streamlit.elements.vega_charts import _altair_globals_lock, _to_arrow_dataset

    chart = _styled(_build(*args, **kwargs), large_type)
    datasets: dict = {}
    alt.data_transformers.register("to_arrow_dataset", _to_arrow_dataset)
    with _altair_globals_lock, alt.theme.enable("none"), \
            alt.data_transformers.enable("to_arrow_dataset", datasets=datasets):
        spec = chart.to_dict(validate=False)
    # the Arrow datasets beside those the chart carries itself (GeoJSON, which Altair hoists
    # into the spec's datasets), as st.altair_chart merges them
    spec = _larger_marks(spec) if large_type else spec
    return _with_font(spec) | {"datasets": spec.get("datasets", {}) | datasets}


@st.cache_data(max_entries=128, show_spinner=False)
def _data_less_spec(_build, name: str, large_type: bool, args: tuple, kwargs: tuple) -> dict:
    """The spec of a chart whose rows are sent at draw time (show_chart's data): the empty data
    of build's alt.Chart() layers left out, so the rows given take their place."""
    spec = _styled(_build(*args, **dict(kwargs)), large_type).to_dict(validate=False)
    spec = _larger_marks(spec) if large_type else spec
    spec.pop("data", None)
    datasets = spec.pop("datasets", {})
    for layer in spec.get("layer", []):
        if layer.get("data") == {"name": "empty"}:
            del layer["data"]
        elif "name" in layer.get("data", {}):  # a layer's own fixed rows, inline: the browser
            # ignores the rows sent at draw time when a spec also carries named datasets
            layer["data"] = {"values": datasets[layer["data"]["name"]]}
    return _with_font(spec)
