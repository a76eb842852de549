"""What every lesson says the same way: notices and errors, explanations, the code panel, CSV
downloads and the buttons a key on the keyboard presses."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import InputError, Notice
from ui.text import presenting, quoted, t


def show_notices(notices: list[Notice]) -> None:
    for notice in notices:
        st.warning(quoted(notice.key, **notice.params))


def show_error(error: InputError) -> None:
    st.error(quoted(error.key, **error.params))


def explain(markdown: str) -> None:
    """A paragraph of explanation: shown, or folded away in presenter mode (the teacher says it)."""
    if presenting():
        with st.expander(t("common.folded_explanation")):
            st.markdown(markdown)
    else:
        st.markdown(markdown)


def code_panel(script: str) -> None:
    with st.expander(t("common.show_code"), expanded=False):
        st.caption(t("common.code_caption"))
        st.code(script, language="python")


def in_digits(frame: pd.DataFrame, columns: list[str], digits: int = 6) -> pd.DataFrame:
    """A table's numbers as text in so many significant digits: "6.69e-32" or "1.3e+31", where
    the grid's own number format writes "0.0000000000007" or cuts the digits (the CSV download
    keeps the numbers)."""
    return frame.assign(**{column: frame[column].map(lambda v: f"{v:.{digits}g}")
                           for column in columns if column in frame})


def csv_download(frame: pd.DataFrame, name: str) -> None:
    """A button that downloads frame as CSV. The CSV is written only when clicked (writing it on
    every rerun was a large share of the optimiser page's rerun), and a click does not rerun."""
    st.download_button(t("common.download_csv"), lambda: frame.to_csv(index=False),
                       file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}",
                       on_click="ignore")


# The keyboard's shortcuts, one key per action across the app (a lesson's own buttons and the pin
# bar share a page): Streamlit presses the button when its key is typed outside a text box, and
# the button shows its key. C and R are Streamlit's own.
SHORTCUTS = {"pin": "A", "play": "P"}


def shortcut_button(place, action: str, label: str, help_text: str | None = None,
                    **options) -> bool:
    """place.button for action (a name in SHORTCUTS), pressed by its key too; its tooltip says
    which. options as st.button's (key, on_click, args, type, ...)."""
    key = SHORTCUTS[action]
    said = t("common.shortcut", letter=key)
    return place.button(label, shortcut=key, help=f"{help_text} {said}" if help_text else said,
                        **options)
