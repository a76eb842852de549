"""Entry point: page config, the shared sidebar (language, presenter mode), navigation, and after
the process's first page the warm-up of every lesson (harness.warm).

Run with `streamlit run app.py`. Pages live in lessons/, computations in core/. (Not in pages/:
Streamlit treats that folder as a legacy multipage app, and the first deep link on a fresh server
would then render its page without this shell.)
"""

import streamlit as st

from classroom import memory
from core import text
from harness.warm import warm_this_process
from lessons import LESSONS, RENAMED_PARAMS, TABS, script
from ui import follow, plan
from ui.links import check_link, drop_unusable_link_numbers, rename_link_params
from ui.sockets import send_without_delay
from ui.text import presenting, t

SIDEBAR_WIDTH = 240  # pixels

# A narrower sidebar than Streamlit's 300 px leaves the lesson's columns room at 1280 px; in
# presenter mode it starts folded away, and the lesson has the projector's whole width.
st.set_page_config(page_title="PyTorch training explorer", page_icon="🔥", layout="wide",
                   initial_sidebar_state="collapsed" if presenting() else SIDEBAR_WIDTH)
send_without_delay()
memory.keep_steady()  # a day of classes: back to a steady size after each
follow.arrive()  # in a class: this session's role, the teacher's secret out of the link
plan.take_from_link()  # a lesson plan a link carries
rename_link_params(RENAMED_PARAMS)  # a link shared before a control was renamed still opens
url_at_start = st.query_params.to_dict()  # before the widgets clean it, to report what they drop
drop_unusable_link_numbers()

with st.sidebar:
    # Options are the codes themselves: a bound selectbox writes its label into the URL.
    st.selectbox("Language / 语言 (en, zh)", list(text.LANGUAGES), key="lang",
                 bind="query-params")
    st.toggle(t("app.presenter"), key="present", help=t("app.presenter_help"),
              bind="query-params")
    st.caption(t("app.offline"))
    follow.class_panel()
    plan.plan_panel()

# A desktop layout: at 1280 x 720 the title, the controls and the first chart fit on one screen
# (.streamlit/config.toml's paddingTop sets the gap above the title); labels, buttons, metrics and
# tabs wrap onto a second line rather than being cut off (between words: a word splits only where
# it is longer than a whole line), and a selectbox's list is as wide as its longest choice (a
# chosen value, an <input>, cannot wrap: an ellipsis at least says it is cut). A metric's value
# never wraps ("1.71e-" over "15"): it shrinks to its column's width instead (cqi: a hundredth
# of that width; 22 of them hold any value in four significant digits, -1.234e-15). Fixed
# stylesheets, nothing the user typed goes into them.
st.html("""<style>
  .stMainBlockContainer { padding-left: 2rem; padding-right: 2rem; }
  .stApp h1 { padding-top: 0; padding-bottom: 0.25rem; }
  :is([data-testid="stWidgetLabel"], [data-testid="stMetricLabel"], .stButton button,
      .stDownloadButton button, [data-testid="stSidebarNavLink"]) :is(div, p, span) {
    white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: break-word; }
  [data-testid="stMetric"] { container-type: inline-size; }
  [data-testid="stMetricValue"] :is(div, p) {
    white-space: nowrap; overflow: visible; text-overflow: clip;
    font-size: min(2.25rem, 22cqi) !important; }
  .stButton button, .stDownloadButton button { height: auto; }
  [data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; }
  [data-testid="stSelectbox"] input { text-overflow: ellipsis; padding-right: 0.125rem; }
  [data-testid="stSelectboxVirtualDropdown"] {
    width: max-content !important; min-width: var(--trigger-width); max-width: 36rem; }
</style>""")
if presenting():
    # Larger type for a projector.
    st.html("""<style>
      html, .stApp { font-size: 20px; }
      .stApp h1 { font-size: 2.4rem; }
      [data-testid="stMarkdownContainer"] :is(p, li) { font-size: 1.15rem; }
      [data-testid="stMetricValue"] :is(div, p) { font-size: min(2.8rem, 22cqi) !important; }
      /* the sidebar, when opened, in normal type: its links then fit one to a line */
      [data-testid="stSidebarContent"] { zoom: 0.8; }
      /* folded, its button sits in the page's left margin, not in a band of its own above */
      .stMainBlockContainer { padding-top: 1rem !important; padding-left: 3.5rem; }
      [data-testid="stHeader"] { background: transparent; }
      [data-testid="stHeader"], [data-testid="stHeader"] * { pointer-events: none; }
      [data-testid="stHeader"] button { pointer-events: auto; }
      [data-testid="stSelectboxVirtualDropdown"] { max-width: min(48rem, 90vw); }
    </style>""")

pages = [st.Page(script("home"), title=t("nav.home"), default=True)] + [
    st.Page(script(name), title=t(f"nav.{name}"), url_path=name) for name in LESSONS]
link_notices = st.container()
class_bar = st.container()
page = st.navigation(pages)
follow.on_page(page.url_path, class_bar)  # a view on its way from the teacher; a student's bar
if page.url_path:  # a lesson. Home draws without torch, which takes 1.6 s of a cold start to load.
    import torch

    # One thread per computation: the tensors are small, and the server runs every session's
    # rerun as a thread of this one process. With torch's default of one thread per core, each
    # small matmul waits for a second core that other sessions keep busy: a matrix cell took
    # 0.1-5 s that way at load 4 on 2 cores, and 15-80 ms with one thread (core/init_lab.py's
    # matrix, measured).
    torch.set_num_threads(1)
try:
    page.run()
finally:  # also when a page stops early on an input error
    check_link(url_at_start, link_notices, page.url_path, tabbed=page.url_path in TABS)
    follow.after_run(page.url_path)
    # Once per process, after its first page: each lesson's course view computed in the
    # background, so a student's first visit to a lesson costs no more than a later one.
    warm_this_process(list(LESSONS))
