"""The user's language and mode: every visible string goes through t()."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext

import streamlit as st

from core import text


def lang() -> str:
    return st.session_state.get("lang", "en")


def t(key: str, **params: object) -> str:
    """The string for key in the session's language."""
    return text.lookup(lang(), key, **params)


# Markdown's punctuation, and ":" (a bare URL becomes a link, ":name:" an icon): escaped in values
# a user typed or a link held, so that they show as typed inside a message
MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def quoted(key: str, **params: object) -> str:
    """t(key) for a message that quotes what a user typed or a link held: its text values are
    shown as typed, never as markdown (a link's "[x](http://…)" is no link, "__x__" no bold)."""
    return t(key, **{name: MARKDOWN.sub(r"\\\1", value) if isinstance(value, str) else value
                     for name, value in params.items()})


PLAIN_TYPE_SIZE = 16  # px: Streamlit's root type size
PRESENTER_TYPE_SIZE = 20  # px: presenter mode's (app.py's stylesheet)
DRAWN = "type_size_drawn"  # the root type size the page was last drawn at, and times drawn afresh
PROBE = "type_size_probe"

# Reports the page's root type size as the browser has drawn it, when it differs from the size
# the server last knew (data.px): looked at a frame after each change to the page once no run is
# in progress (a run's new stylesheet is then in, and an old one gone: Streamlit removes an
# element a run no longer draws only when the run ends).
_PROBE = st.components.v2.component(PROBE, js="""
export default function({ data, setStateValue }) {
  let known = data.px, frame = 0;
  const app = document.querySelector("[data-testid='stApp']");
  const look = () => {
    frame = 0;
    if (app && app.dataset.testScriptState !== "notRunning") return;  // looked at again after
    const px = parseFloat(getComputedStyle(document.documentElement).fontSize);
    if (px !== known) { known = px; setStateValue("px", px); }
  };
  const observer = new MutationObserver(() => { frame ||= requestAnimationFrame(look); });
  observer.observe(document.body, { childList: true, subtree: true, attributes: true,
                                    attributeFilter: ["data-test-script-state"] });
  frame = requestAnimationFrame(look);
  return () => { observer.disconnect(); cancelAnimationFrame(frame); };
}""")


def drawn_afresh() -> AbstractContextManager:
    """Where the page is drawn: a new container each time the browser reports a root type size
    other than the one the page was drawn at. A table (a canvas) keeps the type size it found
    when first drawn, and in the run that switches presenter mode that is often the old one, so
    once the browser has drawn the new size the page is drawn afresh. Until the first switch the
    page is drawn in place (a keyed container around it redrew a page opened by a link once
    more, just after its first run: its headline gone for a frame)."""
    size, times = _drawn()
    reported = (st.session_state.get(PROBE) or {}).get("px")
    if reported is not None and reported != size:
        times += 1
        st.session_state[DRAWN] = reported, times
    return st.container(key=f"drawn_{times}") if times else nullcontext()


def _drawn() -> tuple[float, int]:
    """The root type size the page was last drawn at, and how many times it was drawn afresh
    (at first, the size of the mode the session starts in)."""
    return st.session_state.setdefault(
        DRAWN, (PRESENTER_TYPE_SIZE if presenting() else PLAIN_TYPE_SIZE, 0))


def probe_type_size() -> None:
    """The invisible element that reports the root type size drawn (its report reruns the app;
    without a browser, in AppTest or a protocol client, it never reports)."""
    _PROBE(key=PROBE, data={"px": _drawn()[0]}, on_px_change=lambda: None, height=0)


def presenting() -> bool:
    """Presenter mode: the sidebar's toggle, or before it is drawn in a session's first run, the
    link it is bound to (app.py folds the sidebar away before drawing it)."""
    if "present" in st.session_state:
        return bool(st.session_state["present"])
    return st.query_params.get("present", "").lower() == "true"
