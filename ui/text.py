"""The user's language and mode: every visible string goes through t()."""

from __future__ import annotations

import streamlit as st

from core import text


def lang() -> str:
    return st.session_state.get("lang", "en")


def t(key: str, **params: object) -> str:
    """The string for key in the session's language."""
    return text.lookup(lang(), key, **params)


def presenting() -> bool:
    return bool(st.session_state.get("present", False))
