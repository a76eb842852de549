"""What every page does the same way: speak the user's language, say what was adjusted, show the
code and the tables behind a view."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import text
from core.errors import InputError, Notice


def lang() -> str:
    return st.session_state.get("lang", "en")


def t(key: str, **params: object) -> str:
    """The string for key in the session's language."""
    return text.lookup(lang(), key, **params)


def presenting() -> bool:
    return bool(st.session_state.get("present", False))


def show_notices(notices: list[Notice]) -> None:
    for notice in notices:
        st.warning(t(notice.key, **notice.params))


def show_error(error: InputError) -> None:
    st.error(t(error.key, **error.params))


def choose(label: str, options: list, key: str, format_func=str, **kwargs):
    """A selectbox whose link parameter is the option itself, not its translated label.

    Streamlit's bind="query-params" writes a selectbox's displayed label into the URL, so a link
    made in one language would not open in the other; this binds the option instead."""
    options = list(options)
    if key not in st.session_state and st.query_params.get(key) in options:
        st.session_state[key] = st.query_params[key]
    value = st.selectbox(label, options, format_func=format_func, key=key, **kwargs)
    put_in_link(key, value, default=options[kwargs.get("index", 0)])
    return value


def put_in_link(param: str, value: str, default: str) -> None:
    """Keep a value in the URL, leaving the default out as bound widgets do. Written only when it
    changes: every write sends the whole URL as this run saw it, which would undo a bound widget's
    newer value (a slider dragged on while this run was under way)."""
    wanted = None if value == default else value
    if st.query_params.get(param) == wanted:
        return
    if wanted is None:
        del st.query_params[param]
    else:
        st.query_params[param] = wanted


def sections(key: str, labels: dict[str, str]) -> tuple[dict, str]:
    """Tabs of which only the open one's code need run: ({id: tab container}, the open id).

    A rerun can skip the hidden tabs' work (Streamlit keeps their widgets' values). The open tab
    is in the link by its id, not its translated label (as choose does for selectboxes), so a link
    opens the same tab in either language; st.session_state[key] holds the id too."""
    widget = f"{key}_label"
    if st.session_state.get(widget) not in labels.values():  # first run, or a new language
        wanted = st.session_state.get(key, st.query_params.get(key))
        st.session_state[widget] = labels.get(wanted, next(iter(labels.values())))
    tabs = st.tabs(list(labels.values()), key=widget, on_change="rerun")
    opened = next(name for name, tab in zip(labels, tabs, strict=True) if tab.open)
    st.session_state[key] = opened
    put_in_link(key, opened, default=next(iter(labels)))
    return dict(zip(labels, tabs, strict=True)), opened


def drop_unusable_link_numbers() -> None:
    """Keep infinite or astronomically large numbers in a link away from the widgets.

    Streamlit 1.67 converts a bound integer input's URL value with int(), and int(float("inf"))
    raises OverflowError, which its binding does not catch: `?seed=1e309` would show a traceback.
    Call before any widget; check_link then reports the dropped values like any other."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx  # internals, pinned version

    ctx = get_script_run_ctx()
    initial = ctx.session_state._state.query_params._initial_query_params if ctx else {}
    for param in list(initial):
        if any(_unusable_number(value) for value in initial[param]):
            del initial[param]


def _unusable_number(text_value: str) -> bool:
    try:
        return not abs(float(text_value)) < 2**63
    except ValueError:
        return False


def check_link(url_at_start: dict[str, str], slot, page: str) -> None:
    """Say which parameters of the link a page was opened with could not be used. Streamlit's URL
    binding drops a value it cannot parse without a word, and keeps a parameter no widget claims;
    both get a notice in slot. Only on a page's first run in a session: later the URL can lag
    behind a control being dragged, which is no fault of the link."""
    checked = st.session_state.setdefault("links_checked", set())
    if page in checked:
        return
    checked.add(page)
    for param, value in url_at_start.items():
        if param not in st.session_state or not _same(value, st.session_state[param]):
            slot.warning(t("notice.url_ignored", param=param, value=value))


def _same(text_value: str, value: object) -> bool:
    """Whether a URL's text stands for a widget's value."""
    if isinstance(value, bool):
        return text_value.lower() == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return float(text_value) == float(value)
        except ValueError:
            return False
    return text_value == str(value)


def show_chart(build, *args, stretch: bool = True, key: str | None = None, on_select="ignore",
               **kwargs) -> None:
    """The Altair chart build(*args, **kwargs) from core.charts, across the column (stretch=False:
    at the size the chart sets itself, as a heatmap of bands needs); with large type in presenter
    mode. key and on_select as in st.vega_lite_chart, for a chart that is clicked on.

    The finished Vega-Lite spec is cached on the arguments: building and validating an Altair
    chart costs tens of milliseconds, most of a rerun, and a rerun mostly redraws the same chart."""
    large_type = presenting()
    spec = _chart_spec(build, f"{build.__module__}.{build.__qualname__}", large_type, args, kwargs)
    # Streamlit's chart theme would override presenter mode's sizes, so it is left out there
    st.vega_lite_chart(spec, width="stretch" if stretch else "content",
                       theme=None if large_type else "streamlit", key=key, on_select=on_select)


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

    chart = _build(*args, **kwargs)
    if large_type:
        chart = chart.configure_axis(labelFontSize=16, titleFontSize=18).configure_legend(
            labelFontSize=16).configure_title(fontSize=20)
    datasets: dict = {}
    alt.data_transformers.register("to_arrow_dataset", _to_arrow_dataset)
    with _altair_globals_lock, alt.theme.enable("none"), \
            alt.data_transformers.enable("to_arrow_dataset", datasets=datasets):
        spec = chart.to_dict(validate=False)
    return spec | {"datasets": datasets}


def explain(markdown: str) -> None:
    """A paragraph of explanation: shown, or folded away in presenter mode (the teacher says it)."""
    if presenting():
        with st.expander(t("common.explanation")):
            st.markdown(markdown)
    else:
        st.markdown(markdown)


def show_trend(result, place=st) -> None:
    """A network run's verdict (core.network.NetResult): stable, explodes or vanishes."""
    from core import network  # here, not above: the home page opens without loading torch
    stds = result.layers["std"]
    finite = stds[network.finite_positive(stds)]
    if result.trend == "stable":
        place.success(t("explosion.stable", low=finite.min(), high=finite.max()))
    elif result.trend == "explodes":
        place.error(t("explosion.explodes", factor=result.growth))
    else:
        place.warning(t("explosion.vanishes", factor=result.growth))


def code_panel(script: str) -> None:
    with st.expander(t("common.show_code"), expanded=False):
        st.caption(t("common.code_caption"))
        st.code(script, language="python")


def csv_download(frame: pd.DataFrame, name: str) -> None:
    """A button that downloads frame as CSV. The CSV is written only when clicked (writing it on
    every rerun was a large share of the optimiser page's rerun), and a click does not rerun."""
    st.download_button(t("common.download_csv"), lambda: frame.to_csv(index=False),
                       file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}",
                       on_click="ignore")
