"""A Streamlit client that speaks the browser's wire protocol, without a browser: a websocket to
/_stcore/stream (subprotocol "streamlit"), BackMsg.rerun_script out, ForwardMsg in until
script_finished. It learns each page's widgets from the deltas it receives, so it drives any page
without knowing it. The benchmarks time reruns with it, the class server warms its processes
with it (classroom.warm), and a test runs a session through the proxy. localhost only."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = ForwardMsg.ScriptFinishedStatus
MAIN = 0  # delta_path[0] of an element: 0 is the page's main area, 1 the sidebar


@dataclass
class Widget:
    """A control the page drew, as the browser would know it: its id, kind and current value."""

    id: str
    kind: str  # number_input, slider, selectbox, radio, checkbox (also toggles), button
    value: object
    proto: object = field(repr=False)
    fragment: str = ""  # the fragment it is drawn in: a change reruns only that, in a browser

    @property
    def key(self) -> str:
        return self.id.split("-", 2)[-1]  # ids of keyed widgets are "$$ID-<hash>-<key>"

    def state(self, wire) -> None:
        """Fill a WidgetState with this widget's value."""
        wire.id = self.id
        if self.kind == "number_input":
            if self.proto.data_type == self.proto.INT:
                wire.int_value = int(self.value)
            else:
                wire.double_value = float(self.value)
        elif self.kind == "slider":
            wire.double_array_value.data[:] = list(self.value)
        elif self.kind == "checkbox":
            wire.bool_value = bool(self.value)
        elif self.kind == "button":
            wire.trigger_value = bool(self.value)
        else:
            wire.string_value = str(self.value)

    def in_link(self) -> list[str] | None:
        """The value as the browser writes it into the link for a widget bound to it, one entry
        per repeat of its parameter (None at the widget's default, which the browser leaves
        out)."""
        p = self.proto
        if self.kind == "number_input":
            default = p.default if p.HasField("default") else None
            return None if self.value == default else [_js_number(self.value)]
        if self.kind == "checkbox":
            return None if self.value == p.default else [str(self.value).lower()]
        if self.kind == "slider":
            return None if list(self.value) == list(p.default) \
                else [_js_number(v) for v in self.value]
        default = p.options[p.default] if p.HasField("default") and len(p.options) else None
        return None if self.value == default else [str(self.value)]

    def nudged(self, rng: random.Random) -> object:
        """A nearby value, as a student changing the control a little would pick."""
        p = self.proto
        if self.kind == "number_input":
            step = p.step or (1 if p.data_type == p.INT else 0.01)
            value = self.value + step * rng.choice([-2, -1, 1, 2, 3])
            if p.has_min:
                value = max(value, p.min)
            if p.has_max:
                value = min(value, p.max)
            return int(value) if p.data_type == p.INT else float(value)
        if self.kind == "slider":
            return [min(max(v + p.step * rng.choice([-1, 1]), p.min), p.max) for v in self.value]
        if self.kind == "checkbox":
            return not self.value
        if self.kind in ("selectbox", "radio") and len(p.options) > 1:
            return rng.choice([o for o in p.options if o != self.value])
        return self.value


def _js_number(value: float) -> str:
    """A number as JavaScript's String() writes it (5.0 -> "5")."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _widget(element) -> Widget | None:
    kind = element.WhichOneof("type")
    proto = getattr(element, kind, None) if kind else None
    if kind == "number_input":
        value = proto.value if proto.set_value else proto.default
        return Widget(proto.id, kind, int(value) if proto.data_type == proto.INT else value, proto)
    if kind == "slider":
        return Widget(proto.id, kind, list(proto.value if proto.set_value else proto.default),
                      proto)
    if kind == "checkbox":
        return Widget(proto.id, kind, proto.value if proto.set_value else proto.default, proto)
    if kind == "button":
        return Widget(proto.id, kind, False, proto)  # True for the one run it is clicked in
    if kind in ("selectbox", "radio") and len(proto.options):
        value = proto.raw_value if proto.HasField("raw_value") \
            else proto.options[proto.default if proto.HasField("default") else 0]
        return Widget(proto.id, kind, value, proto)
    return None


@dataclass
class Run:
    ms: float
    status: str
    exceptions: list[str]


class Session:
    """One browser tab's worth of protocol: open a page, then rerun with changed widgets."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.headers = headers or {}  # e.g. a Cookie, as a browser sends with the websocket
        self.ws = None
        self.widgets: dict[str, Widget] = {}  # id -> widget, as of the last run
        self.main: list[str] = []  # ids of the widgets in the page's main area (not buttons)
        self.buttons: dict[str, Widget] = {}  # key -> button, anywhere on the page
        self.texts: list[str] = []  # the texts of the last whole run's markdown and alerts
        self.page = ""  # the url path of the page shown (the server may switch it)
        self.query = ""  # the link's query string, as the server last set it
        self.timers: dict[str, float] = {}  # fragment id -> seconds between its own reruns
        self._hash = ""  # the shown page's script hash, which a rerun names
        self._paths: dict[str, str] = {}  # page script hash -> url path
        self._turn = asyncio.Lock()  # one run at a time on the socket (a timer and a move)

    async def __aenter__(self) -> Session:
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=2**26,
                                           open_timeout=30, ping_interval=None,
                                           additional_headers=self.headers)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def open(self, page: str, query: str = "", timeout: float = 60) -> Run:
        """Load page (its url path) as a browser would from /page?query."""
        self.page, self.widgets, self.main, self.buttons, self.texts = page, {}, [], {}, []
        self._hash, self.query = "", query
        return await self.rerun(timeout=timeout)

    async def tick(self, fragment: str, timeout: float = 60) -> Run:
        """Rerun one fragment as the browser's timer does for a fragment with run_every."""
        return await self.rerun(fragment=fragment, timeout=timeout, auto=True)

    async def change(self, rng: random.Random, timeout: float = 60) -> Run:
        """Nudge one of the page's own controls (not the sidebar's), and rerun."""
        widget = self.widgets[rng.choice(self.main)] if self.main else None
        changes = {widget.id: widget.nudged(rng)} if widget else {}
        return await self.rerun(changes, timeout=timeout)

    async def click(self, key: str, timeout: float = 60) -> Run:
        """Click the button with this key (in its fragment, if it is drawn in one)."""
        button = self.buttons[key]
        run = await self.move(button, True, timeout=timeout)
        button.value = False  # a click is true for the one run it triggers
        return run

    async def move(self, widget: Widget, value: object, timeout: float = 60) -> Run:
        """Set one widget as a user in a browser does: a widget in a fragment reruns that
        fragment only."""
        return await self.rerun({widget.id: value}, timeout=timeout, fragment=widget.fragment)

    def first_control(self) -> Widget | None:
        """The first control in the page's main area (what a teacher moves in the model)."""
        return self.widgets[self.main[0]] if self.main else None

    async def rerun(self, changes: dict[str, object] | None = None, query: str | None = None,
                    timeout: float = 60, fragment: str = "", auto: bool = False) -> Run:
        """Rerun the page (or one fragment) with changes to its widgets: with the link's query
        string (query, else the one the server set last) and every widget's value; read until
        the run ends, following the server to another page. (A browser reruns only the fragment
        a changed widget is in: move() does that.) One run at a time: a move waits for a timer's
        run to end, as the server would make it wait."""
        async with self._turn:
            return await self._rerun(changes, query, timeout, fragment, auto)

    async def _rerun(self, changes, query, timeout, fragment, auto) -> Run:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query if query is None else query
        if self._hash:
            state.page_script_hash = self._hash
        else:
            state.page_name = self.page
        state.fragment_id = fragment
        state.is_auto_rerun = auto
        for widget_id, widget in self.widgets.items():
            if changes and widget_id in changes:
                widget.value = changes[widget_id]
                self._into_link(widget)
            widget.state(state.widget_states.widgets.add())
        if changes:
            state.query_string = self.query
        start = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        status, exceptions = await self._read_run(timeout)
        return Run((time.perf_counter() - start) * 1000, status, exceptions)

    async def pushed(self, wait: float, timeout: float = 60) -> Run | None:
        """A run the server began on its own (the class's relay showing the teacher's view, or
        waking the session), read to its end; None when none began within wait seconds. Its ms
        count from its first message."""
        async with self._turn:
            try:
                async with asyncio.timeout(wait):
                    first = await self.ws.recv()  # cancelling recv loses nothing (websockets)
            except TimeoutError:
                return None
            start = time.perf_counter()
            msg = ForwardMsg()
            msg.ParseFromString(first)
            if msg.WhichOneof("type") != "new_session":  # not a run's start: noted, no run
                self._note(msg, [])
                return None
            status, exceptions = await self._read_run(timeout, msg)
            return Run((time.perf_counter() - start) * 1000, status, exceptions)

    async def _read_run(self, timeout: float, msg: ForwardMsg | None = None) -> tuple[str, list]:
        """Read the server's messages (msg, read already, first) until a run ends, following the
        server through reruns it asks for itself: (its status, the exceptions it showed)."""
        exceptions: list[str] = []
        async with asyncio.timeout(timeout):
            while True:
                if msg is None:
                    msg = ForwardMsg()
                    msg.ParseFromString(await self.ws.recv())
                status = self._note(msg, exceptions)
                msg = None
                if status and status != "FINISHED_EARLY_FOR_RERUN":
                    return status, exceptions

    def _note(self, msg: ForwardMsg, exceptions: list[str]) -> str:
        """Take in one message; a run's status when it is the end of one, else ""."""
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg, exceptions)
        elif kind in ("new_session", "navigation", "page_info_changed", "auto_rerun"):
            self._follow(msg, kind)
        elif kind == "script_finished":
            return FINISHED.Name(msg.script_finished)
        return ""

    def _into_link(self, widget: Widget) -> None:
        """A changed widget bound to the link writes its value there, as the browser does."""
        key = getattr(widget.proto, "query_param_key", "")
        if not key:
            return
        params = [(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True) if k != key]
        self.query = urlencode(params + [(key, v) for v in widget.in_link() or []])

    def _element(self, msg: ForwardMsg, exceptions: list[str]) -> None:
        """Note an element: an exception's text, a widget's id, kind and value."""
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind in ("markdown", "alert"):
            self.texts.append(getattr(element, kind).body)
        widget = _widget(element)
        if widget:
            widget.fragment = msg.delta.fragment_id
            # the server sends a value only when it set one; else ours stands
            if widget.id in self.widgets and not getattr(widget.proto, "set_value", False):
                widget.value = self.widgets[widget.id].value
            self.widgets[widget.id] = widget
            if widget.kind == "button":
                self.buttons[widget.key] = widget
            elif msg.metadata.delta_path[0] == MAIN and widget.id not in self.main:
                self.main.append(widget.id)

    def _follow(self, msg, kind: str) -> None:
        """Keep up with the server: the page a run shows (it may switch pages), the link it
        sets, and the fragments the browser would rerun on a timer."""
        if kind == "new_session":
            if not msg.metadata.run.fragment_ids:  # a whole run: the page is drawn afresh
                self.widgets, self.main, self.buttons, self.timers = {}, [], {}, {}
                self.texts = []
            self._hash = msg.new_session.page_script_hash
            self.page = self._paths.get(self._hash, self.page)
        elif kind == "navigation":
            self._paths = {p.page_script_hash: p.url_pathname
                           for p in msg.navigation.app_pages}
            self._hash = msg.navigation.page_script_hash
            self.page = self._paths.get(self._hash, self.page)
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        else:
            self.timers[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval


def run_sync(coroutine):
    """Run a coroutine to its end and return its result, in a thread of its own: the caller may be
    inside a running event loop already (Playwright's sync API keeps one in the main thread)."""
    result: list = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as error:  # noqa: BLE001 (re-raised in the caller's thread)
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]

