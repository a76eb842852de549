"""Every view is a link: choices and tabs bound to the URL by their id, and a check of what a
link asked for that the page could not use."""

from __future__ import annotations

import streamlit as st

from ui.text import quoted

# The last value of every choice (choose) and of every control set from a callback (set_controls),
# for the session: Streamlit drops the state of a widget a run does not draw (a lesson left for
# another, a tab not open), and a choice is not kept in the link the way a bound widget is.
KEPT = "links_kept"


def choose(label: str, options: list, key: str, format_func=str, **kwargs):
    """A selectbox whose link parameter is the option itself, not its translated label.

    Streamlit's bind="query-params" writes a selectbox's displayed label into the URL, so a link
    made in one language would not open in the other; this binds the option instead. When the
    widget is drawn again after a run without it, it starts from the link, else from its value
    when it was last drawn."""
    options = list(options)
    kept = st.session_state.setdefault(KEPT, {})
    if key not in st.session_state:
        wanted = st.query_params.get(key, kept.get(key))
        if wanted in options:
            st.session_state[key] = wanted
    value = st.selectbox(label, options, format_func=format_func, key=key, **kwargs)
    kept[key] = value
    put_in_link(key, value, default=options[kwargs.get("index", 0)])
    return value


def set_controls(values: dict) -> None:
    """Set controls from a callback (an example, the course's settings, a pinned view swapped in).

    A control on a tab not open in the next run is not drawn: Streamlit drops the value set for
    it, and when its tab opens later it takes its value from the link the session was opened
    with, else its default (the course's). So neither the link the session opened with nor the
    address bar may keep its older value, and a choice's kept value follows the new one. A control
    drawn in the next run writes its new value into the address bar itself."""
    st.session_state.update(values)
    kept = st.session_state.setdefault(KEPT, {})
    link = _link()
    for key, value in values.items():
        if key in kept:
            kept[key] = value
        for waiting in st.session_state.get(PENDING, {}).values():
            waiting.pop(key, None)  # set on purpose, no longer the link's to check
        if link is not None:
            link._initial_query_params.pop(key, None)
            link.remove_param(key)  # a bound widget's too, which st.query_params refuses


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


def rename_link_params(renamed: dict[str, str]) -> None:
    """Open a link made before its controls' parameters were renamed: each old parameter is read
    as its new one (a new one the link also holds wins). Call before any widget."""
    link = _link()
    initial = link._initial_query_params if link is not None else {}
    for old, new in renamed.items():
        if old in initial:
            value = initial.pop(old)
            initial.setdefault(new, value)
        if old in st.query_params:
            value = st.query_params[old]
            del st.query_params[old]
            if new not in st.query_params:
                st.query_params[new] = value


def drop_unusable_link_numbers() -> None:
    """Keep infinite or astronomically large numbers in a link away from the widgets.

    Streamlit 1.67 converts a bound integer input's URL value with int(), and int(float("inf"))
    raises OverflowError, which its binding does not catch: `?seed=1e309` would show a traceback.
    Call before any widget; check_link then reports the dropped values like any other."""
    link = _link()
    initial = link._initial_query_params if link is not None else {}
    for param in list(initial):
        if any(_unusable_number(value) for value in initial[param]):
            del initial[param]


def _link():
    """Streamlit's own record of the link (internals of the pinned version, 1.67): the
    parameters the session was opened with, which seed a widget drawn for the first time, and
    the address bar's. None outside a script run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_state._state.query_params if ctx else None


def _unusable_number(text_value: str) -> bool:
    try:
        return not abs(float(text_value)) < 2**63
    except ValueError:
        return False


PENDING = "links_pending"  # page -> {param: value}: link parameters of controls not yet drawn


def check_link(url_at_start: dict[str, str], slot, page: str, tabbed: bool = False) -> None:
    """Say which parameters of the link a page was opened with could not be used. Streamlit's URL
    binding drops a value it cannot parse without a word, and keeps a parameter no widget claims;
    both get a notice in slot. Checked when the page first runs in a session (later the URL can
    lag behind a control being dragged, which is no fault of the link), except, on a page with
    tabs (tabbed), a parameter named for the page ("optim_...") that no control drawn so far
    claims: it may belong to a tab not open yet, and is checked in the run that draws it."""
    pending = st.session_state.setdefault(PENDING, {})
    checked = st.session_state.setdefault("links_checked", set())
    if page in checked:
        waiting = pending.get(page, {})
        for param in [p for p in waiting if p in st.session_state]:
            _report(param, waiting.pop(param), slot)
        return
    checked.add(page)
    pending[page] = {}
    for param, value in url_at_start.items():
        if param not in st.session_state and tabbed and param.startswith(f"{page}_"):
            pending[page][param] = value
        else:
            _report(param, value, slot)


def _report(param: str, value: str, slot) -> None:
    """A notice in slot when the control param names does not hold the link's value."""
    if param not in st.session_state or not _same(value, st.session_state[param]):
        slot.warning(quoted("notice.url_ignored", param=param, value=value))


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
