"""A class that follows the teacher, on any page, knowing no lesson's controls.

A lesson's whole view is its page and its link (every control, tab and pinned view is bound to the
query string), so following is taking the teacher's page and query string: the teacher's session
publishes its view (classroom.store.View) whenever it changes, and each student's session polls
the version number (a fragment run every POLL seconds) and, when it is new, opens the teacher's
view as a fresh session would open that link. A student who changes anything has a view of their
own: they are exploring, a banner says so, and one click rejoins.

The teacher is whoever holds the class's secret: it arrives once in the teacher link, is checked
in constant time (hmac.compare_digest of its digest), kept in the session (and, on the class
server, in an HttpOnly cookie nginx sets), and taken out of the address bar at once, so no link a
student can copy carries it. A person's own settings (language, presenter mode) are
never taken from the teacher.

Opening a view uses Streamlit 1.67's internals in one place (open_view): a bound parameter cannot
be replaced through st.query_params, and a same-page move must pass through another page for the
browser to forget the controls' old values, as it does when a user changes page.
"""

from __future__ import annotations

import re
import secrets

import streamlit as st

from classroom.address import qr_png, student_address
from classroom.store import StoreDown, View, shared
from lessons import LESSONS, script
from ui.text import t

PERSONAL = ("lang", "present")  # a person's own settings, never taken from the teacher
SECRET_PARAM = "teacher"  # the teacher link's parameter, removed from the address bar at once
SECRET = "class_secret"  # the secret, kept in the teacher's session to show the teacher link
TEACHER_COOKIE = "explorer_teacher"  # set by the class server's nginx from the teacher link
BROWSER_COOKIE = "explorer_browser"  # one id per browser: a reload is still one student
MODE_COOKIE = "explorer_mode"  # "explore" after a student's own change, so a reload keeps it
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")  # a browser id as the browser's script makes it
POLL = 0.5  # seconds between a student's looks at the teacher's version number
LEAD_POLL = 0.25  # seconds between the teacher's looks at their own view

# session state, every key the follower's own (kept when a view from the teacher replaces the rest)
PREFIX = "class_"
ROLE = "class_role"  # "teacher", "student", or absent (no class on this server)
BROWSER = "class_browser"
VERSION = "class_version"  # the teacher's version this screen shows (or, for the teacher, sent)
GIVEN = "class_given"  # the view this student was given: any other is their own
EXPLORING = "class_exploring"
OTHER = "class_other"  # a view other than the one given, seen once
ARRIVING = "class_arriving"  # (View, personal, left the page before) on its way
PAGE = "class_page"  # the page of the last full run
STATUS = "class_status"  # "down" while the store cannot be reached
REFUSED = "class_refused"  # a wrong secret was given


def arrive() -> None:
    """First thing in every run, before any widget: open a view on its way (open_view), and on a
    session's first run find its role: the teacher (the secret, in the link once or in the
    cookie) or, where the server holds a class, a student."""
    state = st.session_state
    if ARRIVING in state and _page_now() is not None:
        _arrive(_page_now())  # a step of the way before anything is drawn (a detour costs little)
    if BROWSER not in state:
        cookie = _cookie(BROWSER_COOKIE)
        state[BROWSER] = cookie if TOKEN.fullmatch(cookie) else secrets.token_urlsafe(12)
        state[EXPLORING] = _cookie(MODE_COOKIE) == "explore"
    if SECRET_PARAM in st.query_params:
        claim(st.query_params[SECRET_PARAM])
        del st.query_params[SECRET_PARAM]
    if ROLE in state:
        return
    try:
        store = shared()
        if not store.has_class():
            return
        cookie = _cookie(TEACHER_COOKIE)
        if cookie and store.is_teacher(cookie):
            state[ROLE], state[SECRET] = "teacher", cookie
        else:
            state[ROLE] = "student"
    except StoreDown:
        state[STATUS] = "down"


def _cookie(name: str) -> str:
    """A cookie the browser sent with this session ("" without one)."""
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) else ""


def claim(secret: str) -> None:
    """Lead the class if secret is its teacher's; otherwise say plainly that it is not."""
    try:
        teacher = shared().is_teacher(secret)
    except StoreDown:
        teacher = False
    state = st.session_state
    if teacher:
        state[ROLE], state[SECRET] = "teacher", secret
        state.pop(REFUSED, None)
    else:
        state[REFUSED] = True


def teaching() -> bool:
    return st.session_state.get(ROLE) == "teacher"


def current_view(page: str) -> View:
    """This session's view: page and its link, less a person's own settings."""
    params = {k: v for k, v in st.query_params.to_dict().items()
              if k not in PERSONAL and k != SECRET_PARAM}
    return View.of(page, params)


def open_view(view: View) -> None:
    """Show view as a session freshly opened on its link would (keeping this person's language,
    presenter mode and place in the class): everything else in the session is dropped, and the
    next run opens the page with the view's parameters. Never returns (the run stops here)."""
    state = st.session_state
    personal = {k: st.query_params[k] for k in PERSONAL if k in st.query_params}
    here = state.get(PAGE, "")
    for key in list(state):
        if not key.startswith(PREFIX) and key not in PERSONAL:
            del state[key]
    # On the same page, through another first: the browser then forgets every control's value,
    # as it does on a change of page. (Without the detour a control going back to its default
    # keeps showing its old value, and a timer's rerun, which carries the browser's values of
    # the controls, can bring an old value back: both seen in the browser test.)
    state[ARRIVING] = (view, personal, view.page != here)
    _arrive(here)


def _arrive(page: str) -> None:
    """One step of the way to the view on its way, from page: leave for another page first
    where it is needed, then go to the view's, where the run draws it and after_run confirms
    it. Each step is checked again at the next full run: a run can be overtaken by a request the
    browser sent before it saw the switch (Streamlit then keeps the browser's page)."""
    state = st.session_state
    view, personal, left = state[ARRIVING]
    if not left and page == view.page:
        _switch("" if page else LESSONS[0], personal)
    state[ARRIVING] = (view, personal, True)
    if page != view.page:
        _switch(view.page, view.params | personal)


def _page_now() -> str | None:
    """The url path of the page this run draws, before st.navigation has run (None when the
    app's pages are not known yet)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    pages = get_script_run_ctx().pages_manager
    info = pages.get_pages().get(pages.current_page_script_hash)
    return None if info is None else info["url_pathname"]


def _on_the_way() -> None:
    """In a timer's run of a fragment, with a view on its way: a whole run takes the next step
    (on_page). A fragment's timer can overtake the run that draws the view, and then only whole
    runs finish the way. (In a whole run the fragment is drawn inline, and on_page has it.)"""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx().fragment_ids_this_run:
        st.rerun(scope="app")


def _switch(page: str, params: dict[str, str]) -> None:
    """st.switch_page to page with params as its link. Streamlit refuses to replace a parameter
    a widget is bound to; the widgets bind again as the page draws them."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    link = get_script_run_ctx().session_state._state.query_params
    for widget in list(link._bindings_by_widget):
        link.unbind_widget(widget)
    st.switch_page(script(page or "home"), query_params=params)


def after_run(page: str) -> None:
    """Last thing in every full run: a view on its way has arrived once a run on its page ends
    (it is then the view given, and any other is the student's own); the teacher's view goes
    to the class."""
    state = st.session_state
    if ARRIVING in state:
        if page != state[ARRIVING][0].page:
            return
        del state[ARRIVING]
        state[GIVEN] = current_view(page)
        state.pop(OTHER, None)
    if state.get(ROLE) == "student":
        _check_exploring(current_view(page))
    elif teaching():
        _publish(current_view(page))


def _check_exploring(view: View) -> None:
    """A student whose view is not the one given is exploring, once two looks in a row see the
    same other view: a timer's run sent just before the browser took the given view's link in
    carries the link before it, and must not make a follower an explorer."""
    state = st.session_state
    if state.get(GIVEN) is None:
        state[GIVEN] = view
    if view == state[GIVEN]:
        state.pop(OTHER, None)
    elif state.get(OTHER) == view:
        state[EXPLORING] = True
    else:
        state[OTHER] = view


def _publish(view: View) -> None:
    state = st.session_state
    if state.get("class_sent") == view:
        return
    try:
        state[VERSION] = shared().publish(view)
        state["class_sent"] = view
        state.pop(STATUS, None)
    except StoreDown:
        state[STATUS] = "down"


def on_page(page: str, bar) -> None:
    """After st.navigation, before the page runs: open a view on its way (open_view); for a
    student, the line in bar that says where they stand in the class, with the rejoin button,
    which looks at the teacher's version every POLL seconds and follows."""
    state = st.session_state
    if ARRIVING in state:
        _arrive(page)
    state[PAGE] = page
    if state.get(ROLE) == "student":
        with bar:
            st.fragment(_student_poll, run_every=POLL)()


def _student_poll() -> None:
    state = st.session_state
    if ARRIVING in state:  # on the way to the teacher's view, or drawing it in this run
        _on_the_way()
        st.caption(t("class.following"))
        return
    page = state.get(PAGE, "")
    if state.get(GIVEN) is not None:
        _check_exploring(current_view(page))
    try:
        store = shared()
        store.seen(state[BROWSER], bool(state.get(EXPLORING)))
        lead = store.lead()
        state.pop(STATUS, None)
    except StoreDown:
        state[STATUS] = "down"
        st.warning(t("class.store_down"))
        return
    _remember_browser()
    if not state.get(EXPLORING):
        if lead.view is not None and lead.version != state.get(VERSION):
            state[VERSION] = lead.version
            open_view(lead.view)
        st.caption(t("class.following"))
        return
    with st.container(horizontal=True, vertical_alignment="center"):
        st.info(t("class.exploring"))
        if st.button(t("class.rejoin"), key="class_rejoin", type="primary"):
            state[EXPLORING] = False
            if lead.view is not None:
                state[VERSION] = lead.version
                open_view(lead.view)


def _teacher_poll() -> None:
    """How many follow and explore; and the teacher's view sent to the class as it changes (a
    control in a lesson's fragment reruns only that fragment, not app.py's end)."""
    state = st.session_state
    if ARRIVING in state:  # on the way to a view
        _on_the_way()
        return
    _publish(current_view(state.get(PAGE, "")))
    try:
        following_now, exploring_now = shared().counts()
    except StoreDown:
        st.warning(t("class.store_down"))
        return
    st.caption(t("class.count_values", following=following_now, exploring=exploring_now))


def class_panel() -> None:
    """The sidebar's class panel: "start a class" where none is running; for the teacher, how
    many follow and explore, the address students type with its QR code, the teacher link and
    ending the class; a plain message for a wrong secret. (The plan follows: ui.plan.)"""
    state = st.session_state
    if state.get(REFUSED):
        st.error(t("class.refused"))
    if ROLE not in state and state.get(STATUS) != "down":
        st.button(t("class.start"), key="class_start", help=t("class.start_help"),
                  on_click=_start_class)
    if not teaching():
        return
    st.subheader(t("class.title"))
    st.fragment(_teacher_poll, run_every=LEAD_POLL)()
    with st.expander(t("class.invite")):
        students = student_address(st.context.url)
        st.caption(t("class.students_open"))
        st.code(students, language=None, wrap_lines=True)
        st.image(qr_png(students), width=160)  # drawn here: nothing is fetched
        if SECRET in state:
            st.caption(t("class.teacher_link_help"))
            st.code(f"{students}?{SECRET_PARAM}={state[SECRET]}", language=None,
                    wrap_lines=True)
        st.button(t("class.end"), key="class_end", help=t("class.end_help"), on_click=_end_class)


def _start_class() -> None:
    state = st.session_state
    try:
        state[ROLE], state[SECRET] = "teacher", shared().start_class()
    except StoreDown:
        state[STATUS] = "down"


def _end_class() -> None:
    try:
        shared().end_class()
    except StoreDown:
        st.session_state[STATUS] = "down"
        return
    for key in (ROLE, SECRET, "class_sent", "class_plan", "class_step"):
        st.session_state.pop(key, None)


def _remember_browser() -> None:
    """Keep in this browser's cookies an id of its own (a student counted once however often
    they reload) and whether they explore (a reload keeps an explorer exploring). Fixed scripts
    (no value of ours or a user's goes into the page): the browser makes its own id."""
    state = st.session_state
    mode = "explore" if state.get(EXPLORING) else "follow"
    if state.get("class_cookies") == mode:
        return
    state["class_cookies"] = mode
    st.html("""<script>if (!document.cookie.includes('explorer_browser=')) {
      document.cookie = 'explorer_browser=' + crypto.randomUUID().replaceAll('-', '')
        + '; path=/; max-age=43200; SameSite=Strict'; }</script>""",
            unsafe_allow_javascript=True)
    if mode == "explore":
        st.html("<script>document.cookie = 'explorer_mode=explore; path=/; max-age=43200; "
                "SameSite=Strict';</script>", unsafe_allow_javascript=True)
    else:
        st.html("<script>document.cookie = 'explorer_mode=follow; path=/; max-age=43200; "
                "SameSite=Strict';</script>", unsafe_allow_javascript=True)
