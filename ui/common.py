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
        st.warning(t(notice.key, **notice.params), icon="⚠️")


def show_error(error: InputError) -> None:
    st.error(t(error.key, **error.params), icon="⛔")


def code_panel(script: str) -> None:
    with st.expander(t("common.show_code"), expanded=False):
        st.caption(t("common.code_caption"))
        st.code(script, language="python")


def csv_download(frame: pd.DataFrame, name: str) -> None:
    st.download_button(t("common.download_csv"), frame.to_csv(index=False).encode(),
                       file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}")
