"""Sessions are threads of one server process: nothing one computes may leak into another.
- The course's network Config computed in 16 threads at once (its draw cache cleared, so they race
  to fill it) gives results bit-identical to a computation alone, and leaves torch's global RNG
  untouched.
- On every lesson page, another seed changes what it shows where it draws at random, and two
  AppTest sessions with different seeds (or, where it draws nothing at random, another value of
  its first number), open together on a cleared st.cache_data and rerun in turns, each show
  exactly what their view shows alone."""

from __future__ import annotations

import dataclasses
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from core import network
from harness.pages import ROOT, app_pages

THREADS = 16
APP = str(ROOT / "app.py")


def bits(value):
    """A value reduced to something == compares bit for bit (floats by their bytes, so nan equals
    the same nan and -0.0 differs from 0.0)."""
    if dataclasses.is_dataclass(value):
        return tuple((f.name, bits(getattr(value, f.name))) for f in dataclasses.fields(value))
    if isinstance(value, pd.DataFrame):
        return (tuple(value.columns), tuple(map(str, value.dtypes)),
                tuple(bits(value[c].to_numpy()) for c in value.columns))
    if isinstance(value, np.ndarray):
        return value.tobytes() if value.dtype.kind in "biuf" else tuple(map(bits, value))
    if isinstance(value, (list, tuple)):
        return tuple(map(bits, value))
    if isinstance(value, float):
        return struct.pack("<d", value)
    return value


def test_one_config_in_16_threads_at_once_is_bit_identical():
    config, _ = network.validate(network.NetConfig())
    alone = bits(network.run(config))
    rng_before = torch.get_rng_state()
    network.clear_draws()  # the threads race to make the draws again
    start = threading.Barrier(THREADS)

    def compute(_):
        start.wait(timeout=60)
        return bits(network.run(config))

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(compute, range(THREADS)))
    assert all(result == alone for result in results)
    assert torch.equal(torch.get_rng_state(), rng_before), "core drew from torch's global RNG"


def view(at: AppTest) -> tuple:
    """What a page shows: its text, metrics, code, tables, pictures and the data behind its
    charts (a chart's own rows, as the lab sends them, and its named datasets)."""
    assert not at.exception, [e.message for e in at.exception]
    shown = list(drawn(at))
    for node in walk(at.main):
        if node.type == "dataframe":
            shown.append(node.value.to_csv())
        elif node.type in ("metric", "code", "markdown", "caption", "alert", "success", "error",
                           "warning", "info", "title"):
            shown.append(str(node.value))
    return tuple(shown)


def drawn(at: AppTest) -> tuple:
    """The page's charts' data (a chart's own rows, as the lab sends them, and its named
    datasets) and its pictures (a picture's URL names its bytes)."""
    return tuple((node.proto.data.data, *(d.data.data for d in node.proto.datasets))
                 if node.type == "vega_lite_chart" else node.proto.SerializeToString()
                 for node in walk(at.main) if node.type in ("vega_lite_chart", "image"))


def walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from walk(child)


def opened(page) -> AppTest:
    return AppTest.from_file(APP, default_timeout=120).switch_page(page.script).run()


def set_to(at: AppTest, state: dict) -> AppTest:
    """The page's number controls set to state, as a user types them."""
    for key, value in state.items():
        at.number_input(key=key).set_value(value)
    return at.run()


def seeds(at: AppTest) -> list[str]:
    """The keys of the seed controls a page's view draws."""
    return [node.key for node in walk(at.main)
            if node.type == "number_input" and str(node.key).endswith("seed")]


def numbers(at: AppTest) -> tuple:
    """What the page computed: its charts, pictures, tables and metrics (not its words, nor the
    script that repeats its settings)."""
    return drawn(at) + tuple(node.value.to_csv() if node.type == "dataframe" else node.value
                             for node in walk(at.main) if node.type in ("dataframe", "metric"))


LESSON_PAGES = [page for page in app_pages() if page.url_path]
# Found by the test below: the schedules lesson draws its seed control on every scheduler, but
# StepLR's view (its first) shows nothing drawn at random; the seed changes only the script.
SEED_UNUSED = {"schedules"}


@pytest.mark.parametrize("page", [
    pytest.param(page, marks=pytest.mark.xfail(
        page.url_path in SEED_UNUSED, strict=True, reason="its first view's seed changes nothing"))
    for page in LESSON_PAGES], ids=[page.url_path for page in LESSON_PAGES])
def test_another_seed_changes_what_a_view_that_draws_at_random_computes(page):
    """Every lesson whose first view has a seed control computes other numbers with another seed;
    one without draws nothing at random there (a seed its Config keeps would be offered by the
    pin bar's "A with another seed": see tests/core/test_compare.py)."""
    keys = seeds(opened(page))
    if not keys:
        pytest.skip("its first view draws nothing at random")
    computed = [numbers(set_to(opened(page), dict.fromkeys(keys, seed))) for seed in (3, 11)]
    assert computed[0] != computed[1]


def two_views(at: AppTest) -> tuple[dict, dict]:
    """Two settings of the page's view that must show different things: its seeds at 3 and at
    11; where it has none, its first number at its value and one step up."""
    keys = seeds(at)
    if keys:
        return dict.fromkeys(keys, 3), dict.fromkeys(keys, 11)
    first = next(node for node in walk(at.main) if node.type == "number_input")
    return {first.key: first.value}, {first.key: first.value + (first.step or 1)}


@pytest.mark.parametrize("page", LESSON_PAGES, ids=[page.url_path for page in LESSON_PAGES])
def test_two_sessions_with_different_views_never_see_each_other(page):
    """Two sessions showing different views (two_views), open together on a cleared cache and
    rerun in turns, each show exactly what their view shows alone."""
    states = two_views(opened(page))
    alone = [view(set_to(opened(page), state)) for state in states]
    assert alone[0] != alone[1], f"{states[1]} shows the same as {states[0]}"
    # (AppTest cannot run two sessions in two threads: each run installs a process-wide
    # runtime; the 16-thread test above is the concurrent one.)
    st.cache_data.clear()
    sessions = [opened(page) for _ in states]
    for at, state in zip(sessions, states, strict=True):
        for key, value in state.items():
            at.number_input(key=key).set_value(value)
    for turn in (0, 1, 0, 1):
        assert view(sessions[turn].run()) == alone[turn]
