"""A class that follows the teacher, on any page, knowing no lesson's controls.

A lesson's whole view is its page and its link (every control, tab and pinned view is bound to the
query string), so following is taking the teacher's page and query string. Each session's place
in the class is a classroom.relay.Member, kept in its session state; the process's relay watches
the store and the sessions and pushes the teacher's view to every following student (nothing is
polled from the students' browsers). This module is the page's side: a session's role, the view
arriving (show: a run of the view's page and link as a history navigation, in which the link
decides every control), the student's bar (following, exploring with one click to rejoin, the
class ended, the store lost) and the teacher's panel.

The teacher is whoever holds the class's secret: it arrives once in the teacher link, is checked
in constant time (hmac.compare_digest of its digest), kept in the session (and, on the class
server, in an HttpOnly cookie nginx sets), and taken out of the address bar at once, so no link a
student can copy carries it. A person's own settings (language, presenter mode) are never taken
from the teacher.
"""

from __future__ import annotations

import re
import secrets

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from classroom.address import qr_png, student_address
from classroom.relay import PERSONAL, Member, link_of, page_hash, relay, view_of
from classroom.store import Lead, StoreDown, View, shared
from ui.text import t

__all__ = ["PERSONAL", "arrive", "on_page", "after_run", "class_panel", "current_view",
           "open_view", "teaching"]

SECRET_PARAM = "teacher"  # the teacher link's parameter, removed from the address bar at once
TEACHER_COOKIE = "explorer_teacher"  # set by the class server's nginx from the teacher link
BROWSER_COOKIE = "explorer_browser"  # one id per browser: a reload is still one student
MODE_COOKIE = "explorer_mode"  # "explore" after a student's own change, so a reload keeps it
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")  # a browser id as the browser's script makes it
COUNTS_EVERY = 1.0  # seconds between the teacher's looks at how many follow and explore

# session state, every key the class's own (kept when a view from the teacher replaces the rest)
PREFIX = "class_"
MEMBER = "class_member"  # this session's classroom.relay.Member
LEAD = "class_lead"  # the class's Lead as this run found it (None: the store is lost)
PAGE = "class_page"  # the page of the last full run
REFUSED = "class_refused"  # a wrong secret was given
COOKIES = "class_cookies"  # the mode last written into the browser's cookie


def member() -> Member:
    """This session's place in the class (made, and handed to the relay, on its first run)."""
    state = st.session_state
    if MEMBER not in state:
        cookie = _cookie(BROWSER_COOKIE)
        state[MEMBER] = Member(cookie if TOKEN.fullmatch(cookie) else secrets.token_urlsafe(12),
                               exploring=_cookie(MODE_COOKIE) == "explore")
        relay.join(get_script_run_ctx().session_id, state[MEMBER])
    return state[MEMBER]


def _cookie(name: str) -> str:
    """A cookie the browser sent with this session ("" without one)."""
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) else ""


def arrive() -> None:
    """First thing in every full run, before any widget: a view arriving starts afresh; the
    class's lead is read once; the session's role found (the teacher holds the secret, from the
    link once or the cookie; anyone else where a class runs is a student)."""
    me, state = member(), st.session_state
    if me.arriving and get_script_run_ctx().is_history_navigation:
        _afresh()
    me.personal = {k: st.query_params[k] for k in PERSONAL if k in st.query_params}
    try:
        lead = shared().lead()
        me.down = False
    except StoreDown:
        lead, me.down = None, True
    state[LEAD] = lead
    if SECRET_PARAM in st.query_params:
        secret = st.query_params[SECRET_PARAM]
        del st.query_params[SECRET_PARAM]
        _claim(me, secret, lead)
    if lead is not None:
        _find_role(me, lead)


def _afresh() -> None:
    """The run of a view asked for (show): the session's own state goes, as in a session opened
    on the view's link, and the browser's address bar gets the view's link."""
    state = st.session_state
    for key in list(state):
        if not key.startswith(PREFIX) and key not in PERSONAL:
            del state[key]
    get_script_run_ctx().session_state._state.query_params._send_query_param_msg()


def _claim(me: Member, secret: str, lead: Lead | None) -> None:
    """Lead the class if secret is its teacher's; otherwise say plainly that it is not."""
    try:
        teacher = lead is not None and lead.active and shared().is_teacher(secret)
    except StoreDown:
        teacher = False
    if teacher:
        me.role, me.secret, me.class_id, me.exploring = "teacher", secret, lead.class_id, False
        st.session_state.pop(REFUSED, None)
    else:
        st.session_state[REFUSED] = True


def _find_role(me: Member, lead: Lead) -> None:
    """The session's role in the class the lead is of (none when no class runs)."""
    if not lead.active:
        me.ended = me.ended or me.role == "student"
        me.role, me.secret, me.class_id = None, "", ""
        return
    if me.class_id == lead.class_id:
        return
    secret = me.secret or _cookie(TEACHER_COOKIE)
    try:
        teacher = bool(secret) and shared().is_teacher(secret)
    except StoreDown:
        return  # decided at the next run
    me.role, me.secret = ("teacher", secret) if teacher else ("student", "")
    me.class_id, me.ended = lead.class_id, False


def teaching() -> bool:
    return member().role == "teacher"


def current_view(page: str) -> View:
    """This session's view: page and its link, less a person's own settings."""
    return view_of(page, st.query_params.to_dict())


def open_view(view: View) -> None:
    """Show view here (the teacher's plan step; the class follows). Never returns."""
    me = member()
    _show(me, view, me.shown)


def _show(me: Member, view: View, version: int) -> None:
    """Run view's page with its link (and this person's own settings) as a history navigation:
    the link decides every control, and the browser is sent each value. The run stops here; the
    next one, asked for, draws the view."""
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

    ctx = get_script_run_ctx()
    target = page_hash(ctx.pages_manager.get_pages(), view.page)
    if target is None:  # not a page of this app: nothing to show
        me.shown = version
        return
    me.arriving = (version, view)
    ctx.script_requests.request_rerun(RerunData(
        query_string=link_of(view, me.personal), page_script_hash=target,
        is_history_navigation=True, context_info=ctx.context_info,
        cached_message_hashes=ctx.cached_message_hashes))
    st.empty()  # a point where the run stops for the one asked for


def on_page(page: str, bar) -> None:
    """After st.navigation, before the page runs: a student behind the teacher is shown the
    teacher's view (a student arriving, or back from a click of their own that came first);
    the student's line in bar says where they stand."""
    me, lead = member(), st.session_state.get(LEAD)
    st.session_state[PAGE] = page
    if me.role == "student" and not me.exploring and lead is not None and lead.view is not None \
            and lead.version != me.shown and (me.arriving or (None,))[0] != lead.version:
        _show(me, lead.view, lead.version)
    with bar:
        _bar(me, lead)


def _bar(me: Member, lead: Lead | None) -> None:
    if me.down and me.role:
        st.warning(t("class.store_down"))
    elif me.ended:
        st.info(t("class.ended"))
    if me.role != "student":
        return
    _remember_browser(me)
    if not me.exploring:
        st.caption(t("class.following"))
        return
    with st.container(horizontal=True, vertical_alignment="center"):
        st.info(t("class.exploring"))
        if st.button(t("class.rejoin"), key="class_rejoin", type="primary"):
            me.exploring = False
            if lead is not None and lead.view is not None:
                _show(me, lead.view, lead.version)


def after_run(page: str) -> None:
    """Last thing in every full run: a view asked for has arrived (its run, a history navigation,
    has ended), or a student's own move came first; the teacher's view goes to the class at once
    (the relay sends what a fragment's run changes)."""
    me = member()
    if me.arriving:
        me.arrived(current_view(page), asked=get_script_run_ctx().is_history_navigation)
        relay.nudge()  # the next student's turn
    if me.role == "teacher" and current_view(page) != me.published:
        try:
            shared().publish(current_view(page))
            me.published = current_view(page)
            relay.nudge()
        except StoreDown:
            me.down = True


def _teacher_counts() -> None:
    """How many follow and explore (a fragment the teacher's browser reruns every COUNTS_EVERY
    seconds)."""
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
    me = member()
    if st.session_state.get(REFUSED):
        st.error(t("class.refused"))
    if me.role is None and not me.down:
        st.button(t("class.start"), key="class_start", help=t("class.start_help"),
                  on_click=_start_class)
    if me.role != "teacher":
        return
    st.subheader(t("class.title"))
    st.fragment(_teacher_counts, run_every=COUNTS_EVERY)()
    with st.expander(t("class.invite")):
        students = student_address(st.context.url)
        st.caption(t("class.students_open"))
        st.code(students, language=None, wrap_lines=True)
        st.image(qr_png(students), width=160)  # drawn here: nothing is fetched
        st.caption(t("class.teacher_link_help"))
        st.code(f"{students}?{SECRET_PARAM}={me.secret}", language=None, wrap_lines=True)
        st.button(t("class.end"), key="class_end", help=t("class.end_help"), on_click=_end_class)


def _start_class() -> None:
    me = member()
    try:
        me.role, me.secret, me.class_id = "teacher", shared().start_class(), ""
        me.exploring, me.ended, me.published = False, False, None
    except StoreDown:
        me.down = True


def _end_class() -> None:
    try:
        shared().end_class()
    except StoreDown:
        member().down = True
        return
    me = member()
    me.role, me.secret, me.class_id = None, "", ""
    for key in ("class_plan", "class_step"):
        st.session_state.pop(key, None)


def _remember_browser(me: Member) -> None:
    """Keep in this browser's cookies an id of its own (a student counted once however often
    they reload) and whether they explore (a reload keeps an explorer exploring). Fixed scripts
    (no value of ours or a user's goes into the page): the browser makes its own id."""
    state = st.session_state
    mode = "explore" if me.exploring else "follow"
    if state.get(COOKIES) == mode:
        return
    state[COOKIES] = mode
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
