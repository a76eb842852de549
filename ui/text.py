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


def presenting() -> bool:
    """Presenter mode: the sidebar's toggle, or before it is drawn in a session's first run, the
    link it is bound to (app.py folds the sidebar away before drawing it)."""
    if "present" in st.session_state:
        return bool(st.session_state["present"])
    return st.query_params.get("present", "").lower() == "true"
