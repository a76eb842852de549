"""A run that trains live on a page: the runs kept in the session (B's, and a pinned A's that
trains beside it), and the views redrawn on the browser's timer while a Play switch is on.

The pattern is the training lab's: while playing, a fragment the browser reruns every tick trains
a chunk and redraws, without rerunning the page; paused, no fragment at all (the same fragment
drawn again with run_every=None keeps the browser's timer running, and a slow network is then
never idle). A run is mutated as it trains, so it lives in this session's state alone."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st


def kept_runs(key: str, b_config, a_config, make: Callable, twin: Callable):
    """(B's run, A's run or None), kept in the session under key while their Configs stay. A
    run just pinned is B's so far, copied (twin), so the two then train on in the same frames;
    when B is a new run (a changed setting), A starts again from epoch 0 beside it. make(config)
    starts a run."""
    kept = st.session_state.get(key, [])  # (config, run) pairs

    def take(config):
        for i, pair in enumerate(kept):
            if pair[0] == config:
                return kept.pop(i)[1]
        return None

    b = take(b_config)
    b_is_new = b is None
    b = b or make(b_config)
    a = None
    if a_config is not None:
        a = take(a_config)
        if a is None and a_config == b_config:
            a = twin(b)
        elif a is None or b_is_new:
            a = make(a_config)
    st.session_state[key] = [(b_config, b)] + ([(a_config, a)] if a is not None else [])
    return b, a


def forget(key: str) -> None:
    """Drop the kept runs (Reset: the next run starts them again from epoch 0)."""
    st.session_state.pop(key, None)


def live(play_key: str, draw: Callable, *args, tick: float) -> None:
    """draw(*args) once, or, while the switch play_key is on, in a fragment the browser reruns
    every tick (draw trains a chunk itself when it sees the switch on)."""
    if st.session_state.get(play_key):
        st.fragment(_playing, run_every=tick)(play_key, draw, *args)
    else:
        draw(*args)


def _playing(play_key: str, draw: Callable, *args) -> None:
    """A tick sent just before Pause was pressed can arrive after the paused page is drawn: it
    reruns the page instead of drawing the views twice."""
    if not st.session_state.get(play_key):
        st.rerun()
    draw(*args)
