"""Home: what each lesson teaches, in two lines, with a link to it."""

import streamlit as st

from lessons import LESSONS, script
from ui.text import t

st.title(t("home.title"))
st.write(t("home.intro"))

for name in LESSONS:
    with st.container(border=True):
        st.subheader(t(f"home.{name}_title"))
        st.write(t(f"home.{name}_blurb"))
        st.page_link(script(name), label=t("home.open"))
