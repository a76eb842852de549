"""Home: what each lesson teaches, in two lines, with a link to it."""

import streamlit as st

from lessons import BEYOND_THE_COURSE, LESSONS, script
from ui.text import t

st.title(t("home.title"))
st.write(t("home.intro", count=len(LESSONS) - len(BEYOND_THE_COURSE)))

for number, name in enumerate(LESSONS, start=1):
    with st.container(border=True):
        st.subheader(f"{number} · {t(f'home.{name}_title')}")
        st.write(t(f"home.{name}_blurb"))
        st.page_link(script(name), label=t("home.open"))
