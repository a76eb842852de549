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

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = ForwardMsg.ScriptFinishedStatus
MAIN = 0  # delta_path[0] of an element: 0 is the page's main area, 1 the sidebar


@dataclass
class Widget:
    """A control the page drew, as the browser would know it: its id, kind and current value."""

    id: str
    kind: str  # number_input, slider, selectbox, radio, checkbox (also toggles)
    value: object
    proto: object = field(repr=False)

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
        else:
            wire.string_value = str(self.value)

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

    def __init__(self, url: str) -> None:
        self.url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = None
        self.widgets: dict[str, Widget] = {}  # id -> widget, as of the last run
        self.main: list[str] = []  # ids of the widgets in the page's main area
        self.page = ""

    async def __aenter__(self) -> Session:
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=2**26,
                                           open_timeout=30, ping_interval=None)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def open(self, page: str, query: str = "", timeout: float = 60) -> Run:
        """Load page (its url path) as a browser would from /page?query."""
        self.page, self.widgets, self.main = page, {}, []
        return await self.rerun(query=query, timeout=timeout)

    async def change(self, rng: random.Random, timeout: float = 60) -> Run:
        """Nudge one of the page's own controls (not the sidebar's), and rerun."""
        widget = self.widgets[rng.choice(self.main)] if self.main else None
        changes = {widget.id: widget.nudged(rng)} if widget else {}
        return await self.rerun(changes, timeout=timeout)

    def first_control(self) -> Widget | None:
        """The first control in the page's main area (what a teacher moves in the model)."""
        return self.widgets[self.main[0]] if self.main else None

    async def rerun(self, changes: dict[str, object] | None = None, query: str = "",
                    timeout: float = 60) -> Run:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = query
        state.page_name = self.page
        for widget_id, widget in self.widgets.items():
            if changes and widget_id in changes:
                widget.value = changes[widget_id]
            widget.state(state.widget_states.widgets.add())
        start = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        widgets, main, exceptions = {}, [], []
        async with asyncio.timeout(timeout):
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(await self.ws.recv())
                kind = msg.WhichOneof("type")
                if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    element = msg.delta.new_element
                    if element.WhichOneof("type") == "exception":
                        exceptions.append(f"{element.exception.type}: "
                                          f"{element.exception.message}")
                    widget = _widget(element)
                    if widget:
                        # the server sends a value only when it set one; else ours stands
                        if widget.id in self.widgets and not widget.proto.set_value:
                            widget.value = self.widgets[widget.id].value
                        widgets[widget.id] = widget
                        if msg.metadata.delta_path[0] == MAIN:
                            main.append(widget.id)
                elif kind == "script_finished":
                    status = FINISHED.Name(msg.script_finished)
                    if msg.script_finished != FINISHED.FINISHED_EARLY_FOR_RERUN:
                        break
        self.widgets, self.main = widgets, main
        return Run((time.perf_counter() - start) * 1000, status, exceptions)


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

