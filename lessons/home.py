"""Home: what each lesson teaches, in two lines, with a link to it."""

import streamlit as st

from ui.common import t

st.title(t("home.title"))
st.write(t("home.intro"))

LESSONS = [("explosion", "lessons/explosion.py"), ("init", "lessons/init.py"),
           ("loss", "lessons/loss.py"), ("optim", "lessons/optim.py")]
for name, path in LESSONS:
    with st.container(border=True):
        st.subheader(t(f"home.{name}_title"))
        st.write(t(f"home.{name}_blurb"))
        st.page_link(path, label=t("home.open"))
