"""The user's language and mode: every visible string goes through t()."""

from __future__ import annotations

import re

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


# The page's root type size as the browser has drawn it: looked at after each change to the page
# (a frame later, once a run's stylesheet is in) and reported when it differs from the last report
TYPE_SIZE = "root_type_size"
_TYPE_SIZE_PROBE = st.components.v2.component(TYPE_SIZE, js="""
export default function({ data, setStateValue }) {
  let reported = data.px, frame = 0;
  const look = () => {
    frame = 0;
    const px = parseFloat(getComputedStyle(document.documentElement).fontSize);
    if (px !== reported) { reported = px; setStateValue("px", px); }
  };
  const observer = new MutationObserver(() => { frame ||= requestAnimationFrame(look); });
  observer.observe(document.body, { childList: true, subtree: true });
  frame = requestAnimationFrame(look);
  return () => { observer.disconnect(); cancelAnimationFrame(frame); };
}""")


def drawn_type_size() -> float | None:
    """The root type size in pixels the browser last reported having drawn (None before its
    first report, and where no browser draws the page: AppTest, a protocol client)."""
    reported = st.session_state.get(TYPE_SIZE)
    return reported.get("px") if reported else None


def probe_type_size() -> None:
    """The invisible element that reports drawn_type_size (its report reruns the enclosing
    fragment)."""
    _TYPE_SIZE_PROBE(key=TYPE_SIZE, data={"px": drawn_type_size()}, on_px_change=lambda: None,
                     height=0)


def presenting() -> bool:
    """Presenter mode: the sidebar's toggle, or before it is drawn in a session's first run, the
    link it is bound to (app.py folds the sidebar away before drawing it)."""
    if "present" in st.session_state:
        return bool(st.session_state["present"])
    return st.query_params.get("present", "").lower() == "true"
