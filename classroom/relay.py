"""The class in one app process: each session taking part (a Member, kept in its session state),
and the relay, one thread per process that watches the class's store and the process's sessions,
so that no student's browser has to ask anything for the class to follow the teacher:

- the teacher's view goes to the store as soon as a run of the teacher's session has drawn a new
  one (a control inside a lesson's fragment reruns only that fragment: the relay sees it all the
  same, where app.py's code would not run);
- a new version of the teacher's view is pushed to every following student of this process: the
  relay asks the student's session for a run of the teacher's page and link as a history
  navigation (what the browser's back button asks for): the link then decides every bound control,
  one it leaves out goes back to its default, and the browser is sent every value;
- a student whose screen shows another view than the one they were given (after a run of their
  own, a fragment's included) is exploring, and their session is woken to say so;
- the end of the class, a new class, a lost store and its return wake the sessions concerned;
- every PRESENCE_TICK the students of this process are counted in the store.

The relay acts on a session only while it is idle (no run in progress), in one step on the
server's event loop, where the browser's own messages are handled too: a push never overtakes or
mixes with a student's own move. Store calls stay in the relay's thread, off the event loop.
Streamlit 1.67's runtime (Runtime, AppSession, ClientState) is used in this module and in
ui/follow.py's show(); tests/test_classroom_relay.py fails if what they rely on changes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from classroom.store import Lead, StoreDown, View, shared

TICK = 0.05  # seconds between the relay's looks at the store and the sessions (at most)
AT_ONCE = 2  # pushes in flight at once in a process: the class's runs take turns (see _scan)
PRESENCE_TICK = 2.0  # seconds between counts of this process's students in the store
RETRY = 1.0  # seconds before a session woken for a reason that still holds is woken again
PERSONAL = ("lang", "present")  # a person's own settings, never taken from the teacher
HIDDEN = ("teacher", "plan")  # never part of a view: the teacher's secret, a plan to load


@dataclass
class Member:
    """One session's place in the class. Its own runs and the relay both read and change it; the
    relay only while the session is idle, so the two never act at once."""

    browser: str  # one id per browser: a reload is still one student
    role: str | None = None  # "teacher", "student", or None (no class, or not yet known)
    class_id: str = ""  # the class the role is for: a new class decides it afresh
    secret: str = ""  # the teacher's, to show the teacher link
    personal: dict[str, str] = field(default_factory=dict)  # kept on every view shown
    exploring: bool = False
    shown: int = -1  # the version of the teacher's view this screen shows
    given: View | None = None  # the view this student was given: any other is their own
    arriving: tuple[int, View] | None = None  # a view asked for, its run not yet ended
    published: View | None = None  # the teacher's view last sent to the class
    down: bool = False  # the store could not be reached at the last look
    ended: bool = False  # this student's class has ended
    woken: float = 0.0  # when the relay last acted on this member (time.monotonic)

    def due(self, lead: Lead | None, view: View, now: float) -> str | None:
        """What the relay does for this member's idle session, whose screen shows view, given the
        class's lead (None: the store is lost): "push" the teacher's view, "wake" the session
        for its run to say what changed, "publish" the teacher's view, or nothing."""
        if self.role == "teacher":
            return "publish" if lead is not None and view != self.published else None
        asked = now - self.woken < RETRY  # and its run may not have come yet
        if (lead is None) != self.down or lead is not None and (
                self.role == "student" and not lead.active or self.role is None and lead.active):
            return None if asked else "wake"  # the store lost or back; the class ended or began
        if lead is None or self.role != "student" or self.exploring:
            return None
        if lead.view is not None and lead.version != self.shown:
            return None if asked and self.arriving else "push"
        if self.given is not None and self.arriving is None and view != self.given:
            self.exploring = True  # a move of their own, in a fragment or not
            return "wake"
        return None

    def arrived(self, view: View, asked: bool) -> None:
        """The run that drew the view asked for has ended (asked: it was that run; otherwise a
        move of the student's own came first, and they explore from there)."""
        version, _ = self.arriving
        self.arriving = None
        if asked:
            self.shown, self.given = version, view
        else:
            self.exploring = True

    def away(self) -> None:
        """The browser is gone for now (Wi-Fi, sleep): whatever it shows when back, it is given
        the teacher's view again, unless exploring."""
        self.given, self.shown, self.arriving = None, -1, None


def link_of(view: View, personal: dict[str, str]) -> str:
    """The query string that shows view to this person (their own settings kept)."""
    return urlencode(view.params | personal)


def view_of(page: str, params: dict[str, str]) -> View:
    """A screen's view: its page and link, less a person's own settings and the hidden ones."""
    return View.of(page, {k: v for k, v in params.items() if k not in PERSONAL + HIDDEN})


class Relay:
    """This process's members (by session id) and the thread that serves them."""

    def __init__(self) -> None:
        self._members: dict[str, Member] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._nudged = threading.Event()

    def nudge(self) -> None:
        """Look now, not at the next tick: a push has arrived, or the teacher has published."""
        self._nudged.set()

    def join(self, session_id: str, member: Member) -> None:
        """Serve member's session from now on (starting the relay with the first, on a server)."""
        from streamlit.runtime import Runtime

        with self._lock:
            self._members[session_id] = member
            if self._thread is None and Runtime.exists():
                self._thread = threading.Thread(target=self._serve, name="class-relay",
                                                daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        from streamlit.runtime import Runtime

        loop = Runtime.instance()._get_async_objs().eventloop
        if not isinstance(loop, asyncio.AbstractEventLoop):  # AppTest's stand-in runtime
            with self._lock:
                self._thread = None  # a real runtime's first member starts the relay again
            return
        counted = 0.0
        while True:
            self._nudged.wait(TICK)
            self._nudged.clear()
            if not self._members:
                continue
            try:
                counted = self._look(loop, counted)
            except Exception:  # a class goes on: say what went wrong, look again
                logging.getLogger(__name__).exception("the class relay's look failed")

    def _look(self, loop, counted: float) -> float:
        """One look: the store's lead, the sessions' due actions, what goes back to the store.
        Returns when the students were last counted."""
        store = shared()
        try:
            lead = store.lead()
        except StoreDown:
            lead = None
        publish, present = asyncio.run_coroutine_threadsafe(self._scan(lead), loop).result(10)
        try:
            for view in publish:
                store.publish(view)
                self.nudge()  # push it at once
            if present and time.monotonic() - counted > PRESENCE_TICK:
                store.seen(present)
                return time.monotonic()
        except StoreDown:
            pass  # the next look tells every member
        return counted

    async def _scan(self, lead: Lead | None) -> tuple[list[View], dict[str, bool]]:
        """On the event loop: each member's due action on its idle session. Returns the views to
        publish and the students present (browser -> exploring).

        At most AT_ONCE pushes are in flight: the runs of a process share one interpreter lock,
        and thirty at once each end near the end of them all (the event loop, which sends their
        screens, waiting its turn behind them), while runs taking turns each end as soon as it
        can; the next push starts as one arrives (Member.arrived nudges the relay)."""
        from streamlit.runtime import Runtime

        runtime = Runtime.instance()
        publish, present, now = [], {}, time.monotonic()
        flying = sum(1 for member in self._members.values() if member.arriving)
        for session_id, member in list(self._members.items()):
            session = runtime.get_app_session(session_id)
            if session is None:
                if runtime._session_mgr.get_session_info(session_id) is None:
                    with self._lock:
                        self._members.pop(session_id, None)  # closed for good
                elif member.role == "student" and not member.exploring:
                    member.away()
                continue
            if member.role == "student":
                present[member.browser] = member.exploring
            if session._scriptrunner is not None:
                continue  # a run in progress: look again when it has ended
            action = member.due(lead, _screen(session), now)
            if action == "publish":
                member.published = _screen(session)
                publish.append(member.published)
            elif action == "push" and flying < AT_ONCE:
                member.woken, flying = now, flying + 1
                _push(session, member, lead)
            elif action == "wake":
                member.woken = now
                _wake(session)
        return publish, present


def _screen(session) -> View:
    """The view an idle session shows: the page and link of its last run."""
    info = session.get_pages().get(session.page_script_hash)
    page = info["url_pathname"] if info else ""
    return view_of(page, session.session_state.query_params.to_dict())


def page_hash(pages: dict, page: str) -> str | None:
    """The script hash of the app's page at url path page (None if there is none)."""
    return next((h for h, info in pages.items() if info["url_pathname"] == page), None)


def _push(session, member: Member, lead: Lead) -> None:
    """Ask session for a run showing the teacher's view (see the module's docstring)."""
    from streamlit.proto.ClientState_pb2 import ClientState

    target = page_hash(session.get_pages(), lead.view.page)
    if target is None:  # not a page of this app: nothing to show
        member.shown = lead.version
        return
    member.arriving = (lead.version, lead.view)
    state = ClientState(query_string=link_of(lead.view, member.personal),
                        page_script_hash=target, is_history_navigation=True)
    state.context_info.CopyFrom(session._client_state.context_info)
    session.request_rerun(state)


def _wake(session) -> None:
    """Ask session for a run of what it shows (its own page, link and values)."""
    from streamlit.proto.ClientState_pb2 import ClientState

    link = urlencode(session.session_state.query_params._query_params, doseq=True)
    state = ClientState(query_string=link, page_script_hash=session.page_script_hash)
    state.context_info.CopyFrom(session._client_state.context_info)
    session.request_rerun(state)


relay = Relay()
